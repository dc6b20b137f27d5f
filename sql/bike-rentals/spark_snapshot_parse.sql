-- bike-rentals snapshot parse step, Spark dialect: raw JSON snapshot -> typed columns + a reject reason.
-- The derive job registers this SELECT as the view bike_snapshots_checked; the checks are those of
-- flink_snapshot_parse.sql, less the watermark one: Spark's stateful function keeps each station's
-- last snapshot itself and sends a snapshot older than that to the dead letters instead.
SELECT
    stt_id,
    stt_nm,
    TRY_CAST(d_tot_prk_cnt AS BIGINT) AS tot_prk_cnt,
    CASE WHEN k_stt_lttd = 'STRING' THEN try_variant_get(v, '$.stt_lttd', 'string') END AS stt_lttd,
    CASE WHEN k_stt_lgtd = 'STRING' THEN try_variant_get(v, '$.stt_lgtd', 'string') END AS stt_lgtd,
    crt_dttm,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN k_stt_id IS NULL OR k_stt_id = 'VOID' THEN 'missing field: stt_id'
        WHEN k_stt_nm IS NULL OR k_stt_nm = 'VOID' THEN 'missing field: stt_nm'
        WHEN k_crt_dttm IS NULL OR k_crt_dttm = 'VOID' THEN 'missing field: crt_dttm'
        WHEN k_tot_prk_cnt IS NULL OR k_tot_prk_cnt = 'VOID' THEN 'missing field: tot_prk_cnt'
        WHEN k_stt_id <> 'STRING' THEN 'not a string: stt_id'
        WHEN k_stt_nm <> 'STRING' THEN 'not a string: stt_nm'
        WHEN k_crt_dttm <> 'STRING' THEN 'not a string: crt_dttm'
        WHEN NOT (k_tot_prk_cnt IN ('BIGINT', 'DOUBLE') OR k_tot_prk_cnt LIKE 'DECIMAL(%')
            THEN 'not a number: tot_prk_cnt'
        WHEN d_tot_prk_cnt IS NULL OR d_tot_prk_cnt < 0 OR d_tot_prk_cnt > 999999999
            OR d_tot_prk_cnt <> FLOOR(d_tot_prk_cnt) THEN 'bad count: tot_prk_cnt'
        WHEN NOT COALESCE(date_format(try_to_timestamp(crt_dttm, 'yyyy-MM-dd HH:mm:ss'), 'yyyy-MM-dd HH:mm:ss') = crt_dttm, FALSE)
            THEN 'bad timestamp: crt_dttm'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT
        *,
        schema_of_variant(variant_get(v, '$.stt_id')) AS k_stt_id,
        schema_of_variant(variant_get(v, '$.stt_nm')) AS k_stt_nm,
        schema_of_variant(variant_get(v, '$.crt_dttm')) AS k_crt_dttm,
        schema_of_variant(variant_get(v, '$.tot_prk_cnt')) AS k_tot_prk_cnt,
        schema_of_variant(variant_get(v, '$.stt_lttd')) AS k_stt_lttd,
        schema_of_variant(variant_get(v, '$.stt_lgtd')) AS k_stt_lgtd,
        try_variant_get(v, '$.stt_id', 'string') AS stt_id,
        try_variant_get(v, '$.stt_nm', 'string') AS stt_nm,
        try_variant_get(v, '$.crt_dttm', 'string') AS crt_dttm,
        try_variant_get(v, '$.tot_prk_cnt', 'decimal(20,10)') AS d_tot_prk_cnt
    FROM bike_snapshots_raw
)
