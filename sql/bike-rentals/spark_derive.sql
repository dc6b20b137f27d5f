-- bike-rentals derive, Spark: rent/return events from the snapshots, with LAG over each micro-batch.
-- Concept: inside foreachBatch a micro-batch is a static DataFrame, where LAG works. Each station's
-- rows (its stored last snapshot first, then this batch's in time order) get their predecessor's
-- parked count; the difference is the event, as in flink_derive.sql (diff > 0 returns, diff < 0
-- rents, 0 or no predecessor none). A batch row older than the stored snapshot cannot be placed any
-- more: it is marked out_of_order and goes to the dead letters (Flink would call it late).
SELECT
    stt_id,
    stt_nm,
    CASE WHEN diff < 0 THEN -diff ELSE 0 END AS rent_cnt,
    CASE WHEN diff > 0 THEN diff ELSE 0 END AS return_cnt,
    tot_prk_cnt AS lst_prk_cnt,
    stt_lttd,
    stt_lgtd,
    crt_dttm,
    COALESCE(diff <> 0, FALSE) AS changed,
    COALESCE(crt_dttm < state_crt_dttm, FALSE) AS out_of_order,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT
        stt_id,
        stt_nm,
        tot_prk_cnt,
        stt_lttd,
        stt_lgtd,
        crt_dttm,
        from_state,
        payload,
        kafka_topic,
        kafka_partition,
        kafka_offset,
        tot_prk_cnt - LAG(tot_prk_cnt) OVER (PARTITION BY stt_id ORDER BY crt_dttm, from_state DESC) AS diff,
        MAX(CASE WHEN from_state THEN crt_dttm END) OVER (PARTITION BY stt_id) AS state_crt_dttm
    FROM bike_derive_input
) AS with_previous
WHERE NOT from_state
