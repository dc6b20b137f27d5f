-- bike-rentals dead-letter sink, Flink DDL: rejected records with their reason, append-only.
-- Used for the events' and for the snapshots' dead-letter topics.
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
    'format' = 'json'
)
