-- behavior-stats parse step, Flink dialect: raw JSON text -> typed columns + a reject reason.
-- The job registers this SELECT as the view user_behaviors_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation. The source reads the value as raw text instead
-- of 'format' = 'json', whose 'json.ignore-parse-errors' would drop bad records silently; here every
-- record either parses or carries the reason it did not, the same reason on both engines:
-- envelope_reason (sql/shared/flink_envelope.sql), then missing fields, then JSON types, then the
-- timestamp. Side by side with spark_parse.sql, the dialects differ in how a field and its JSON type
-- are read:
--   Flink  w = JSON_QUERY(payload, '$.f' WITH WRAPPER) is the field as JSON in brackets (["view"],
--          [7], [["view"]]); its second character is the type: '"' a string, '[' an array, '{' an
--          object, a digit or '-' a number, t/f a boolean. JSON_VALUE(w, '$[0]') is the value.
--          (JSON_VALUE(payload, '$.f') alone gives 7 for a number and NULL for an array.)
--   Spark  schema_of_variant(variant_get(v, '$.f')) names the type: STRING, BIGINT, ARRAY<...>, ...
--   timestamp: valid when it parses with the pattern and prints back the same text. Flink's
--          TO_TIMESTAMP alone moves 2025-02-30 to 02-28 and accepts a missing .SSS; Spark's
--          try_to_timestamp rejects both; the round trip gives both engines Spark's strictness.
SELECT
    CASE WHEN SUBSTRING(w_user_id, 2, 1) = '"' THEN JSON_VALUE(w_user_id, '$[0]') END AS user_id,
    CASE WHEN SUBSTRING(w_item_id, 2, 1) = '"' THEN JSON_VALUE(w_item_id, '$[0]') END AS item_id,
    JSON_VALUE(w_category, '$[0]') AS category,
    JSON_VALUE(w_behavior, '$[0]') AS behavior,
    TO_TIMESTAMP(ts_text, 'yyyy-MM-dd HH:mm:ss.SSS') AS ts,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN w_category IS NULL THEN 'missing field: category'
        WHEN w_behavior IS NULL THEN 'missing field: behavior'
        WHEN w_ts IS NULL THEN 'missing field: ts'
        WHEN SUBSTRING(w_category, 2, 1) <> '"' THEN 'not a string: category'
        WHEN SUBSTRING(w_behavior, 2, 1) <> '"' THEN 'not a string: behavior'
        WHEN SUBSTRING(w_ts, 2, 1) <> '"' THEN 'not a string: ts'
        WHEN NOT COALESCE(
            DATE_FORMAT(TO_TIMESTAMP(ts_text, 'yyyy-MM-dd HH:mm:ss.SSS'), 'yyyy-MM-dd HH:mm:ss.SSS') = ts_text, FALSE
        ) THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT *, JSON_VALUE(w_ts, '$[0]') AS ts_text
    FROM (
        SELECT
            *,
            JSON_QUERY(payload, '$.user_id' WITH WRAPPER) AS w_user_id,
            JSON_QUERY(payload, '$.item_id' WITH WRAPPER) AS w_item_id,
            JSON_QUERY(payload, '$.category' WITH WRAPPER) AS w_category,
            JSON_QUERY(payload, '$.behavior' WITH WRAPPER) AS w_behavior,
            JSON_QUERY(payload, '$.ts' WITH WRAPPER) AS w_ts
        FROM user_behaviors_raw
    )
)
