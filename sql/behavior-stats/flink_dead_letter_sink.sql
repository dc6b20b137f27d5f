-- behavior-stats dead-letter sink, Flink DDL: rejected records with their reason, append-only.
CREATE TEMPORARY TABLE behavior_dead_letters (
    raw_value STRING,
    reason STRING,
    source_topic STRING,
    source_partition INT,
    source_offset BIGINT
) WITH (
    'connector' = 'kafka',
    'topic' = '${DEAD_LETTER_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'format' = 'json'
)
