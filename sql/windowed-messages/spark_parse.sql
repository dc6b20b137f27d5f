-- windowed-messages parse step, Spark dialect: raw JSON -> event time + a reject reason.
-- The job registers this SELECT as the view messages_checked. The checks and their order are those
-- of flink_parse.sql but for the last: Spark SQL cannot see the watermark, so a late message passes
-- here and the window aggregate drops it (counted in the query progress, not routed anywhere). How
-- a field and its JSON type are read from the VARIANT v: sql/behavior-stats/spark_parse.sql.
SELECT
    event_time,
    try_to_timestamp(event_time, 'yyyy-MM-dd HH:mm:ss') AS ts,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN k_timestamp IS NULL OR k_timestamp = 'VOID' THEN 'missing field: timestamp'
        WHEN k_timestamp <> 'STRING' THEN 'not a string: timestamp'
        WHEN NOT COALESCE(date_format(try_to_timestamp(event_time, 'yyyy-MM-dd HH:mm:ss'), 'yyyy-MM-dd HH:mm:ss') = event_time, FALSE)
            THEN 'bad timestamp: timestamp'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT
        *,
        schema_of_variant(variant_get(v, '$.timestamp')) AS k_timestamp,
        try_variant_get(v, '$.timestamp', 'string') AS event_time
    FROM messages_raw
)
