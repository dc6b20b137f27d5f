-- behavior-stats, lesson query-change: the counts with one more output column, last_event_day.
-- Concept: a compatible change. The new column is computed from what the aggregate already keeps
-- (MAX(ts)), so its key and state are the same and a restart from the old checkpoint keeps every count.
SELECT
    category,
    behavior,
    COUNT(*) AS behavior_count,
    DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd HH:mm:ss.SSS') AS update_time,
    DATE_FORMAT(MAX(ts), 'yyyy-MM-dd HH:mm:ss.SSS') AS last_event_ts,
    DATE_FORMAT(MAX(ts), 'yyyy-MM-dd') AS last_event_day
FROM user_behaviors_checked
WHERE reject_reason IS NULL
GROUP BY category, behavior
