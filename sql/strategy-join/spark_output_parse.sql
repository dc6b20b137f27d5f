-- strategy-join, join job, Spark dialect: a C_output record (JSON the strategies job wrote) -> typed columns.
-- Concept: the join validates what it reads, even the output of a job of ours: a record another
-- writer put in the topic goes to the dead letters, not into the join. `result` is a double as a JVM
-- writes it (36.120099999999994, 1.0E-4). Same checks and order as flink_output_parse.sql.
SELECT
    get_json_object(payload, '$.key') AS key,
    TRY_CAST(get_json_object(payload, '$.result') AS DOUBLE) AS `result`,
    get_json_object(payload, '$.ts') AS event_time,
    try_to_timestamp(get_json_object(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss') AS ts,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN json_object_keys(payload) IS NULL THEN 'not a JSON object'
        WHEN get_json_object(payload, '$.key') IS NULL THEN 'missing field: key'
        WHEN get_json_object(payload, '$.result') IS NULL THEN 'missing field: result'
        WHEN get_json_object(payload, '$.ts') IS NULL THEN 'missing field: ts'
        WHEN NOT REGEXP(get_json_object(payload, '$.result'), '(?s)^-?[0-9]{1,12}([.][0-9]{1,20})?(E-?[0-9]{1,3})?(?!.)')
            THEN 'bad number: result'
        WHEN try_to_timestamp(get_json_object(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss') IS NULL
            OR date_format(try_to_timestamp(get_json_object(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss'),
                           'yyyy-MM-dd HH:mm:ss') <> get_json_object(payload, '$.ts')
            THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM c_outputs_raw
