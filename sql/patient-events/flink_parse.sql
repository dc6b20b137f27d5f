-- patient-events parse step, Flink dialect: a replayed CSV row (JSON) -> its action + a reject reason.
-- The job registers this SELECT as the view patient_events_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation. Only `action` is required: the replay sends
-- whatever columns the CSV has, and a row whose action is missing, not a string, or empty or only
-- spaces after a careless export, cannot be counted, so it goes to the dead letters with its reason.
-- The envelope check comes first (sql/shared/flink_envelope.sql); how the field and its JSON type
-- are read on each engine is explained in sql/behavior-stats/flink_parse.sql. TRIM removes spaces on
-- both engines.
SELECT
    action,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN w_action IS NULL THEN 'missing field: action'
        WHEN SUBSTRING(w_action, 2, 1) <> '"' THEN 'not a string: action'
        WHEN TRIM(action) = '' THEN 'empty field: action'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT *, JSON_VALUE(w_action, '$[0]') AS action
    FROM (SELECT *, JSON_QUERY(payload, '$.action' WITH WRAPPER) AS w_action FROM patient_events_raw)
)
