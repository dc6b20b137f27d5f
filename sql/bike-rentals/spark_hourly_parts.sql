-- bike-rentals merge input, Spark: a micro-batch's events and the rows already written, in one shape.
-- Concept: partial aggregates. An event is a partial row of one event (event_cnt 1); a written row
-- is a partial row of many; spark_hourly.sql combines any mix of them into the final row. A written
-- row's time_and_count is rebuilt from its newest event time and parked count.
SELECT
    stt_id,
    date_format(crt_ts, 'yyyyMMdd') AS ymd,
    date_format(crt_ts, 'HH') AS hh,
    stt_nm,
    rent_cnt,
    return_cnt,
    time_and_count,
    1 AS event_cnt,
    crt_dttm AS lst_crt_dttm,
    stt_lttd,
    stt_lgtd
FROM bike_batch_events
UNION ALL
SELECT
    stt_id,
    ymd,
    hh,
    stt_nm,
    rent_cnt,
    return_cnt,
    CONCAT(lst_crt_dttm, '|', LPAD(CAST(lst_prk_cnt AS STRING), 9, '0')) AS time_and_count,
    event_cnt,
    lst_crt_dttm,
    stt_lttd,
    stt_lgtd
FROM bike_hourly_written
