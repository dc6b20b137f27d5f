-- shared raw source, Flink DDL (behavior-stats, patient-events): a topic as a table of raw JSON strings.
-- Concept: a Kafka table with metadata columns (partition, offset) and, with --bounded,
-- 'scan.bounded.mode' = 'latest-offset': read up to the end offsets seen at start, then finish
-- (Spark's twin is trigger(availableNow=True)). 'format' = 'raw' rather than 'json': the parse
-- step validates each record itself, where 'json.ignore-parse-errors' would drop bad ones silently.
CREATE TEMPORARY TABLE ${TABLE_NAME} (
    payload STRING,
    kafka_topic STRING METADATA FROM 'topic' VIRTUAL,
    kafka_partition INT METADATA FROM 'partition' VIRTUAL,
    kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL
) WITH (
    'connector' = 'kafka',
    'topic' = '${TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'properties.group.id' = '${GROUP_ID}',
    -- records of aborted transactions (an exactly-once writer killed mid-checkpoint) are never read
    'properties.isolation.level' = 'read_committed',
    'scan.startup.mode' = '${STARTUP_MODE}',
    'scan.bounded.mode' = '${BOUNDED_MODE}',
    'format' = 'raw',
    'raw.charset' = 'UTF-8'
)
