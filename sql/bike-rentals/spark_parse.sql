-- bike-rentals parse step, Spark dialect: raw JSON event -> typed columns + a reject reason.
-- The job registers this SELECT as the view bike_events_checked. Same checks, same order, as
-- flink_parse.sql (see there for the dialect differences); there is no late-data check, because
-- the Spark twin merges each micro-batch into the hours it has already written.
SELECT
    get_json_object(payload, '$.stt_id') AS stt_id,
    get_json_object(payload, '$.stt_nm') AS stt_nm,
    TRY_CAST(get_json_object(payload, '$.rent_cnt') AS BIGINT) AS rent_cnt,
    TRY_CAST(get_json_object(payload, '$.return_cnt') AS BIGINT) AS return_cnt,
    TRY_CAST(get_json_object(payload, '$.lst_prk_cnt') AS BIGINT) AS lst_prk_cnt,
    get_json_object(payload, '$.stt_lttd') AS stt_lttd,
    get_json_object(payload, '$.stt_lgtd') AS stt_lgtd,
    get_json_object(payload, '$.crt_dttm') AS crt_dttm,
    try_to_timestamp(get_json_object(payload, '$.crt_dttm'), 'yyyy-MM-dd HH:mm:ss') AS crt_ts,
    CONCAT(get_json_object(payload, '$.crt_dttm'), '|', LPAD(get_json_object(payload, '$.lst_prk_cnt'), 9, '0'))
        AS time_and_count,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN json_object_keys(payload) IS NULL THEN 'not a JSON object'
        WHEN get_json_object(payload, '$.stt_id') IS NULL THEN 'missing field: stt_id'
        WHEN get_json_object(payload, '$.stt_nm') IS NULL THEN 'missing field: stt_nm'
        WHEN get_json_object(payload, '$.crt_dttm') IS NULL THEN 'missing field: crt_dttm'
        WHEN get_json_object(payload, '$.rent_cnt') IS NULL THEN 'missing field: rent_cnt'
        WHEN get_json_object(payload, '$.return_cnt') IS NULL THEN 'missing field: return_cnt'
        WHEN get_json_object(payload, '$.lst_prk_cnt') IS NULL THEN 'missing field: lst_prk_cnt'
        WHEN NOT REGEXP(get_json_object(payload, '$.rent_cnt'), '(?s)^[0-9]{1,9}(?!.)') THEN 'bad count: rent_cnt'
        WHEN NOT REGEXP(get_json_object(payload, '$.return_cnt'), '(?s)^[0-9]{1,9}(?!.)') THEN 'bad count: return_cnt'
        WHEN NOT REGEXP(get_json_object(payload, '$.lst_prk_cnt'), '(?s)^[0-9]{1,9}(?!.)') THEN 'bad count: lst_prk_cnt'
        WHEN try_to_timestamp(get_json_object(payload, '$.crt_dttm'), 'yyyy-MM-dd HH:mm:ss') IS NULL
            OR date_format(try_to_timestamp(get_json_object(payload, '$.crt_dttm'), 'yyyy-MM-dd HH:mm:ss'),
                           'yyyy-MM-dd HH:mm:ss') <> get_json_object(payload, '$.crt_dttm')
            THEN 'bad timestamp: crt_dttm'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM bike_events_raw
