-- strategy-join, strategies job sink, Flink DDL: one Kafka table over the four X_output topics.
-- Concept: a sink that writes each row to the topic its writable `topic` metadata column names
-- (one of those listed in 'topic'); the Spark twin writes a `topic` column the same way. The Kafka
-- key is the record's key (raw bytes), the value the JSON of every physical column.
-- Delivery (--delivery): at-least-once writes at once, and after a crash again what it wrote since the last
-- checkpoint; exactly-once writes in transactions committed per checkpoint: read_committed readers see each once.
CREATE TEMPORARY TABLE strategy_outputs (
    strategy STRING,
    key STRING,
    ts STRING,
    `value` DOUBLE,
    `result` DOUBLE,
    output_topic STRING METADATA FROM 'topic'
) WITH (
    'connector' = 'kafka',
    'topic' = '${OUTPUT_TOPICS}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'sink.delivery-guarantee' = '${DELIVERY_GUARANTEE}',
    'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID_PREFIX}',
    'properties.transaction.timeout.ms' = '${TRANSACTION_TIMEOUT_MS}',
    'key.format' = 'raw',
    'key.fields' = 'key',
    'value.format' = 'json',
    'value.fields-include' = 'ALL'
)
