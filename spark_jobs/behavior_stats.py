"""behavior-stats on Spark: the same SELECT text as Flink, wired to Kafka by Structured Streaming.

Spark has no upsert-kafka table: the aggregate runs in "update" output mode and the job
builds the Kafka key (JSON of the primary key) and value itself, so the compacted topic
looks the same as Flink's. One streaming query per sink: counts and dead letters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "behavior-stats"


def build(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """(upserts, dead letters) as Kafka-ready key/value frames."""
    jobparts.spark_raw_source(spark, settings, "user_behaviors_raw", settings.input_topic)
    spark.sql(sqlfiles.load(WORKLOAD, "spark_parse")).createOrReplaceTempView("user_behaviors_checked")
    stats = spark.sql(sqlfiles.load(WORKLOAD, "query")).selectExpr(
        # the same JSON key and value that Flink's upsert-kafka writes for PRIMARY KEY (category, behavior)
        "to_json(named_struct('category', category, 'behavior', behavior)) AS key",
        "to_json(struct(*)) AS value",
    )
    return stats, jobparts.spark_dead_letters(spark, "user_behaviors_checked")


def explain(settings: Settings) -> str:
    spark = engines.spark_session(settings)
    stats, _ = build(spark, settings)
    return engines.spark_plan(stats)


def run(settings: Settings) -> engines.RunningJob:
    spark = engines.spark_session(settings)
    stats, dead_letters = build(spark, settings)
    return engines.SparkJob(
        [
            engines.spark_kafka_sink(stats, settings, "stats", "update", settings.output_topic),
            engines.spark_kafka_sink(dead_letters, settings, "dead-letters", "append", settings.dead_letter_topic),
        ]
    )
