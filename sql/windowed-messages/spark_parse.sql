-- windowed-messages parse step, Spark dialect: raw JSON -> event time + a reject reason.
-- The job registers this SELECT as the view messages_checked. The checks and their order are those
-- of flink_parse.sql but for the last: Spark SQL cannot see the watermark, so a late message passes
-- here and the window aggregate drops it (counted in the query progress, not routed anywhere).
SELECT
    get_json_object(payload, '$.timestamp') AS event_time,
    try_to_timestamp(get_json_object(payload, '$.timestamp'), 'yyyy-MM-dd HH:mm:ss') AS ts,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN json_object_keys(payload) IS NULL THEN 'not a JSON object'
        WHEN get_json_object(payload, '$.timestamp') IS NULL THEN 'missing field: timestamp'
        WHEN try_to_timestamp(get_json_object(payload, '$.timestamp'), 'yyyy-MM-dd HH:mm:ss') IS NULL
            OR date_format(try_to_timestamp(get_json_object(payload, '$.timestamp'), 'yyyy-MM-dd HH:mm:ss'),
                           'yyyy-MM-dd HH:mm:ss') <> get_json_object(payload, '$.timestamp')
            THEN 'bad timestamp: timestamp'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM messages_raw
