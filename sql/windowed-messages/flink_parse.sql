-- windowed-messages parse step, Flink dialect: checked message -> event time + a reject reason.
-- The job registers this SELECT as the view messages_checked.
-- Concept: route late data instead of losing it. Flink knows its watermark in SQL: a message whose
-- 1-minute window the watermark has already closed (the window would drop it without a trace)
-- goes to the dead letters as 'late: its window was already closed'. This runs before the shuffle,
-- where the watermark is never behind the window operator's, so a row that passes here is never
-- dropped there. Spark has no CURRENT_WATERMARK: its window drops such rows and only counts them
-- (numRowsDroppedByWatermark in the query progress). The other checks, and their order, are those
-- of spark_parse.sql and of every workload, made by the source's format with its one parse
-- (sql/shared/flink_event_time_source.sql): the value, the field present and a JSON string, the
-- time round-tripping; the source also computes ts from event_time and declares the watermark.
SELECT
    event_time,
    ts,
    CASE
        WHEN reject_reason IS NOT NULL THEN reject_reason
        -- the window drops a row once window end - 1 ms is at or behind the watermark: that test, earlier
        WHEN FLOOR(ts TO MINUTE) + INTERVAL '1' MINUTE <= CURRENT_WATERMARK(ts) + INTERVAL '0.001' SECOND
            THEN 'late: its window was already closed'
    END AS reject_reason,
    payload,
    kafka_topic,
    kafka_partition,
    kafka_offset
FROM messages_raw
