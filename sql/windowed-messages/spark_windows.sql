-- windowed-messages, Spark dialect: messages per 1-minute tumbling event-time window.
-- Concept: window() in GROUP BY with a watermark, written as SQL: `WATERMARK ts DELAY OF INTERVAL
-- 1 MINUTE` is the seed's withWatermark("timestamp", "1 minute"). Spark moves the watermark between
-- micro-batches (the newest event time seen, minus the delay) and drops rows of windows it has
-- closed. What it emits depends on the output mode the job picks (see spark_jobs/windowed_messages.py):
-- "update" here, so every window appears, also in a bounded run whose watermark stops short of the end.
SELECT
    date_format(window.start, 'yyyy-MM-dd HH:mm:ss') AS window_start,
    date_format(window.end, 'yyyy-MM-dd HH:mm:ss') AS window_end,
    count(*) AS message_count
FROM messages_on_time WATERMARK ts DELAY OF INTERVAL 1 MINUTE AS messages
GROUP BY window(ts, '1 minute')
