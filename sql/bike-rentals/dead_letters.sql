-- bike-rentals dead letters (shared by Flink and Spark): the records a parse step rejected.
-- Concept: bad input is routed, not dropped: each rejected record keeps its raw text, the reason and
-- its source position, so records read = counted + dead letters can be checked. Used for the
-- events (bike_events_checked) and for the snapshots (bike_snapshots_checked).
SELECT
    payload AS raw_value,
    reject_reason AS reason,
    '${SOURCE_TOPIC}' AS source_topic,
    kafka_partition AS source_partition,
    kafka_offset AS source_offset
FROM ${CHECKED_VIEW}
WHERE reject_reason IS NOT NULL
