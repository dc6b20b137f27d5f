-- strategy-join, join job (Flink and Spark, the same text): the valid records of one side of the join.
-- Concept: only what passed the parse step is joined; ${CHECKED_VIEW} is c_outputs_checked (C's
-- results) or d_inputs_checked (D's input). On Flink `ts` stays the rowtime attribute of the source
-- table (a filter keeps it); Spark's job declares the watermark on this view with withWatermark.
SELECT key, event_time, ts, ${VALUE_COLUMN}
FROM ${CHECKED_VIEW}
WHERE reject_reason IS NULL
