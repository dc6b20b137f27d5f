-- passthrough (shared by Flink and Spark): a stateless query, parse -> filter -> project.
-- Concept: no state. Each input record goes in and 0 or 1 record comes out, decided by that record
-- alone: no GROUP BY, no window, no join, no watermark, so the engine keeps nothing between records
-- (a checkpoint holds only source offsets) and the output is insert-only. Next to behavior-stats,
-- which counts the same events, it separates the cost of reading and parsing from the cost of state.
-- It reads behavior-stats's parse view as it is (sql/behavior-stats/*_parse.sql): the same records
-- are valid, and the rejected ones go to the dead letters with the same reasons. Of the valid ones it
-- keeps the purchase intents (add_to_cart, purchase) and projects them. ts is printed back in the
-- pattern the parse step read it with, milliseconds included: the text as sent, so a reader can compute
-- each record's latency from it (but for an impossible date such as 2025-02-30, which Flink's
-- TO_TIMESTAMP takes as 2025-02-28 where Spark rejects it); source_partition and source_offset name
-- the input record it came from.
SELECT
    user_id,
    item_id,
    category,
    behavior,
    DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss.SSS') AS ts,
    kafka_partition AS source_partition,
    kafka_offset AS source_offset
FROM user_behaviors_checked
WHERE reject_reason IS NULL AND behavior IN ('add_to_cart', 'purchase')
