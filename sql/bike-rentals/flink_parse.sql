-- bike-rentals parse step, Flink dialect: raw JSON event -> typed columns + a reject reason.
-- The job registers this SELECT as the view bike_events_checked.
-- Concept: validate before you aggregate, and route late data instead of losing it. The checks and
-- their order are the same as in spark_parse.sql (and in the pandas oracle); the dialects differ as
-- in behavior-stats (JSON_VALUE vs get_json_object, IS JSON OBJECT vs json_object_keys,
-- TO_TIMESTAMP vs try_to_timestamp) and in one more place:
--   late data: Flink knows its watermark here. A row whose hour the watermark has already closed
--              (that hour's row is written), which the window would drop without a trace, goes to the
--              dead letters as 'late: its hour was already written'. This runs before the shuffle,
--              where the watermark is never behind the window's, so a row that passes here is never
--              dropped there. Spark's twin merges every micro-batch into the files it has written,
--              so for it nothing is ever late.
-- time_and_count ('2025-01-12 22:05:00|000000012') sorts by time, then count: its MAX in an hour is
-- the newest event, whose parked count is lst_prk_cnt. Flink has no MAX_BY, so both engines use this.
SELECT
    JSON_VALUE(payload, '$.stt_id') AS stt_id,
    JSON_VALUE(payload, '$.stt_nm') AS stt_nm,
    TRY_CAST(JSON_VALUE(payload, '$.rent_cnt') AS BIGINT) AS rent_cnt,
    TRY_CAST(JSON_VALUE(payload, '$.return_cnt') AS BIGINT) AS return_cnt,
    TRY_CAST(JSON_VALUE(payload, '$.lst_prk_cnt') AS BIGINT) AS lst_prk_cnt,
    JSON_VALUE(payload, '$.stt_lttd') AS stt_lttd,
    JSON_VALUE(payload, '$.stt_lgtd') AS stt_lgtd,
    JSON_VALUE(payload, '$.crt_dttm') AS crt_dttm,
    crt_ts,
    CONCAT(JSON_VALUE(payload, '$.crt_dttm'), '|', LPAD(JSON_VALUE(payload, '$.lst_prk_cnt'), 9, '0'))
        AS time_and_count,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN NOT (payload IS JSON OBJECT) THEN 'not a JSON object'
        WHEN JSON_VALUE(payload, '$.stt_id') IS NULL THEN 'missing field: stt_id'
        WHEN JSON_VALUE(payload, '$.stt_nm') IS NULL THEN 'missing field: stt_nm'
        WHEN JSON_VALUE(payload, '$.crt_dttm') IS NULL THEN 'missing field: crt_dttm'
        WHEN JSON_VALUE(payload, '$.rent_cnt') IS NULL THEN 'missing field: rent_cnt'
        WHEN JSON_VALUE(payload, '$.return_cnt') IS NULL THEN 'missing field: return_cnt'
        WHEN JSON_VALUE(payload, '$.lst_prk_cnt') IS NULL THEN 'missing field: lst_prk_cnt'
        WHEN NOT REGEXP(JSON_VALUE(payload, '$.rent_cnt'), '(?s)^[0-9]{1,9}(?!.)') THEN 'bad count: rent_cnt'
        WHEN NOT REGEXP(JSON_VALUE(payload, '$.return_cnt'), '(?s)^[0-9]{1,9}(?!.)') THEN 'bad count: return_cnt'
        WHEN NOT REGEXP(JSON_VALUE(payload, '$.lst_prk_cnt'), '(?s)^[0-9]{1,9}(?!.)') THEN 'bad count: lst_prk_cnt'
        -- parses, and prints back the same: rejects '2025-02-30 ...', which a lenient parser would move
        WHEN crt_ts IS NULL OR DATE_FORMAT(crt_ts, 'yyyy-MM-dd HH:mm:ss') <> JSON_VALUE(payload, '$.crt_dttm')
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
FROM bike_events_raw
