-- bike-rentals parse step, Spark dialect: raw JSON event -> typed columns + a reject reason.
-- The job registers this SELECT as the view bike_events_checked. Same checks, same order, as
-- flink_parse.sql (see there, and sql/behavior-stats/spark_parse.sql for reading a field and its
-- JSON type from the VARIANT v); there is no late-data check, because the Spark twin merges each
-- micro-batch into the hours it has already written.
SELECT
    stt_id,
    stt_nm,
    TRY_CAST(d_rent_cnt AS BIGINT) AS rent_cnt,
    TRY_CAST(d_return_cnt AS BIGINT) AS return_cnt,
    TRY_CAST(d_lst_prk_cnt AS BIGINT) AS lst_prk_cnt,
    CASE WHEN k_stt_lttd = 'STRING' THEN try_variant_get(v, '$.stt_lttd', 'string') END AS stt_lttd,
    CASE WHEN k_stt_lgtd = 'STRING' THEN try_variant_get(v, '$.stt_lgtd', 'string') END AS stt_lgtd,
    crt_dttm,
    try_to_timestamp(crt_dttm, 'yyyy-MM-dd HH:mm:ss') AS crt_ts,
    CONCAT(crt_dttm, '|', LPAD(CAST(TRY_CAST(d_lst_prk_cnt AS BIGINT) AS STRING), 9, '0')) AS time_and_count,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN k_stt_id IS NULL OR k_stt_id = 'VOID' THEN 'missing field: stt_id'
        WHEN k_stt_nm IS NULL OR k_stt_nm = 'VOID' THEN 'missing field: stt_nm'
        WHEN k_crt_dttm IS NULL OR k_crt_dttm = 'VOID' THEN 'missing field: crt_dttm'
        WHEN k_rent_cnt IS NULL OR k_rent_cnt = 'VOID' THEN 'missing field: rent_cnt'
        WHEN k_return_cnt IS NULL OR k_return_cnt = 'VOID' THEN 'missing field: return_cnt'
        WHEN k_lst_prk_cnt IS NULL OR k_lst_prk_cnt = 'VOID' THEN 'missing field: lst_prk_cnt'
        WHEN k_stt_id <> 'STRING' THEN 'not a string: stt_id'
        WHEN k_stt_nm <> 'STRING' THEN 'not a string: stt_nm'
        WHEN k_crt_dttm <> 'STRING' THEN 'not a string: crt_dttm'
        WHEN NOT (k_rent_cnt IN ('BIGINT', 'DOUBLE') OR k_rent_cnt LIKE 'DECIMAL(%') THEN 'not a number: rent_cnt'
        WHEN NOT (k_return_cnt IN ('BIGINT', 'DOUBLE') OR k_return_cnt LIKE 'DECIMAL(%')
            THEN 'not a number: return_cnt'
        WHEN NOT (k_lst_prk_cnt IN ('BIGINT', 'DOUBLE') OR k_lst_prk_cnt LIKE 'DECIMAL(%')
            THEN 'not a number: lst_prk_cnt'
        WHEN d_rent_cnt IS NULL OR d_rent_cnt < 0 OR d_rent_cnt > 999999999 OR d_rent_cnt <> FLOOR(d_rent_cnt)
            THEN 'bad count: rent_cnt'
        WHEN d_return_cnt IS NULL OR d_return_cnt < 0 OR d_return_cnt > 999999999
            OR d_return_cnt <> FLOOR(d_return_cnt) THEN 'bad count: return_cnt'
        WHEN d_lst_prk_cnt IS NULL OR d_lst_prk_cnt < 0 OR d_lst_prk_cnt > 999999999
            OR d_lst_prk_cnt <> FLOOR(d_lst_prk_cnt) THEN 'bad count: lst_prk_cnt'
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
        schema_of_variant(variant_get(v, '$.rent_cnt')) AS k_rent_cnt,
        schema_of_variant(variant_get(v, '$.return_cnt')) AS k_return_cnt,
        schema_of_variant(variant_get(v, '$.lst_prk_cnt')) AS k_lst_prk_cnt,
        schema_of_variant(variant_get(v, '$.stt_lttd')) AS k_stt_lttd,
        schema_of_variant(variant_get(v, '$.stt_lgtd')) AS k_stt_lgtd,
        try_variant_get(v, '$.stt_id', 'string') AS stt_id,
        try_variant_get(v, '$.stt_nm', 'string') AS stt_nm,
        try_variant_get(v, '$.crt_dttm', 'string') AS crt_dttm,
        try_variant_get(v, '$.rent_cnt', 'decimal(20,10)') AS d_rent_cnt,
        try_variant_get(v, '$.return_cnt', 'decimal(20,10)') AS d_return_cnt,
        try_variant_get(v, '$.lst_prk_cnt', 'decimal(20,10)') AS d_lst_prk_cnt
    FROM bike_events_raw
)
