-- windowed-messages parse step, Flink dialect: raw JSON -> event time + a reject reason.
-- The job registers this SELECT as the view messages_checked.
-- Concept: route late data instead of losing it. Flink knows its watermark in SQL: a message whose
-- 1-minute window the watermark has already closed (the window would drop it without a trace)
-- goes to the dead letters as 'late: its window was already closed'. This runs before the shuffle,
-- where the watermark is never behind the window operator's, so a row that passes here is never
-- dropped there. Spark has no CURRENT_WATERMARK: its window drops such rows and only counts them
-- (numRowsDroppedByWatermark in the query progress). Other checks as in spark_parse.sql.
SELECT
    JSON_VALUE(payload, '$.timestamp') AS event_time,
    ts,
    CASE
        WHEN payload IS NULL THEN 'empty value'
        WHEN NOT (payload IS JSON OBJECT) THEN 'not a JSON object'
        WHEN JSON_VALUE(payload, '$.timestamp') IS NULL THEN 'missing field: timestamp'
        -- parses, and prints back the same: rejects '2025-02-30 ...', which a lenient parser would move
        WHEN ts IS NULL OR DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss') <> JSON_VALUE(payload, '$.timestamp')
            THEN 'bad timestamp: timestamp'
        -- the window drops a row once window end - 1 ms is at or behind the watermark: that test, earlier
        WHEN FLOOR(ts TO MINUTE) + INTERVAL '1' MINUTE <= CURRENT_WATERMARK(ts) + INTERVAL '0.001' SECOND
            THEN 'late: its window was already closed'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM messages_raw
