-- bike-rentals hourly aggregate, Flink: one row per station and event-time hour, emitted once.
-- Concept: a tumbling event-time window (the TUMBLE table-valued function over the rowtime crt_ts).
-- The window for 22:00-23:00 fires when the watermark passes 23:00, and then never changes, so
-- its rows are append-only and can go to files. (A plain GROUP BY stt_id, ymd, hh would be an
-- updating result, which the filesystem sink refuses: "doesn't support consuming update changes".)
-- When a bounded input ends, Flink emits a final watermark of +infinity: every open hour fires.
-- Side by side with spark_hourly.sql: the same aggregate functions; Spark groups by ymd and hh
-- inside each micro-batch and merges with what it wrote before, instead of windowing.
-- The column order is the sink's (partition columns last).
SELECT
    stt_id,
    MAX(stt_nm) AS stt_nm,
    SUM(rent_cnt) AS rent_cnt,
    SUM(return_cnt) AS return_cnt,
    CAST(SUBSTRING(MAX(time_and_count) FROM 21) AS BIGINT) AS lst_prk_cnt,
    COUNT(*) AS event_cnt,
    MAX(crt_dttm) AS lst_crt_dttm,
    MAX(stt_lttd) AS stt_lttd,
    MAX(stt_lgtd) AS stt_lgtd,
    DATE_FORMAT(window_start, 'yyyyMMdd') AS ymd,
    DATE_FORMAT(window_start, 'HH') AS hh
FROM TABLE(TUMBLE(TABLE bike_events_counted, DESCRIPTOR(crt_ts), INTERVAL '1' HOUR))
GROUP BY window_start, window_end, stt_id
