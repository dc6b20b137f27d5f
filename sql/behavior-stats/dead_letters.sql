-- behavior-stats dead letters (shared by Flink and Spark): the records the parse step rejected.
-- Concept: bad input is routed, not dropped. Each rejected record keeps its raw text, the
-- reason and its source position, so produced = counted + dead-lettered can be checked.
SELECT
    payload AS raw_value,
    reject_reason AS reason,
    '${INPUT_TOPIC}' AS source_topic,
    kafka_partition AS source_partition,
    kafka_offset AS source_offset
FROM user_behaviors_checked
WHERE reject_reason IS NOT NULL
