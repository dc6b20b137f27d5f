-- shared event-time source, Flink DDL (bike-rentals, windowed-messages): raw JSON with a watermark.
-- Concept: event time and watermarks declared in the table. ${TIME_COLUMN} is computed from the JSON
-- field ${TIME_FIELD} (yyyy-MM-dd HH:mm:ss) and declared the rowtime; the WATERMARK clause says
-- records may arrive up to ${WATERMARK_MINUTES} minute(s) out of order (Spark's withWatermark delay). The
-- Kafka source keeps a watermark per partition and passes on the smallest, so a partition that is
-- behind holds the windows open instead of losing its records. A record whose time does not parse
-- has a NULL rowtime: it moves no watermark, and the parse step sends it to the dead letters. The
-- table is registered as ${TABLE_NAME}; the jobs read the envelope view over it (flink_envelope.sql).
-- With --bounded the end of the input brings a watermark of +infinity: every window fires.
CREATE TEMPORARY TABLE ${TABLE_NAME} (
    payload STRING,
    kafka_topic STRING METADATA FROM 'topic' VIRTUAL,
    kafka_partition INT METADATA FROM 'partition' VIRTUAL,
    kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL,
    -- only a time that prints back as its own text, the parse steps' rule: TO_TIMESTAMP alone would
    -- move 2025-02-30 to 02-28, and a record rejected for that time would still move the watermark
    ${TIME_COLUMN} AS CASE
        WHEN DATE_FORMAT(TO_TIMESTAMP(JSON_VALUE(payload, '$.${TIME_FIELD}'), 'yyyy-MM-dd HH:mm:ss'), 'yyyy-MM-dd HH:mm:ss')
            = JSON_VALUE(payload, '$.${TIME_FIELD}')
            THEN TO_TIMESTAMP(JSON_VALUE(payload, '$.${TIME_FIELD}'), 'yyyy-MM-dd HH:mm:ss')
    END,
    WATERMARK FOR ${TIME_COLUMN} AS ${TIME_COLUMN} - INTERVAL '${WATERMARK_MINUTES}' MINUTE
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
