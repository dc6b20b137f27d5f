-- strategy-join, join job sink, Flink DDL: the matched pairs, appended to D_input_ready.
-- Concept: an interval join emits insert-only rows (a pair, once matched, never changes), so a plain
-- append Kafka table takes them; no upsert key is needed. Kafka key: the join key, as on Spark.
-- Delivery (--delivery): at-least-once writes at once, and after a crash again what it wrote since the last
-- checkpoint; exactly-once writes in transactions committed per checkpoint: read_committed readers see each once.
CREATE TEMPORARY TABLE ready_pairs (
    key STRING,
    c_ts STRING,
    d_ts STRING,
    c_result DOUBLE,
    d_value DOUBLE
) WITH (
    'connector' = 'kafka',
    'topic' = '${READY_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'sink.delivery-guarantee' = '${DELIVERY_GUARANTEE}',
    'sink.transactional-id-prefix' = '${TRANSACTIONAL_ID_PREFIX}',
    'properties.transaction.timeout.ms' = '${TRANSACTION_TIMEOUT_MS}',
    'key.format' = 'raw',
    'key.fields' = 'key',
    'value.format' = 'json',
    'value.fields-include' = 'ALL'
)
