-- behavior-stats (shared by Flink and Spark): a continuous GROUP BY over an unbounded stream.
-- Concept: an updating aggregate. Every new event changes one row, so the result is not an
-- append-only stream but an upsert stream keyed by (category, behavior): Flink emits it to an
-- upsert-kafka table, Spark in "update" output mode; both land in a compacted topic whose
-- latest record per key is the answer. last_event_ts (the newest event counted) lets a reader
-- measure latency; update_time says when the engine produced the row.
SELECT
    category,
    behavior,
    COUNT(*) AS behavior_count,
    DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd HH:mm:ss.SSS') AS update_time,
    DATE_FORMAT(MAX(ts), 'yyyy-MM-dd HH:mm:ss.SSS') AS last_event_ts
FROM user_behaviors_checked
WHERE reject_reason IS NULL
GROUP BY category, behavior
