-- shared, Spark only (every job routed by sql/shared/spark_routed.sql): a parse step's checked rows as
-- that query reads them, once.
-- Concept: a CTE Spark plans once. spark_partition_id() makes this SELECT non-deterministic, and Spark
-- inlines a CTE referenced twice only when it is deterministic; so it plans it once, behind a shuffle,
-- and every other reader gets that shuffle's output ("ReusedExchange" in the plan), not a second read
-- and parse of the topic. Every record crosses the shuffle: the payload travels only for rejected ones
-- (the dead letters keep it; the results never read it).
SELECT
    * EXCEPT (payload),
    CASE WHEN reject_reason IS NOT NULL THEN payload END AS payload,
    spark_partition_id() AS read_by_partition
FROM ${PARSED_VIEW}
