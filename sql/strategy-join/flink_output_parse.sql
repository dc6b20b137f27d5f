-- strategy-join, join job, Flink dialect: a C_output record (JSON the strategies job wrote) -> typed columns.
-- Concept: the join validates what it reads, even the output of a job of ours: a record another
-- writer put in the topic goes to the dead letters, not into the join. `result` is a double as a JVM
-- writes it (36.120099999999994, 1.0E-4). Same checks and order as spark_output_parse.sql; `ts` and
-- the watermark come from the source table, as in flink_parse.sql.
SELECT
    JSON_VALUE(payload, '$.key') AS key,
    TRY_CAST(JSON_VALUE(payload, '$.result') AS DOUBLE) AS `result`,
    JSON_VALUE(payload, '$.ts') AS event_time,
    ts,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN NOT (payload IS JSON OBJECT) THEN 'not a JSON object'
        WHEN JSON_VALUE(payload, '$.key') IS NULL THEN 'missing field: key'
        WHEN JSON_VALUE(payload, '$.result') IS NULL THEN 'missing field: result'
        WHEN JSON_VALUE(payload, '$.ts') IS NULL THEN 'missing field: ts'
        WHEN NOT REGEXP(JSON_VALUE(payload, '$.result'), '(?s)^-?[0-9]{1,12}([.][0-9]{1,20})?(E-?[0-9]{1,3})?(?!.)')
            THEN 'bad number: result'
        WHEN ts IS NULL OR DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss') <> JSON_VALUE(payload, '$.ts')
            THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM c_outputs_raw
