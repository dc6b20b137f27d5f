-- shared routing, Spark only (behavior-stats, windowed-messages, patient-events, strategy-join): a job's
-- results and its dead letters in ONE streaming query, over ONE read of each input topic.
-- Concept: one scan feeding two outputs. Flink runs a job's INSERTs as one StatementSet over one shared
-- source scan. Spark runs one streaming query per sink, each scanning and parsing the topic itself, and a
-- plain UNION ALL of two SELECTs over one view reads it twice as well: the optimizer inlines the view
-- into each branch. Here each checked view is a CTE Spark plans once (sql/shared/spark_checked_once.sql),
-- followed by the workload's own named steps, if any; the results and the dead letters read them.
-- Each row carries the topic Spark's Kafka sink writes it to: a result to the job's output topic (or the
-- one its row names), a dead letter (sql/shared/dead_letters.sql) to the dead-letter topic, without a key.
-- What changes against one query per sink: both outputs share one checkpoint and commit their offsets
-- together (a restart replays both or neither), and a dead letter is written in the same micro-batch
-- as the results its batch changed.
WITH
${STEPS}
SELECT ${RESULT_KEY} AS key, ${RESULT_VALUE} AS value, ${RESULT_TOPIC} AS topic
FROM (
${RESULT_QUERY}
)
UNION ALL
SELECT CAST(NULL AS STRING) AS key, to_json(struct(*)) AS value, '${DEAD_LETTER_TOPIC}' AS topic
FROM (
${DEAD_LETTERS}
)
