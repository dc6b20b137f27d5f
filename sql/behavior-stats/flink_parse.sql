-- behavior-stats parse step, Flink dialect: raw JSON text -> typed columns + a reject reason.
-- The job registers this SELECT as the view user_behaviors_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation. The source reads the value as a raw STRING
-- instead of 'format' = 'json' because 'json.ignore-parse-errors' would drop bad records
-- silently; here every record either parses or carries the reason it did not.
-- Side by side with spark_parse.sql, the dialects differ in three places:
--   JSON test:   Flink `payload IS JSON OBJECT`        Spark `json_object_keys(payload) IS NOT NULL`
--   field:       Flink JSON_VALUE(payload, '$.f')       Spark get_json_object(payload, '$.f')
--   timestamp:   Flink TO_TIMESTAMP(s, fmt) (NULL on a bad string)
--                Spark try_to_timestamp(s, fmt) (to_timestamp would fail the query under ANSI mode)
SELECT
    JSON_VALUE(payload, '$.user_id') AS user_id,
    JSON_VALUE(payload, '$.item_id') AS item_id,
    JSON_VALUE(payload, '$.category') AS category,
    JSON_VALUE(payload, '$.behavior') AS behavior,
    TO_TIMESTAMP(JSON_VALUE(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss.SSS') AS ts,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN NOT (payload IS JSON OBJECT) THEN 'not a JSON object'
        WHEN JSON_VALUE(payload, '$.category') IS NULL THEN 'missing field: category'
        WHEN JSON_VALUE(payload, '$.behavior') IS NULL THEN 'missing field: behavior'
        WHEN JSON_VALUE(payload, '$.ts') IS NULL THEN 'missing field: ts'
        WHEN TO_TIMESTAMP(JSON_VALUE(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss.SSS') IS NULL
            THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM user_behaviors_raw
