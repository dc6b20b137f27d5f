-- strategy-join, join job, Flink dialect: a C_output record (JSON the strategies job wrote) -> typed columns.
-- Concept: the join validates what it reads, even the output of a job of ours: a record another
-- writer put in the topic goes to the dead letters, not into the join. `result` must be a finite JSON
-- number (a JVM writes doubles as 36.120099999999994 or 1.0E-4); it is read as a DOUBLE from the
-- number's text on both engines. Same checks and order as spark_output_parse.sql and as the
-- strategies' parse step (flink_parse.sql); `ts` and the watermark come from the source table.
SELECT
    key,
    x_result AS `result`,
    event_time,
    ts,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN w_key IS NULL THEN 'missing field: key'
        WHEN w_ts IS NULL THEN 'missing field: ts'
        WHEN w_result IS NULL THEN 'missing field: result'
        WHEN SUBSTRING(w_key, 2, 1) <> '"' THEN 'not a string: key'
        WHEN SUBSTRING(w_ts, 2, 1) <> '"' THEN 'not a string: ts'
        WHEN SUBSTRING(w_result, 2, 1) NOT IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
            THEN 'not a number: result'
        WHEN x_result IS NULL OR NOT (ABS(x_result) <= 1.7976931348623157E308) THEN 'bad number: result'
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
        JSON_VALUE(w_key, '$[0]') AS key,
        JSON_VALUE(w_ts, '$[0]') AS event_time,
        TRY_CAST(JSON_VALUE(w_result, '$[0]') AS DOUBLE) AS x_result
    FROM (
        SELECT
            *,
            JSON_QUERY(payload, '$.key' WITH WRAPPER) AS w_key,
            JSON_QUERY(payload, '$.ts' WITH WRAPPER) AS w_ts,
            JSON_QUERY(payload, '$.result' WITH WRAPPER) AS w_result
        FROM c_outputs_raw
    )
)
