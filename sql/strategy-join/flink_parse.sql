-- strategy-join parse step, Flink dialect: a strategy input record (JSON) -> typed columns + a reject reason.
-- Used twice: by the strategies job over A_input..D_input and by the join over D_input (${RAW_TABLE}).
-- Concept: schema-on-read with explicit validation, as in every workload. `value` must be a plain
-- decimal number (a JSON number, or its text): the regular expression makes "is a number" mean the
-- same thing on both engines, where CAST would accept 'NaN' or '1e3' on one and not the other.
-- The source table computes `ts` from the text and declares the watermark (sql/shared/
-- flink_event_time_source.sql); Spark's twin parses `ts` here. Checks and order as in spark_parse.sql.
SELECT
    JSON_VALUE(payload, '$.strategy') AS strategy,
    JSON_VALUE(payload, '$.key') AS key,
    TRY_CAST(JSON_VALUE(payload, '$.value') AS DOUBLE) AS `value`,
    JSON_VALUE(payload, '$.ts') AS event_time,
    ts,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN NOT (payload IS JSON OBJECT) THEN 'not a JSON object'
        WHEN JSON_VALUE(payload, '$.strategy') IS NULL THEN 'missing field: strategy'
        WHEN JSON_VALUE(payload, '$.key') IS NULL THEN 'missing field: key'
        WHEN JSON_VALUE(payload, '$.value') IS NULL THEN 'missing field: value'
        WHEN JSON_VALUE(payload, '$.ts') IS NULL THEN 'missing field: ts'
        WHEN NOT REGEXP(JSON_VALUE(payload, '$.value'), '(?s)^-?[0-9]{1,9}([.][0-9]{1,9})?(?!.)')
            THEN 'bad number: value'
        -- parses, and prints back the same: rejects '2025-02-30 ...', which a lenient parser would move
        WHEN ts IS NULL OR DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss') <> JSON_VALUE(payload, '$.ts')
            THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM ${RAW_TABLE}
