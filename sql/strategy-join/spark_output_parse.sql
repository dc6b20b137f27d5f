-- strategy-join, join job, Spark dialect: a C_output record (JSON the strategies job wrote) -> typed columns.
-- Concept: the join validates what it reads, even the output of a job of ours: a record another
-- writer put in the topic goes to the dead letters, not into the join. `result` must be a finite JSON
-- number. Same checks and order as flink_output_parse.sql (and spark_parse.sql for the dialect).
SELECT
    key,
    x_result AS `result`,
    event_time,
    try_to_timestamp(event_time, 'yyyy-MM-dd HH:mm:ss') AS ts,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN k_key IS NULL OR k_key = 'VOID' THEN 'missing field: key'
        WHEN k_ts IS NULL OR k_ts = 'VOID' THEN 'missing field: ts'
        WHEN k_result IS NULL OR k_result = 'VOID' THEN 'missing field: result'
        WHEN k_key <> 'STRING' THEN 'not a string: key'
        WHEN k_ts <> 'STRING' THEN 'not a string: ts'
        WHEN NOT (k_result IN ('BIGINT', 'DOUBLE') OR k_result LIKE 'DECIMAL(%') THEN 'not a number: result'
        WHEN x_result IS NULL OR NOT (ABS(x_result) <= 1.7976931348623157E308) THEN 'bad number: result'
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
        schema_of_variant(variant_get(v, '$.key')) AS k_key,
        schema_of_variant(variant_get(v, '$.ts')) AS k_ts,
        schema_of_variant(variant_get(v, '$.result')) AS k_result,
        try_variant_get(v, '$.key', 'string') AS key,
        try_variant_get(v, '$.ts', 'string') AS event_time,
        try_variant_get(v, '$.result', 'double') AS x_result
    FROM c_outputs_raw
)
