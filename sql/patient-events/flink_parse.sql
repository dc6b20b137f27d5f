-- patient-events parse step, Flink dialect: a replayed CSV row (JSON) -> its action + a reject reason.
-- The job registers this SELECT as the view patient_events_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation. Only `action` is required: the replay sends
-- whatever columns the CSV has, and a row whose action is missing, not a string, or empty or only
-- spaces after a careless export, cannot be counted, so it goes to the dead letters with its reason.
-- The source's format (sql/shared/flink_raw_source.sql) has parsed the record once and judged the value
-- and the field's presence and JSON type; the one check it does not know, an empty action, comes last
-- here, as in spark_parse.sql. TRIM removes spaces on both engines.
SELECT
    action,
    CASE
        WHEN reject_reason IS NOT NULL THEN reject_reason
        WHEN TRIM(action) = '' THEN 'empty field: action'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM patient_events_raw
