-- windowed-messages sink, Flink DDL: an upsert-kafka table keyed by the window.
-- Concept: a compacted topic keyed by (window_start, window_end) makes the latest record per window
-- the answer whatever the output mode: Flink's window emits each window once (inserts), Spark's
-- update mode may emit a window several times, each time with its count so far.
CREATE TEMPORARY TABLE message_counts (
    window_start STRING,
    window_end STRING,
    message_count BIGINT,
    PRIMARY KEY (window_start, window_end) NOT ENFORCED
) WITH (
    'connector' = 'upsert-kafka',
    'topic' = '${OUTPUT_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'key.format' = 'json',
    'value.format' = 'json'
)
