-- bike-rentals snapshot parse step, Flink dialect: raw JSON snapshot -> typed columns + a reject reason.
-- The derive job registers this SELECT as the view bike_snapshots_checked. The checks mirror
-- flink_parse.sql (events), for the snapshot's fields; rows behind the watermark, which the LAG
-- over event time would drop, go to the snapshot dead letters instead.
SELECT
    JSON_VALUE(payload, '$.stt_id') AS stt_id,
    JSON_VALUE(payload, '$.stt_nm') AS stt_nm,
    TRY_CAST(JSON_VALUE(payload, '$.tot_prk_cnt') AS BIGINT) AS tot_prk_cnt,
    JSON_VALUE(payload, '$.stt_lttd') AS stt_lttd,
    JSON_VALUE(payload, '$.stt_lgtd') AS stt_lgtd,
    JSON_VALUE(payload, '$.crt_dttm') AS crt_dttm,
    crt_ts,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN NOT (payload IS JSON OBJECT) THEN 'not a JSON object'
        WHEN JSON_VALUE(payload, '$.stt_id') IS NULL THEN 'missing field: stt_id'
        WHEN JSON_VALUE(payload, '$.stt_nm') IS NULL THEN 'missing field: stt_nm'
        WHEN JSON_VALUE(payload, '$.crt_dttm') IS NULL THEN 'missing field: crt_dttm'
        WHEN JSON_VALUE(payload, '$.tot_prk_cnt') IS NULL THEN 'missing field: tot_prk_cnt'
        WHEN NOT REGEXP(JSON_VALUE(payload, '$.tot_prk_cnt'), '(?s)^[0-9]{1,9}(?!.)') THEN 'bad count: tot_prk_cnt'
        WHEN crt_ts IS NULL OR DATE_FORMAT(crt_ts, 'yyyy-MM-dd HH:mm:ss') <> JSON_VALUE(payload, '$.crt_dttm')
            THEN 'bad timestamp: crt_dttm'
        WHEN crt_ts <= CURRENT_WATERMARK(crt_ts) THEN 'late: behind the watermark'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM bike_snapshots_raw
