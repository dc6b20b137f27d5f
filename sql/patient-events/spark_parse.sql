-- patient-events parse step, Spark dialect: a replayed CSV row (JSON) -> its action + a reject reason.
-- The job registers this SELECT as the view patient_events_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation (the Flink twin is flink_parse.sql, with the same
-- checks in the same order). The source view (sql/shared/spark_envelope.sql) has parsed the value
-- into the VARIANT v; the field's JSON type is schema_of_variant of it, its text try_variant_get.
SELECT
    action,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN k_action IS NULL OR k_action = 'VOID' THEN 'missing field: action'
        WHEN k_action <> 'STRING' THEN 'not a string: action'
        WHEN trim(action) = '' THEN 'empty field: action'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT
        *,
        schema_of_variant(variant_get(v, '$.action')) AS k_action,
        try_variant_get(v, '$.action', 'string') AS action
    FROM patient_events_raw
)
