-- patient-events parse step, Spark dialect: a replayed CSV row (JSON) -> its action + a reject reason.
-- The job registers this SELECT as the view patient_events_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation (the Flink twin is flink_parse.sql; the dialects
-- differ only in the JSON test and the field function). Spark's Kafka source gives `value` as
-- binary; the job casts it to the `payload` string first, so both start from the same columns.
SELECT
    get_json_object(payload, '$.action') AS action,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN json_object_keys(payload) IS NULL THEN 'not a JSON object'
        WHEN get_json_object(payload, '$.action') IS NULL THEN 'missing field: action'
        WHEN trim(get_json_object(payload, '$.action')) = '' THEN 'empty field: action'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM patient_events_raw
