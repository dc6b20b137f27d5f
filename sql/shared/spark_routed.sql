-- shared routing, Spark only (behavior-stats, windowed-messages, patient-events, strategy rules): a job's
-- results and its dead letters in ONE streaming query, over ONE read of its input topic.
-- Concept: one scan feeding two outputs. Flink runs a job's INSERTs as one StatementSet over one shared
-- source scan. Spark runs one streaming query per sink, each scanning and parsing the topic itself, and a
-- plain UNION of two SELECTs over one view scans it twice as well: the optimizer inlines the view into
-- each branch. Here the checked rows are a CTE that is not deterministic (spark_partition_id()), which
-- Spark does not inline: it plans the CTE once, behind a shuffle, and the other branch reads that
-- shuffle's output again ("ReusedExchange" in the plan) instead of the topic. The price is that shuffle:
-- every record crosses it once, so the payload travels only for rejected records.
-- Each row carries the topic Spark's Kafka sink writes it to: a result to the job's output topic (or the
-- one its row names), a dead letter (sql/shared/dead_letters.sql) to the dead-letter topic, without a key.
-- What changes against one query per sink: both outputs share one checkpoint and commit their offsets
-- together (a restart replays both or neither), and a dead letter is written in the same micro-batch
-- as the results its batch changed.
WITH ${CHECKED_VIEW} AS (
    SELECT
        * EXCEPT (payload),
        CASE WHEN reject_reason IS NOT NULL THEN payload END AS payload,
        spark_partition_id() AS read_by_partition
    FROM ${PARSED_VIEW}
)${STEPS}
SELECT ${RESULT_KEY} AS key, ${RESULT_VALUE} AS value, ${RESULT_TOPIC} AS topic
FROM (
${RESULT_QUERY}
)
UNION ALL
SELECT CAST(NULL AS STRING) AS key, to_json(struct(*)) AS value, '${DEAD_LETTER_TOPIC}' AS topic
FROM (
${DEAD_LETTERS}
)
