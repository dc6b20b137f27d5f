-- patient-events parse step, Flink dialect: a replayed CSV row (JSON) -> its action + a reject reason.
-- The job registers this SELECT as the view patient_events_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation. Only `action` is required: the replay sends
-- whatever columns the CSV has, and a row whose action is missing, or empty or only spaces after
-- a careless export, cannot be counted, so it goes to the dead letters with its reason.
-- Side by side with spark_parse.sql: Flink `payload IS JSON OBJECT` / JSON_VALUE where Spark has
-- `json_object_keys(payload) IS NOT NULL` / get_json_object; TRIM removes spaces on both.
SELECT
    JSON_VALUE(payload, '$.action') AS action,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN NOT (payload IS JSON OBJECT) THEN 'not a JSON object'
        WHEN JSON_VALUE(payload, '$.action') IS NULL THEN 'missing field: action'
        WHEN TRIM(JSON_VALUE(payload, '$.action')) = '' THEN 'empty field: action'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM patient_events_raw
