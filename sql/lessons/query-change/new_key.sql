-- behavior-stats, lesson query-change: the counts per (category, behavior, user_id): one more grouping key.
-- Concept: an incompatible change. The aggregate's state is keyed by the grouping key; the old
-- checkpoint holds it by (category, behavior), and the new query looks it up by three columns.
SELECT
    category,
    behavior,
    user_id,
    COUNT(*) AS behavior_count,
    DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd HH:mm:ss.SSS') AS update_time,
    DATE_FORMAT(MAX(ts), 'yyyy-MM-dd HH:mm:ss.SSS') AS last_event_ts
FROM user_behaviors_checked
WHERE reject_reason IS NULL
GROUP BY category, behavior, user_id
