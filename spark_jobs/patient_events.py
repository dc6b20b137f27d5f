"""patient-events on Spark: the same SELECT text as Flink, wired to Kafka by Structured Streaming.

The seed printed the counts in "complete" mode, which re-emits every action on every micro-batch.
Writing to a compacted topic, "update" is enough and cheaper: each micro-batch writes only the
actions it changed, keyed by the JSON {"action": ...} that Flink's upsert-kafka writes, so the
latest record per key is the same answer on both engines. A second query sends the rows without
an action to the dead-letter topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "patient-events"


def build(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """(upserts, dead letters) as Kafka-ready key/value frames."""
    jobparts.spark_raw_source(spark, settings, "patient_events_raw", settings.input_topic)
    spark.sql(sqlfiles.load(WORKLOAD, "spark_parse")).createOrReplaceTempView("patient_events_checked")
    counts = spark.sql(sqlfiles.load(WORKLOAD, "query")).selectExpr(
        "to_json(named_struct('action', action)) AS key", "to_json(struct(*)) AS value"
    )
    return counts, jobparts.spark_dead_letters(spark, "patient_events_checked")


def explain(settings: Settings) -> str:
    counts, _ = build(engines.spark_session(settings), settings)
    return engines.spark_plan(counts)


def run(settings: Settings) -> engines.RunningJob:
    counts, dead_letters = build(engines.spark_session(settings), settings)
    return engines.SparkJob(
        [
            engines.spark_kafka_sink(counts, settings, "counts", "update", settings.output_topic),
            engines.spark_kafka_sink(dead_letters, settings, "dead-letters", "append", settings.dead_letter_topic),
        ]
    )
