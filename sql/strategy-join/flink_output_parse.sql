-- strategy-join, join job, Flink dialect: a checked C_output record (JSON the strategies job wrote) -> typed columns.
-- Concept: the join validates what it reads, even the output of a job of ours: a record another
-- writer put in the topic goes to the dead letters, not into the join. `result` must be a finite JSON
-- number (a JVM writes doubles as 36.120099999999994 or 1.0E-4), read as a DOUBLE on both engines. The
-- source's format made the checks with its one parse (sql/shared/flink_event_time_source.sql), in the
-- order of spark_output_parse.sql and of the strategies' parse step; `ts` and the watermark come from
-- the source table.
SELECT
    key,
    `result`,
    event_time,
    ts,
    reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM c_outputs_raw
