-- behavior-stats sink, Flink DDL: an upsert-kafka table keyed by (category, behavior).
-- Concept: the primary key turns the aggregate's update stream into upserts; Kafka keys are
-- the JSON key {"category":..,"behavior":..} and a compacted topic keeps the latest per key.
-- Delivery (--delivery): at-least-once writes at once, and after a crash again what it wrote since the last
-- checkpoint; exactly-once writes in transactions committed per checkpoint: read_committed readers see each once.
CREATE TEMPORARY TABLE behavior_stats (
    category STRING,
    behavior STRING,
    behavior_count BIGINT,
    update_time STRING,
    last_event_ts STRING,
    PRIMARY KEY (category, behavior) NOT ENFORCED
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
