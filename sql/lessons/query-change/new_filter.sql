-- behavior-stats, lesson query-change: the counts with one more filter (views are no longer counted).
-- Concept: a compatible change. The aggregate's key and state are the same; only the rows fed to it
-- change, so a restart from the old query's checkpoint keeps every count and applies the filter to new
-- records only: a view counted before the restart stays counted.
SELECT
    category,
    behavior,
    COUNT(*) AS behavior_count,
    DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd HH:mm:ss.SSS') AS update_time,
    DATE_FORMAT(MAX(ts), 'yyyy-MM-dd HH:mm:ss.SSS') AS last_event_ts
FROM user_behaviors_checked
WHERE reject_reason IS NULL AND behavior <> 'view'
GROUP BY category, behavior
