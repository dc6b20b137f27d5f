-- windowed-messages parse step, Flink dialect: raw JSON -> event time + a reject reason.
-- The job registers this SELECT as the view messages_checked.
-- Concept: route late data instead of losing it. Flink knows its watermark in SQL: a message whose
-- 1-minute window the watermark has already closed (the window would drop it without a trace)
-- goes to the dead letters as 'late: its window was already closed'. This runs before the shuffle,
-- where the watermark is never behind the window operator's, so a row that passes here is never
-- dropped there. Spark has no CURRENT_WATERMARK: its window drops such rows and only counts them
-- (numRowsDroppedByWatermark in the query progress). The other checks, and their order, are those
-- of spark_parse.sql and of every workload: the envelope (sql/shared/flink_envelope.sql), the field
-- present and a JSON string (read as in sql/behavior-stats/flink_parse.sql), the time round-tripping.
SELECT
    event_time,
    ts,
    CASE
        WHEN envelope_reason IS NOT NULL THEN envelope_reason
        WHEN w_timestamp IS NULL THEN 'missing field: timestamp'
        WHEN SUBSTRING(w_timestamp, 2, 1) <> '"' THEN 'not a string: timestamp'
        -- parses, and prints back the same: rejects '2025-02-30 ...', which a lenient parser would move
        WHEN NOT COALESCE(DATE_FORMAT(TO_TIMESTAMP(event_time, 'yyyy-MM-dd HH:mm:ss'), 'yyyy-MM-dd HH:mm:ss') = event_time, FALSE)
            THEN 'bad timestamp: timestamp'
        -- the window drops a row once window end - 1 ms is at or behind the watermark: that test, earlier
        WHEN FLOOR(ts TO MINUTE) + INTERVAL '1' MINUTE <= CURRENT_WATERMARK(ts) + INTERVAL '0.001' SECOND
            THEN 'late: its window was already closed'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM (
    SELECT *, JSON_VALUE(w_timestamp, '$[0]') AS event_time
    FROM (SELECT *, JSON_QUERY(payload, '$.timestamp' WITH WRAPPER) AS w_timestamp FROM messages_raw)
)
