-- bike-rentals derive input, Spark: one micro-batch's valid snapshots plus each station's last one so far.
-- Concept: state carried between micro-batches by the job itself. Spark has no LAG over a stream, and
-- its Python stateful operators (applyInPandasWithState, transformWithState) need pyarrow >= 18,
-- which cannot share a virtualenv with PyFlink 2.2 (its apache-beam caps pyarrow below 17). So the
-- job keeps the last snapshot per station in a small Parquet table, one version per batch id
-- (bike_derive_state) and puts it beside the batch's rows (from_state = TRUE).
SELECT
    stt_id, stt_nm, tot_prk_cnt, stt_lttd, stt_lgtd, crt_dttm,
    FALSE AS from_state, payload, kafka_topic, kafka_partition, kafka_offset
FROM bike_derive_batch
UNION ALL
SELECT
    stt_id, stt_nm, tot_prk_cnt, stt_lttd, stt_lgtd, crt_dttm,
    TRUE AS from_state, CAST(NULL AS STRING), CAST(NULL AS STRING), CAST(NULL AS INT), CAST(NULL AS BIGINT)
FROM bike_derive_state
