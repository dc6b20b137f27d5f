-- behavior-stats parse step, Flink dialect: checked columns -> typed columns + a reject reason.
-- The job registers this SELECT as the view user_behaviors_checked that query.sql reads.
-- Concept: schema-on-read with explicit validation, the record parsed once. The source's format
-- (sql/shared/flink_raw_source.sql, 'streamlab-json') has already read each field and judged the
-- record: reject_reason is NULL, or the first failing check (the value as a whole, then missing fields,
-- then JSON types, then the timestamp), the same reason spark_parse.sql gives. What is left here is
-- typing: ts_text holds a time only when it reads as yyyy-MM-dd HH:mm:ss.SSS and prints back the same
-- (Flink's TO_TIMESTAMP alone would move 2025-02-30 to 02-28 and accept a missing .SSS; Spark's
-- try_to_timestamp rejects both), so TO_TIMESTAMP here never moves a day.
SELECT
    user_id,
    item_id,
    category,
    behavior,
    TO_TIMESTAMP(ts_text, 'yyyy-MM-dd HH:mm:ss.SSS') AS ts,
    reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM user_behaviors_raw
