-- patient-events (shared by Flink and Spark): events counted by action, as the seed's Spark job did.
-- Concept: an updating aggregate over an unbounded stream. Each event changes one row; Flink writes
-- the changes to an upsert-kafka table keyed by action, Spark in "update" output mode (only the
-- rows a micro-batch changed; "complete", the seed's choice, rewrites every action each batch).
-- Both land in a compacted topic whose latest record per action is the answer.
SELECT
    action,
    COUNT(*) AS event_count
FROM patient_events_checked
WHERE reject_reason IS NULL
GROUP BY action
