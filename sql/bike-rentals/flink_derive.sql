-- bike-rentals derive, Flink: rent/return events computed from the snapshots by the engine itself.
-- Concept: LAG in an OVER window ordered by event time. For each station, Flink buffers snapshots
-- until the watermark passes them, sorts them by crt_ts, and gives each its predecessor's parked
-- count; the difference is the event (diff > 0 returns, diff < 0 rents, 0 and the first snapshot
-- none), exactly what the producer computes. State: one value per station (its last count).
-- Spark has no LAG over a stream; its twin keeps that value per station itself, in foreachBatch (spark_jobs/bike_derive.py).
SELECT
    stt_id,
    stt_nm,
    CASE WHEN diff < 0 THEN -diff ELSE 0 END AS rent_cnt,
    CASE WHEN diff > 0 THEN diff ELSE 0 END AS return_cnt,
    tot_prk_cnt AS lst_prk_cnt,
    stt_lttd,
    stt_lgtd,
    crt_dttm
FROM (
    SELECT
        stt_id,
        stt_nm,
        tot_prk_cnt,
        stt_lttd,
        stt_lgtd,
        crt_dttm,
        tot_prk_cnt - LAG(tot_prk_cnt) OVER (PARTITION BY stt_id ORDER BY crt_ts) AS diff
    FROM bike_snapshots_checked
    WHERE reject_reason IS NULL
) AS with_previous
WHERE diff <> 0
