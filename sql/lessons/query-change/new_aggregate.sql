-- behavior-stats, lesson query-change: the counts with one more aggregate, first_event_ts (MIN(ts)).
-- Concept: an incompatible change of the state's schema. The key is the same, but each key's state
-- now holds one more value (the smallest ts so far), which the old checkpoint does not have.
SELECT
    category,
    behavior,
    COUNT(*) AS behavior_count,
    DATE_FORMAT(CURRENT_TIMESTAMP, 'yyyy-MM-dd HH:mm:ss.SSS') AS update_time,
    DATE_FORMAT(MAX(ts), 'yyyy-MM-dd HH:mm:ss.SSS') AS last_event_ts,
    DATE_FORMAT(MIN(ts), 'yyyy-MM-dd HH:mm:ss.SSS') AS first_event_ts
FROM user_behaviors_checked
WHERE reject_reason IS NULL
GROUP BY category, behavior
