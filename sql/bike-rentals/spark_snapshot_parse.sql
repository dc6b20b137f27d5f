-- bike-rentals snapshot parse step, Spark dialect: raw JSON snapshot -> typed columns + a reject reason.
-- The derive job registers this SELECT as the view bike_snapshots_checked; the checks are those of
-- flink_snapshot_parse.sql, less the watermark one: Spark's stateful function keeps each station's
-- last snapshot itself and sends a snapshot older than that to the dead letters instead.
SELECT
    get_json_object(payload, '$.stt_id') AS stt_id,
    get_json_object(payload, '$.stt_nm') AS stt_nm,
    TRY_CAST(get_json_object(payload, '$.tot_prk_cnt') AS BIGINT) AS tot_prk_cnt,
    get_json_object(payload, '$.stt_lttd') AS stt_lttd,
    get_json_object(payload, '$.stt_lgtd') AS stt_lgtd,
    get_json_object(payload, '$.crt_dttm') AS crt_dttm,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN json_object_keys(payload) IS NULL THEN 'not a JSON object'
        WHEN get_json_object(payload, '$.stt_id') IS NULL THEN 'missing field: stt_id'
        WHEN get_json_object(payload, '$.stt_nm') IS NULL THEN 'missing field: stt_nm'
        WHEN get_json_object(payload, '$.crt_dttm') IS NULL THEN 'missing field: crt_dttm'
        WHEN get_json_object(payload, '$.tot_prk_cnt') IS NULL THEN 'missing field: tot_prk_cnt'
        WHEN NOT REGEXP(get_json_object(payload, '$.tot_prk_cnt'), '(?s)^[0-9]{1,9}(?!.)') THEN 'bad count: tot_prk_cnt'
        WHEN try_to_timestamp(get_json_object(payload, '$.crt_dttm'), 'yyyy-MM-dd HH:mm:ss') IS NULL
            OR date_format(try_to_timestamp(get_json_object(payload, '$.crt_dttm'), 'yyyy-MM-dd HH:mm:ss'),
                           'yyyy-MM-dd HH:mm:ss') <> get_json_object(payload, '$.crt_dttm')
            THEN 'bad timestamp: crt_dttm'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM bike_snapshots_raw
