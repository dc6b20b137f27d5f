-- bike-rentals source, Flink DDL: a topic of raw JSON (events, or snapshots) with an event-time attribute.
-- Concept: event time and watermarks. crt_ts is computed from the JSON's crt_dttm and declared the
-- table's rowtime; the WATERMARK clause says records may arrive up to ${WATERMARK_MINUTES} minutes out of
-- order. The Kafka source tracks a watermark per partition and passes on the smallest, so a
-- partition that is behind holds the hour open instead of losing its records. A record whose
-- crt_dttm does not parse has a NULL crt_ts: it moves no watermark and goes to the dead letters.
-- Used twice: bike_events_raw (the hourly job) and bike_snapshots_raw (the derive job).
CREATE TEMPORARY TABLE ${TABLE_NAME} (
    payload STRING,
    kafka_partition INT METADATA FROM 'partition' VIRTUAL,
    kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL,
    crt_ts AS TO_TIMESTAMP(JSON_VALUE(payload, '$.crt_dttm'), 'yyyy-MM-dd HH:mm:ss'),
    WATERMARK FOR crt_ts AS crt_ts - INTERVAL '${WATERMARK_MINUTES}' MINUTE
) WITH (
    'connector' = 'kafka',
    'topic' = '${TOPIC}',
    'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
    'properties.group.id' = '${GROUP_ID}',
    'scan.startup.mode' = '${STARTUP_MODE}',
    'scan.bounded.mode' = '${BOUNDED_MODE}',
    'format' = 'raw',
    'raw.charset' = 'UTF-8'
)
