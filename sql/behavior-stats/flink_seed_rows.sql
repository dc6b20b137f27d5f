-- behavior-stats, the seed's reader, Flink dialect: how many rows it lets through, and how many of
-- those would be counted under a NULL category, behavior or time (batch mode: one final row).
-- Concept: a lenient reader leaves no trace of what it dropped; the difference between the
-- records in the topic and rows_read is the only way to see it.
SELECT
    COUNT(*) AS rows_read,
    COALESCE(SUM(CASE WHEN category IS NULL OR behavior IS NULL OR ts IS NULL THEN 1 ELSE 0 END), 0)
        AS rows_with_nulls
FROM user_behaviors_seed
