-- bike-rentals counted events (shared by Flink and Spark): the events that passed the parse step.
-- The hourly aggregate reads this view (Flink: bike_events_counted, keeping crt_ts as the rowtime).
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
    time_and_count
FROM bike_events_checked
WHERE reject_reason IS NULL
