-- strategy-join parse step, Flink dialect: a checked strategy input record -> typed columns + a reject reason.
-- Used twice: by the strategies job over A_input..D_input and by the join over D_input (${RAW_TABLE}).
-- Concept: schema-on-read with explicit validation, as in every workload, each record parsed once by the
-- source's format (sql/shared/flink_event_time_source.sql): the value, every field present, the JSON types
-- (`value` a JSON number, the others strings), `value` finite and below 1e9 in size, the time
-- round-tripping, in the order spark_parse.sql checks them. `value` is read as a DOUBLE from the number
-- on both engines. The source table also computes `ts` from event_time and declares the watermark;
-- Spark's twin parses `ts` here.
SELECT
    strategy,
    key,
    `value`,
    event_time,
    ts,
    reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM ${RAW_TABLE}
