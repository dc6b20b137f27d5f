-- behavior-stats parse step, Spark dialect: raw JSON text -> typed columns + a reject reason.
-- The job registers this SELECT as the view user_behaviors_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation (see flink_parse.sql for the Flink twin and
-- the three dialect differences). The Kafka source gives `value` as binary; the job casts it
-- to the `payload` string before this view, so both dialects start from the same columns.
SELECT
    get_json_object(payload, '$.user_id') AS user_id,
    get_json_object(payload, '$.item_id') AS item_id,
    get_json_object(payload, '$.category') AS category,
    get_json_object(payload, '$.behavior') AS behavior,
    try_to_timestamp(get_json_object(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss.SSS') AS ts,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN json_object_keys(payload) IS NULL THEN 'not a JSON object'
        WHEN get_json_object(payload, '$.category') IS NULL THEN 'missing field: category'
        WHEN get_json_object(payload, '$.behavior') IS NULL THEN 'missing field: behavior'
        WHEN get_json_object(payload, '$.ts') IS NULL THEN 'missing field: ts'
        WHEN try_to_timestamp(get_json_object(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss.SSS') IS NULL
            THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM user_behaviors_raw
