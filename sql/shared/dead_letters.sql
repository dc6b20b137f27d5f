-- shared dead letters, Flink and Spark (every streaming workload): the records a parse step rejected.
-- Concept: bad input is routed, not dropped. Each rejected record keeps its raw text, the reason and
-- its source position (topic, partition, offset: a job may read several topics), so records read =
-- counted + dead letters can be checked. CHECKED_VIEW is the workload's parse view (payload,
-- reject_reason, kafka_topic, kafka_partition, kafka_offset and its own columns).
SELECT
    payload AS raw_value,
    reject_reason AS reason,
    kafka_topic AS source_topic,
    kafka_partition AS source_partition,
    kafka_offset AS source_offset
FROM ${CHECKED_VIEW}
WHERE reject_reason IS NOT NULL
