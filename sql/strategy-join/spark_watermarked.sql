-- strategy-join, Spark only: one side of the join with its event-time watermark.
-- Concept: the watermark bounds the join state. The seed calls withWatermark on each side's DataFrame;
-- SQL's WATERMARK clause makes the same EventTimeWatermark node, here inside the one routed query
-- (sql/shared/spark_routed.sql), which reads each input once. The delay (${WATERMARK_DELAY}) is the
-- out-of-orderness the producer allows, so no record is late.
SELECT * FROM ${SIDE} WATERMARK ts DELAY OF INTERVAL ${WATERMARK_DELAY} AS marked
