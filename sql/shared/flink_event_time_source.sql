-- shared event-time source, Flink DDL (bike-rentals, windowed-messages, strategy-join): checked records
-- with a watermark. Concept: event time and watermarks declared in the table. The columns are those of
-- flink_raw_source.sql (each record parsed once by the 'streamlab-json' format); ${TIME_COLUMN} is computed
-- from the timestamp column ${TIME_TEXT} and declared the rowtime. The format fills that column only with a
-- time that prints back as its own text, so TO_TIMESTAMP never moves 2025-02-30 to 02-28, and a record
-- whose time fails has a NULL rowtime: it moves no watermark, and its reject_reason sends it to the dead
-- letters. A record rejected for another field but with a good time still moves the watermark. The
-- WATERMARK clause says records may arrive up to ${WATERMARK_MINUTES} minute(s) out of order (Spark's
-- withWatermark delay). The Kafka source keeps a watermark per partition and passes on the smallest, so a
-- partition that is behind holds the windows open instead of losing its records.
-- With --bounded the end of the input brings a watermark of +infinity: every window fires.
CREATE TEMPORARY TABLE ${TABLE_NAME} (
    payload STRING,
    reject_reason STRING${FIELD_COLUMNS},
    kafka_topic STRING METADATA FROM 'topic' VIRTUAL,
    kafka_partition INT METADATA FROM 'partition' VIRTUAL,
    kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL,
    ${TIME_COLUMN} AS TO_TIMESTAMP(${TIME_TEXT}, 'yyyy-MM-dd HH:mm:ss'),
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
    'format' = 'streamlab-json',
    'streamlab-json.fields' = '${FIELD_RULES}',
    'streamlab-json.max-value-chars' = '${MAX_VALUE_CHARS}'
)
