-- strategy-join parse step, Spark dialect: a strategy input record (JSON) -> typed columns + a reject reason.
-- Used twice: by the strategies job over A_input..D_input and by the join over D_input (${RAW_TABLE}).
-- Same checks, same order as flink_parse.sql; the dialects differ as in every workload (see
-- sql/behavior-stats/spark_parse.sql) and in where `ts` comes from: Flink's source table computes it
-- (and declares the watermark there), Spark parses it here and the job declares the watermark on the
-- DataFrame (withWatermark, as in the seed).
SELECT
    strategy,
    key,
    x_value AS value,
    event_time,
    try_to_timestamp(event_time, 'yyyy-MM-dd HH:mm:ss') AS ts,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN k_strategy IS NULL OR k_strategy = 'VOID' THEN 'missing field: strategy'
        WHEN k_key IS NULL OR k_key = 'VOID' THEN 'missing field: key'
        WHEN k_ts IS NULL OR k_ts = 'VOID' THEN 'missing field: ts'
        WHEN k_value IS NULL OR k_value = 'VOID' THEN 'missing field: value'
        WHEN k_strategy <> 'STRING' THEN 'not a string: strategy'
        WHEN k_key <> 'STRING' THEN 'not a string: key'
        WHEN k_ts <> 'STRING' THEN 'not a string: ts'
        WHEN NOT (k_value IN ('BIGINT', 'DOUBLE') OR k_value LIKE 'DECIMAL(%') THEN 'not a number: value'
        WHEN x_value IS NULL OR NOT (ABS(x_value) < 1e9) THEN 'bad number: value'
        WHEN NOT COALESCE(date_format(try_to_timestamp(event_time, 'yyyy-MM-dd HH:mm:ss'), 'yyyy-MM-dd HH:mm:ss') = event_time, FALSE)
            THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT
        *,
        schema_of_variant(variant_get(v, '$.strategy')) AS k_strategy,
        schema_of_variant(variant_get(v, '$.key')) AS k_key,
        schema_of_variant(variant_get(v, '$.ts')) AS k_ts,
        schema_of_variant(variant_get(v, '$.value')) AS k_value,
        try_variant_get(v, '$.strategy', 'string') AS strategy,
        try_variant_get(v, '$.key', 'string') AS key,
        try_variant_get(v, '$.ts', 'string') AS event_time,
        try_variant_get(v, '$.value', 'double') AS x_value
    FROM ${RAW_TABLE}
)
