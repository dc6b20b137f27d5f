-- bike-rentals snapshot parse step, Flink dialect: checked snapshot -> typed columns + a reject reason.
-- The derive job registers this SELECT as the view bike_snapshots_checked. The source's format checks
-- the snapshot's fields with its one parse, as flink_parse.sql's source does for events; rows behind
-- the watermark, which the LAG over event time would drop, go to the snapshot dead letters instead.
SELECT
    stt_id,
    stt_nm,
    tot_prk_cnt,
    stt_lttd,
    stt_lgtd,
    crt_dttm,
    crt_ts,
    CASE
        WHEN reject_reason IS NOT NULL THEN reject_reason
        WHEN crt_ts <= CURRENT_WATERMARK(crt_ts) THEN 'late: behind the watermark'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM bike_snapshots_raw
