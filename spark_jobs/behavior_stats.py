"""behavior-stats on Spark: the same SELECT text as Flink, wired to Kafka by Structured Streaming.

Spark has no upsert-kafka table: the aggregate runs in "update" output mode and the job
builds the Kafka key (JSON of the primary key) and value itself, so the compacted topic
looks the same as Flink's. One streaming query writes the counts and the dead letters, over one
read of the topic (sql/shared/spark_routed.sql).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "behavior-stats"


def build(spark: SparkSession, settings: Settings) -> DataFrame:
    """Counts and dead letters as one Kafka-ready frame: key, value, topic."""
    jobparts.spark_raw_source(spark, settings, "user_behaviors_raw", settings.input_topic)
    stats = jobparts.SparkResults(
        sqlfiles.load(WORKLOAD, "query"),
        # the same JSON key and value that Flink's upsert-kafka writes for PRIMARY KEY (category, behavior)
        key="to_json(named_struct('category', category, 'behavior', behavior))",
        topic=jobparts.quoted(settings.output_topic),
    )
    parsed = spark.sql(sqlfiles.load(WORKLOAD, "spark_parse"))
    return jobparts.spark_routed(spark, settings, {"user_behaviors_checked": parsed}, stats)


def explain(settings: Settings) -> str:
    return engines.spark_plan(build(engines.spark_session(settings), settings))


def run(settings: Settings) -> engines.RunningJob:
    routed = build(engines.spark_session(settings), settings)
    return engines.SparkJob([engines.spark_kafka_sink(routed, settings, "routed", "update")])
