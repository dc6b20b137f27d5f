-- windowed-messages, Flink dialect: messages per 1-minute tumbling event-time window.
-- Concept: the window table-valued function. TUMBLE(TABLE t, DESCRIPTOR(ts), 1 minute) adds
-- window_start/window_end; grouping by them emits each window once, when the watermark passes its
-- end (an append-only result: no updates, no retractions). A bounded run ends with a watermark of
-- +infinity, so the last windows are emitted too. The Spark twin is spark_windows.sql: window() in
-- GROUP BY and a WATERMARK clause where Flink declares the watermark on the source table.
SELECT
    DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm:ss') AS window_start,
    DATE_FORMAT(window_end, 'yyyy-MM-dd HH:mm:ss') AS window_end,
    COUNT(*) AS message_count
FROM TABLE(TUMBLE(TABLE messages_on_time, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end
