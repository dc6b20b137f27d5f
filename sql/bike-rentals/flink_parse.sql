-- bike-rentals parse step, Flink dialect: raw JSON event -> typed columns + a reject reason.
-- The job registers this SELECT as the view bike_events_checked.
-- Concept: validate before you aggregate, and route late data instead of losing it. The checks and
-- their order are those of spark_parse.sql and of the pandas oracle: the envelope
-- (sql/shared/flink_envelope.sql), every field present, the JSON types (text fields strings, counts
-- numbers), the counts whole numbers from 0 to 999,999,999, the time round-tripping. How a field and
-- its JSON type are read in each dialect is explained in sql/behavior-stats/flink_parse.sql. A count
-- is read as DECIMAL(20,10) on both engines, which gives the same value from 5, 5.0 and 5e0 where the
-- number's text differs (Flink prints 5e0 as 5, Spark as 5.0). Not DECIMAL(38,10): Flink compares it
-- with FLOOR's DECIMAL(38,0) in a type capped at 38 digits that drops the fraction (0.0001 = 0 there).
-- One more difference:
--   late data: Flink knows its watermark here. A row whose hour the watermark has already closed
--              (that hour's row is written), which the window would drop without a trace, goes to the
--              dead letters as 'late: its hour was already written'. This runs before the shuffle,
--              where the watermark is never behind the window's, so a row that passes here is never
--              dropped there. Spark's twin merges every micro-batch into the files it has written,
--              so for it nothing is ever late.
-- time_and_count ('2025-01-12 22:05:00|000000012') sorts by time, then count: its MAX in an hour is
-- the newest event, whose parked count is lst_prk_cnt. Flink has no MAX_BY, so both engines use this.
SELECT
    stt_id,
    stt_nm,
    TRY_CAST(d_rent_cnt AS BIGINT) AS rent_cnt,
    TRY_CAST(d_return_cnt AS BIGINT) AS return_cnt,
    TRY_CAST(d_lst_prk_cnt AS BIGINT) AS lst_prk_cnt,
    CASE WHEN SUBSTRING(w_stt_lttd, 2, 1) = '"' THEN JSON_VALUE(w_stt_lttd, '$[0]') END AS stt_lttd,
    CASE WHEN SUBSTRING(w_stt_lgtd, 2, 1) = '"' THEN JSON_VALUE(w_stt_lgtd, '$[0]') END AS stt_lgtd,
    crt_dttm,
    crt_ts,
    CONCAT(crt_dttm, '|', LPAD(CAST(TRY_CAST(d_lst_prk_cnt AS BIGINT) AS STRING), 9, '0')) AS time_and_count,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN w_stt_id IS NULL THEN 'missing field: stt_id'
        WHEN w_stt_nm IS NULL THEN 'missing field: stt_nm'
        WHEN w_crt_dttm IS NULL THEN 'missing field: crt_dttm'
        WHEN w_rent_cnt IS NULL THEN 'missing field: rent_cnt'
        WHEN w_return_cnt IS NULL THEN 'missing field: return_cnt'
        WHEN w_lst_prk_cnt IS NULL THEN 'missing field: lst_prk_cnt'
        WHEN SUBSTRING(w_stt_id, 2, 1) <> '"' THEN 'not a string: stt_id'
        WHEN SUBSTRING(w_stt_nm, 2, 1) <> '"' THEN 'not a string: stt_nm'
        WHEN SUBSTRING(w_crt_dttm, 2, 1) <> '"' THEN 'not a string: crt_dttm'
        WHEN SUBSTRING(w_rent_cnt, 2, 1) NOT IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
            THEN 'not a number: rent_cnt'
        WHEN SUBSTRING(w_return_cnt, 2, 1) NOT IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
            THEN 'not a number: return_cnt'
        WHEN SUBSTRING(w_lst_prk_cnt, 2, 1) NOT IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
            THEN 'not a number: lst_prk_cnt'
        WHEN d_rent_cnt IS NULL OR d_rent_cnt < 0 OR d_rent_cnt > 999999999 OR d_rent_cnt <> FLOOR(d_rent_cnt)
            THEN 'bad count: rent_cnt'
        WHEN d_return_cnt IS NULL OR d_return_cnt < 0 OR d_return_cnt > 999999999
            OR d_return_cnt <> FLOOR(d_return_cnt) THEN 'bad count: return_cnt'
        WHEN d_lst_prk_cnt IS NULL OR d_lst_prk_cnt < 0 OR d_lst_prk_cnt > 999999999
            OR d_lst_prk_cnt <> FLOOR(d_lst_prk_cnt) THEN 'bad count: lst_prk_cnt'
        -- parses, and prints back the same: rejects '2025-02-30 ...', which a lenient parser would move
        WHEN NOT COALESCE(DATE_FORMAT(TO_TIMESTAMP(crt_dttm, 'yyyy-MM-dd HH:mm:ss'), 'yyyy-MM-dd HH:mm:ss') = crt_dttm, FALSE)
            THEN 'bad timestamp: crt_dttm'
        -- the window drops a row whose hour has fired, i.e. whose window end - 1 ms is at or behind
        -- the watermark; this is that test, one step earlier (see the note at the top)
        WHEN FLOOR(crt_ts TO HOUR) + INTERVAL '1' HOUR <= CURRENT_WATERMARK(crt_ts) + INTERVAL '0.001' SECOND
            THEN 'late: its hour was already written'
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
        TRY_CAST(JSON_VALUE(w_rent_cnt, '$[0]') AS DECIMAL(20, 10)) AS d_rent_cnt,
        TRY_CAST(JSON_VALUE(w_return_cnt, '$[0]') AS DECIMAL(20, 10)) AS d_return_cnt,
        TRY_CAST(JSON_VALUE(w_lst_prk_cnt, '$[0]') AS DECIMAL(20, 10)) AS d_lst_prk_cnt
    FROM (
        SELECT
            *,
            JSON_QUERY(payload, '$.stt_id' WITH WRAPPER) AS w_stt_id,
            JSON_QUERY(payload, '$.stt_nm' WITH WRAPPER) AS w_stt_nm,
            JSON_QUERY(payload, '$.crt_dttm' WITH WRAPPER) AS w_crt_dttm,
            JSON_QUERY(payload, '$.rent_cnt' WITH WRAPPER) AS w_rent_cnt,
            JSON_QUERY(payload, '$.return_cnt' WITH WRAPPER) AS w_return_cnt,
            JSON_QUERY(payload, '$.lst_prk_cnt' WITH WRAPPER) AS w_lst_prk_cnt,
            JSON_QUERY(payload, '$.stt_lttd' WITH WRAPPER) AS w_stt_lttd,
            JSON_QUERY(payload, '$.stt_lgtd' WITH WRAPPER) AS w_stt_lgtd
        FROM bike_events_raw
    )
)
