"""patient-events on Spark: the same SELECT text as Flink, wired to Kafka by Structured Streaming.

The seed printed the counts in "complete" mode, which re-emits every action on every micro-batch.
Writing to a compacted topic, "update" is enough and cheaper: each micro-batch writes only the
actions it changed, keyed by the JSON {"action": ...} that Flink's upsert-kafka writes, so the
latest record per key is the same answer on both engines. The same query sends the rows without
an action to the dead-letter topic, over one read of the topic (sql/shared/spark_routed.sql).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "patient-events"


def build(spark: SparkSession, settings: Settings) -> DataFrame:
    """Counts and dead letters as one Kafka-ready frame: key, value, topic."""
    jobparts.spark_raw_source(spark, settings, "patient_events_raw", settings.input_topic)
    counts = jobparts.SparkResults(
        sqlfiles.load(WORKLOAD, "query"),
        key="to_json(named_struct('action', action))",
        topic=jobparts.quoted(settings.output_topic),
    )
    parsed = spark.sql(sqlfiles.load(WORKLOAD, "spark_parse"))
    return jobparts.spark_routed(spark, settings, {"patient_events_checked": parsed}, counts)


def explain(settings: Settings) -> str:
    return engines.spark_plan(build(engines.spark_session(settings), settings))


def run(settings: Settings) -> engines.RunningJob:
    routed = build(engines.spark_session(settings), settings)
    return engines.SparkJob([engines.spark_kafka_sink(routed, settings, "routed", "update")])
