-- behavior-stats source, Flink DDL: the user_behaviors topic as a table of raw JSON strings.
-- Concept: a Kafka table with metadata columns (partition, offset) and, with --bounded,
-- 'scan.bounded.mode' = 'latest-offset': read up to the end offsets seen at start, then finish
-- (Spark's twin is trigger(availableNow=True)).
CREATE TEMPORARY TABLE user_behaviors_raw (
    payload STRING,
    kafka_partition INT METADATA FROM 'partition' VIRTUAL,
    kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL
) WITH (
    'connector' = 'kafka',
    'topic' = '${INPUT_TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'properties.group.id' = '${GROUP_ID}',
    'scan.startup.mode' = '${STARTUP_MODE}',
    'scan.bounded.mode' = '${BOUNDED_MODE}',
    'format' = 'raw',
    'raw.charset' = 'UTF-8'
)
