-- bike-rentals hourly merge, Spark: the rows of one micro-batch merged with the rows already written.
-- Concept: foreachBatch turns a stream into a series of small batch jobs. Each micro-batch
-- (its events as one-event rows, plus the rows already in the partitions it touches) is grouped by
-- station and hour again, and those partitions are rewritten. So an hour that arrives over several
-- micro-batches, in any order, still ends as one correct row, with no watermark at all; the price
-- is rewriting each touched partition per micro-batch. See flink_hourly.sql for the windowed twin.
SELECT
    stt_id,
    ymd,
    hh,
    MAX(stt_nm) AS stt_nm,
    SUM(rent_cnt) AS rent_cnt,
    SUM(return_cnt) AS return_cnt,
    CAST(SUBSTRING(MAX(time_and_count), 21) AS BIGINT) AS lst_prk_cnt,
    SUM(event_cnt) AS event_cnt,
    MAX(lst_crt_dttm) AS lst_crt_dttm,
    MAX(stt_lttd) AS stt_lttd,
    MAX(stt_lgtd) AS stt_lgtd
FROM bike_hourly_parts
GROUP BY stt_id, ymd, hh
