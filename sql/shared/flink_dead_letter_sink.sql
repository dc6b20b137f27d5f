-- shared dead-letter sink, Flink DDL (every streaming workload): rejected records with their reason.
-- Concept: an append-only Kafka table; with the record's source topic, partition and offset a reader
-- can find the original and check records read = counted + dead letters.
-- Delivery (--delivery): at-least-once writes at once, and after a crash again what it wrote since the last
-- checkpoint; exactly-once writes in transactions committed per checkpoint: read_committed readers see each once.
CREATE TEMPORARY TABLE ${TABLE_NAME} (
    raw_value STRING,
    reason STRING,
    source_topic STRING,
    source_partition INT,
    source_offset BIGINT
) WITH (
    'connector' = 'kafka',
    'topic' = '${TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'sink.delivery-guarantee' = '${DELIVERY_GUARANTEE}',
    'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID_PREFIX}',
    'properties.transaction.timeout.ms' = '${TRANSACTION_TIMEOUT_MS}',
    'format' = 'json'
)
