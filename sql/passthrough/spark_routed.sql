-- passthrough, Spark only: query.sql's purchase intents and the shared dead letters in ONE SELECT,
-- each row carrying the topic it is written to.
-- Why Spark differs from Flink here: Flink runs query.sql and sql/shared/dead_letters.sql as two
-- INSERTs of one job over one source scan (a StatementSet). Spark runs one streaming query per sink,
-- each scanning the source itself, and a UNION of the two SELECTs would scan it twice as well. Under
-- Spark's real-time trigger every source partition runs as a long-running task, so two scans would
-- need twice the task slots of local[parallelism]. So one query routes each row by the `topic` column
-- Spark's Kafka sink honours: a valid purchase intent to ${OUTPUT_TOPIC}, keyed by user_id, its value
-- query.sql's columns; a rejected record to ${DEAD_LETTER_TOPIC}, without a key, its value
-- dead_letters.sql's columns; any other valid record (a click, a view) nowhere.
-- The two column lists and the filter are those of query.sql and dead_letters.sql, restated here: their
-- WHERE clauses pick disjoint rows, and one SELECT over one scan cannot hold two. Nulls are written as
-- null, as Flink's json format does, so both engines write the same bytes (the integration test compares them).
SELECT
    CASE WHEN reject_reason IS NULL THEN user_id END AS key,
    CASE
        WHEN reject_reason IS NULL THEN to_json(
            named_struct(
                'user_id', user_id,
                'item_id', item_id,
                'category', category,
                'behavior', behavior,
                'ts', DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss.SSS'),
                'source_partition', kafka_partition,
                'source_offset', kafka_offset
            ),
            map('ignoreNullFields', 'false')
        )
        ELSE to_json(
            named_struct(
                'raw_value', payload,
                'reason', reject_reason,
                'source_topic', kafka_topic,
                'source_partition', kafka_partition,
                'source_offset', kafka_offset
            ),
            map('ignoreNullFields', 'false')
        )
    END AS value,
    CASE WHEN reject_reason IS NULL THEN '${OUTPUT_TOPIC}' ELSE '${DEAD_LETTER_TOPIC}' END AS topic
FROM user_behaviors_checked
WHERE reject_reason IS NOT NULL OR behavior IN ('add_to_cart', 'purchase')
