-- windowed-messages sink, Flink DDL: an upsert-kafka table keyed by the window.
-- Concept: a compacted topic keyed by (window_start, window_end) makes the latest record per window
-- the answer whatever the output mode: Flink's window emits each window once (inserts), Spark's
-- update mode may emit a window several times, each time with its count so far.
-- Delivery (--delivery): at-least-once writes at once, and after a crash again what it wrote since the last
-- checkpoint; exactly-once writes in transactions committed per checkpoint: read_committed readers see each once.
CREATE TEMPORARY TABLE message_counts (
    window_start STRING,
    window_end STRING,
    message_count BIGINT,
    PRIMARY KEY (window_start, window_end) NOT ENFORCED
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
