-- bike-rentals parse step, Flink dialect: checked event -> typed columns + a reject reason.
-- The job registers this SELECT as the view bike_events_checked.
-- Concept: validate before you aggregate, and route late data instead of losing it. The checks and
-- their order are those of spark_parse.sql and of the pandas oracle, made by the source's format with
-- its one parse (sql/shared/flink_event_time_source.sql): the value, every field present, the JSON types
-- (text fields strings, counts numbers), the counts whole numbers from 0 to 999,999,999, the time
-- round-tripping. A count is rounded as DECIMAL(20,10) rounds it on both engines (half up at 10 places),
-- so 5, 5.0 and 5e0 are the same count. The source also computes crt_ts and declares the watermark.
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
    rent_cnt,
    return_cnt,
    lst_prk_cnt,
    stt_lttd,
    stt_lgtd,
    crt_dttm,
    crt_ts,
    CONCAT(crt_dttm, '|', LPAD(CAST(lst_prk_cnt AS STRING), 9, '0')) AS time_and_count,
    CASE
        WHEN reject_reason IS NOT NULL THEN reject_reason
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
