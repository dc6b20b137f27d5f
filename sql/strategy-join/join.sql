-- strategy-join, join job (Flink and Spark, the same text): C's results joined with D's input.
-- Concept: a time-bounded stream-stream join. Each C result meets every D record of the same key
-- whose event time is at most 5 minutes before or after its own (both bounds included), one row per
-- matching pair. Without the time bound both engines would keep every record of both streams in
-- state forever, waiting for partners; with it, a record can be forgotten once the watermark (the
-- event time both inputs have reached, less 1 minute for records out of order) is more than 5 minutes
-- past it. Flink plans this as an IntervalJoin (its state cleared by timers on the watermark); Spark
-- as a StreamingSymmetricHashJoin whose state is cleaned below the watermark of the other side minus
-- the bound. `streamlab explain ENGINE strategy-join --job join` shows both.
SELECT
    c.key AS key,
    c.event_time AS c_ts,
    d.event_time AS d_ts,
    c.`result` AS c_result,
    d.`value` AS d_value
FROM c_results AS c
JOIN d_inputs AS d
    ON c.key = d.key
    AND d.ts BETWEEN c.ts - INTERVAL '5' MINUTE AND c.ts + INTERVAL '5' MINUTE
