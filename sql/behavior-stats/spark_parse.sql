-- behavior-stats parse step, Spark dialect: raw JSON text -> typed columns + a reject reason.
-- The job registers this SELECT as the view user_behaviors_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation (see flink_parse.sql for the Flink twin, the
-- order of the checks and how the dialects read a field and its JSON type). The source view
-- (sql/shared/spark_envelope.sql) has parsed the value once into the VARIANT v; a field's type is
-- schema_of_variant of it (NULL when absent, VOID for a JSON null) and its text try_variant_get.
SELECT
    CASE WHEN k_user_id = 'STRING' THEN try_variant_get(v, '$.user_id', 'string') END AS user_id,
    CASE WHEN k_item_id = 'STRING' THEN try_variant_get(v, '$.item_id', 'string') END AS item_id,
    try_variant_get(v, '$.category', 'string') AS category,
    try_variant_get(v, '$.behavior', 'string') AS behavior,
    try_to_timestamp(ts_text, 'yyyy-MM-dd HH:mm:ss.SSS') AS ts,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN k_category IS NULL OR k_category = 'VOID' THEN 'missing field: category'
        WHEN k_behavior IS NULL OR k_behavior = 'VOID' THEN 'missing field: behavior'
        WHEN k_ts IS NULL OR k_ts = 'VOID' THEN 'missing field: ts'
        WHEN k_category <> 'STRING' THEN 'not a string: category'
        WHEN k_behavior <> 'STRING' THEN 'not a string: behavior'
        WHEN k_ts <> 'STRING' THEN 'not a string: ts'
        WHEN NOT COALESCE(
            date_format(try_to_timestamp(ts_text, 'yyyy-MM-dd HH:mm:ss.SSS'), 'yyyy-MM-dd HH:mm:ss.SSS') = ts_text, FALSE
        ) THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT
        *,
        schema_of_variant(variant_get(v, '$.user_id')) AS k_user_id,
        schema_of_variant(variant_get(v, '$.item_id')) AS k_item_id,
        schema_of_variant(variant_get(v, '$.category')) AS k_category,
        schema_of_variant(variant_get(v, '$.behavior')) AS k_behavior,
        schema_of_variant(variant_get(v, '$.ts')) AS k_ts,
        try_variant_get(v, '$.ts', 'string') AS ts_text
    FROM user_behaviors_raw
)
