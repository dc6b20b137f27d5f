"""behavior-stats on Spark: the same SELECT text as Flink, wired to Kafka by Structured Streaming.

Spark has no upsert-kafka table: the aggregate runs in "update" output mode and the job
builds the Kafka key (JSON of the primary key) and value itself, so the compacted topic
looks the same as Flink's. One streaming query per sink: counts and dead letters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "behavior-stats"


def source(spark: SparkSession, settings: Settings) -> DataFrame:
    """The input topic as the same three columns the Flink source table has."""
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.bootstrap_servers)
        .option("subscribe", settings.input_topic)
        .option("startingOffsets", settings.start_from)
        .load()
        .selectExpr("CAST(value AS STRING) AS payload", "partition AS kafka_partition", "offset AS kafka_offset")
    )


def build(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """(upserts, dead letters) as Kafka-ready key/value frames."""
    values = {"INPUT_TOPIC": settings.input_topic}
    source(spark, settings).createOrReplaceTempView("user_behaviors_raw")
    spark.sql(sqlfiles.load(WORKLOAD, "spark_parse", values)).createOrReplaceTempView("user_behaviors_checked")
    stats = spark.sql(sqlfiles.load(WORKLOAD, "query", values)).selectExpr(
        # the same JSON key and value that Flink's upsert-kafka writes for PRIMARY KEY (category, behavior)
        "to_json(named_struct('category', category, 'behavior', behavior)) AS key",
        "to_json(struct(*)) AS value",
    )
    dead_letters = spark.sql(sqlfiles.load(WORKLOAD, "dead_letters", values)).selectExpr("to_json(struct(*)) AS value")
    return stats, dead_letters


def _sink(frame: DataFrame, settings: Settings, topic: str, mode: str, name: str):
    writer = (
        frame.writeStream.format("kafka")
        .queryName(f"{WORKLOAD}-{name}")
        .option("kafka.bootstrap.servers", settings.bootstrap_servers)
        .option("topic", topic)
        .option("checkpointLocation", engines.spark_checkpoint(settings, name))
        .outputMode(mode)
    )
    # availableNow: process what the topic holds at start (in as many micro-batches as needed), then stop
    writer = writer.trigger(availableNow=True) if settings.bounded else writer.trigger(processingTime="0 seconds")
    return writer.start()


def explain(settings: Settings) -> str:
    spark = engines.spark_session(settings)
    stats, _ = build(spark, settings)
    # what DataFrame.explain("formatted") prints, returned as text instead
    return spark._jvm.PythonSQLUtils.explainString(stats._jdf.queryExecution(), "formatted")


def run(settings: Settings) -> engines.RunningJob:
    spark = engines.spark_session(settings)
    stats, dead_letters = build(spark, settings)
    return engines.SparkJob(
        [
            _sink(stats, settings, settings.output_topic, "update", "stats"),
            _sink(dead_letters, settings, settings.dead_letter_topic, "append", "dead-letters"),
        ]
    )
