-- strategy-join parse step, Flink dialect: a strategy input record (JSON) -> typed columns + a reject reason.
-- Used twice: by the strategies job over A_input..D_input and by the join over D_input (${RAW_TABLE}).
-- Concept: schema-on-read with explicit validation, as in every workload: the envelope
-- (sql/shared/flink_envelope.sql), every field present, the JSON types (`value` a JSON number, the
-- others strings), `value` finite and below 1e9 in size, the time round-tripping. How a field and its
-- type are read in each dialect is explained in sql/behavior-stats/flink_parse.sql. `value` is read as
-- a DOUBLE from the number's text on both engines: the texts differ (Flink 1E+3, Spark 1000.0), the
-- values do not. The source table computes `ts` and declares the watermark (sql/shared/
-- flink_event_time_source.sql); Spark's twin parses `ts` here. Checks and order as in spark_parse.sql.
SELECT
    strategy,
    key,
    x_value AS `value`,
    event_time,
    ts,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN w_strategy IS NULL THEN 'missing field: strategy'
        WHEN w_key IS NULL THEN 'missing field: key'
        WHEN w_ts IS NULL THEN 'missing field: ts'
        WHEN w_value IS NULL THEN 'missing field: value'
        WHEN SUBSTRING(w_strategy, 2, 1) <> '"' THEN 'not a string: strategy'
        WHEN SUBSTRING(w_key, 2, 1) <> '"' THEN 'not a string: key'
        WHEN SUBSTRING(w_ts, 2, 1) <> '"' THEN 'not a string: ts'
        WHEN SUBSTRING(w_value, 2, 1) NOT IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
            THEN 'not a number: value'
        WHEN x_value IS NULL OR NOT (ABS(x_value) < 1e9) THEN 'bad number: value'
        -- parses, and prints back the same: rejects '2025-02-30 ...', which a lenient parser would move
        WHEN NOT COALESCE(DATE_FORMAT(TO_TIMESTAMP(event_time, 'yyyy-MM-dd HH:mm:ss'), 'yyyy-MM-dd HH:mm:ss') = event_time, FALSE)
            THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT
        *,
        JSON_VALUE(w_strategy, '$[0]') AS strategy,
        JSON_VALUE(w_key, '$[0]') AS key,
        JSON_VALUE(w_ts, '$[0]') AS event_time,
        TRY_CAST(JSON_VALUE(w_value, '$[0]') AS DOUBLE) AS x_value
    FROM (
        SELECT
            *,
            JSON_QUERY(payload, '$.strategy' WITH WRAPPER) AS w_strategy,
            JSON_QUERY(payload, '$.key' WITH WRAPPER) AS w_key,
            JSON_QUERY(payload, '$.ts' WITH WRAPPER) AS w_ts,
            JSON_QUERY(payload, '$.value' WITH WRAPPER) AS w_value
        FROM ${RAW_TABLE}
    )
)
