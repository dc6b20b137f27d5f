-- strategy-join parse step, Spark dialect: a strategy input record (JSON) -> typed columns + a reject reason.
-- Used twice: by the strategies job over A_input..D_input and by the join over D_input (${RAW_TABLE}).
-- Same checks, same order as flink_parse.sql; the dialects differ as in every workload (JSON_VALUE vs
-- get_json_object, IS JSON OBJECT vs json_object_keys) and in where `ts` comes from: Flink's source
-- table computes it (and declares the watermark there), Spark parses it here and the job declares
-- the watermark on the DataFrame (withWatermark, as in the seed).
SELECT
    get_json_object(payload, '$.strategy') AS strategy,
    get_json_object(payload, '$.key') AS key,
    TRY_CAST(get_json_object(payload, '$.value') AS DOUBLE) AS value,
    get_json_object(payload, '$.ts') AS event_time,
    try_to_timestamp(get_json_object(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss') AS ts,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN json_object_keys(payload) IS NULL THEN 'not a JSON object'
        WHEN get_json_object(payload, '$.strategy') IS NULL THEN 'missing field: strategy'
        WHEN get_json_object(payload, '$.key') IS NULL THEN 'missing field: key'
        WHEN get_json_object(payload, '$.value') IS NULL THEN 'missing field: value'
        WHEN get_json_object(payload, '$.ts') IS NULL THEN 'missing field: ts'
        WHEN NOT REGEXP(get_json_object(payload, '$.value'), '(?s)^-?[0-9]{1,9}([.][0-9]{1,9})?(?!.)')
            THEN 'bad number: value'
        WHEN try_to_timestamp(get_json_object(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss') IS NULL
            OR date_format(try_to_timestamp(get_json_object(payload, '$.ts'), 'yyyy-MM-dd HH:mm:ss'),
                           'yyyy-MM-dd HH:mm:ss') <> get_json_object(payload, '$.ts')
            THEN 'bad timestamp: ts'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM ${RAW_TABLE}
