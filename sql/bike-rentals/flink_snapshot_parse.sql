-- bike-rentals snapshot parse step, Flink dialect: raw JSON snapshot -> typed columns + a reject reason.
-- The derive job registers this SELECT as the view bike_snapshots_checked. The checks mirror
-- flink_parse.sql (events), for the snapshot's fields; rows behind the watermark, which the LAG
-- over event time would drop, go to the snapshot dead letters instead.
SELECT
    stt_id,
    stt_nm,
    TRY_CAST(d_tot_prk_cnt AS BIGINT) AS tot_prk_cnt,
    CASE WHEN SUBSTRING(w_stt_lttd, 2, 1) = '"' THEN JSON_VALUE(w_stt_lttd, '$[0]') END AS stt_lttd,
    CASE WHEN SUBSTRING(w_stt_lgtd, 2, 1) = '"' THEN JSON_VALUE(w_stt_lgtd, '$[0]') END AS stt_lgtd,
    crt_dttm,
    crt_ts,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN w_stt_id IS NULL THEN 'missing field: stt_id'
        WHEN w_stt_nm IS NULL THEN 'missing field: stt_nm'
        WHEN w_crt_dttm IS NULL THEN 'missing field: crt_dttm'
        WHEN w_tot_prk_cnt IS NULL THEN 'missing field: tot_prk_cnt'
        WHEN SUBSTRING(w_stt_id, 2, 1) <> '"' THEN 'not a string: stt_id'
        WHEN SUBSTRING(w_stt_nm, 2, 1) <> '"' THEN 'not a string: stt_nm'
        WHEN SUBSTRING(w_crt_dttm, 2, 1) <> '"' THEN 'not a string: crt_dttm'
        WHEN SUBSTRING(w_tot_prk_cnt, 2, 1) NOT IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
            THEN 'not a number: tot_prk_cnt'
        WHEN d_tot_prk_cnt IS NULL OR d_tot_prk_cnt < 0 OR d_tot_prk_cnt > 999999999
            OR d_tot_prk_cnt <> FLOOR(d_tot_prk_cnt) THEN 'bad count: tot_prk_cnt'
        WHEN NOT COALESCE(DATE_FORMAT(TO_TIMESTAMP(crt_dttm, 'yyyy-MM-dd HH:mm:ss'), 'yyyy-MM-dd HH:mm:ss') = crt_dttm, FALSE)
            THEN 'bad timestamp: crt_dttm'
        WHEN crt_ts <= CURRENT_WATERMARK(crt_ts) THEN 'late: behind the watermark'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT
        *,
        JSON_VALUE(w_stt_id, '$[0]') AS stt_id,
        JSON_VALUE(w_stt_nm, '$[0]') AS stt_nm,
        JSON_VALUE(w_crt_dttm, '$[0]') AS crt_dttm,
        TRY_CAST(JSON_VALUE(w_tot_prk_cnt, '$[0]') AS DECIMAL(20, 10)) AS d_tot_prk_cnt
    FROM (
        SELECT
            *,
            JSON_QUERY(payload, '$.stt_id' WITH WRAPPER) AS w_stt_id,
            JSON_QUERY(payload, '$.stt_nm' WITH WRAPPER) AS w_stt_nm,
            JSON_QUERY(payload, '$.crt_dttm' WITH WRAPPER) AS w_crt_dttm,
            JSON_QUERY(payload, '$.tot_prk_cnt' WITH WRAPPER) AS w_tot_prk_cnt,
            JSON_QUERY(payload, '$.stt_lttd' WITH WRAPPER) AS w_stt_lttd,
            JSON_QUERY(payload, '$.stt_lgtd' WITH WRAPPER) AS w_stt_lgtd
        FROM bike_snapshots_raw
    )
)
