-- strategy-join, strategies job (Flink and Spark, the same text): each valid input record -> its result.
-- Concept: a stateless streaming transformation. Every record maps to one output record by the
-- seed's rule on `value`: below 30 -> value * 2; 30 to 60, both ends included -> value * 1.5 + 10;
-- above 60 -> value * value / 100. No state, no watermark, no shuffle: each engine reads the four
-- topics with one source and writes each record to the output topic of the topic it came from
-- (X_input -> X_output), with the record's key as the Kafka key, so C_output is partitioned as
-- C_input was and the join reads it in the same order.
SELECT
    strategy,
    key,
    event_time AS ts,
    `value`,
    CASE
        WHEN `value` < 30 THEN `value` * 2
        WHEN `value` <= 60 THEN `value` * 1.5 + 10
        ELSE `value` * `value` / 100
    END AS `result`,
    CASE kafka_topic
        WHEN '${A_INPUT}' THEN '${A_OUTPUT}'
        WHEN '${B_INPUT}' THEN '${B_OUTPUT}'
        WHEN '${C_INPUT}' THEN '${C_OUTPUT}'
        WHEN '${D_INPUT}' THEN '${D_OUTPUT}'
    END AS output_topic
FROM strategy_inputs_checked
WHERE reject_reason IS NULL
