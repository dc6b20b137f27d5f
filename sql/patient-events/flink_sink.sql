-- patient-events sink, Flink DDL: an upsert-kafka table keyed by action.
-- Concept: the primary key turns the aggregate's update stream into upserts; the Kafka key is the
-- JSON {"action": ...} and a compacted topic keeps the latest count per action.
-- Delivery (--delivery): at-least-once writes at once, and after a crash again what it wrote since the last
-- checkpoint; exactly-once writes in transactions committed per checkpoint: read_committed readers see each once.
CREATE TEMPORARY TABLE patient_action_counts (
    action STRING,
    event_count BIGINT,
    PRIMARY KEY (action) NOT ENFORCED
) WITH (
    'connector' = 'upsert-kafka',
    'topic' = '${OUTPUT_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'sink.delivery-guarantee' = '${DELIVERY_GUARANTEE}',
    'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID_PREFIX}',
    'properties.transaction.timeout.ms' = '${TRANSACTION_TIMEOUT_MS}',
    'key.format' = 'json',
    'value.format' = 'json'
)
