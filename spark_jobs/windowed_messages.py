"""windowed-messages on Spark: test-topic messages -> counts per 1-minute event-time window -> Kafka.

Output mode "update": each micro-batch writes the windows it changed, with their counts so far, to
the compacted topic keyed by window, so the latest record per window is the answer (as with Flink's
once-per-window inserts). The seed's "complete" would keep every window in state forever and rewrite
all of them on every batch; "append" writes a window only once the watermark has passed its end,
and a bounded run (availableNow) stops with the watermark at the newest event minus one minute, so
the last windows would never be written. Late messages are dropped by the window aggregate: Spark
cannot route them, only count them (SparkJob.dropped_by_watermark, from the query progress).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "windowed-messages"
OUTPUT_MODE = "update"


def build(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """(window counts, dead letters) as Kafka-ready key/value frames."""
    jobparts.spark_raw_source(spark, settings, "messages_raw", settings.input_topic)
    spark.sql(sqlfiles.load(WORKLOAD, "spark_parse")).createOrReplaceTempView("messages_checked")
    spark.sql(sqlfiles.load(WORKLOAD, "on_time")).createOrReplaceTempView("messages_on_time")
    counts = spark.sql(sqlfiles.load(WORKLOAD, "spark_windows")).selectExpr(
        # the JSON key Flink's upsert-kafka writes for PRIMARY KEY (window_start, window_end)
        "to_json(named_struct('window_start', window_start, 'window_end', window_end)) AS key",
        "to_json(struct(*)) AS value",
    )
    return counts, jobparts.spark_dead_letters(spark, "messages_checked")


def explain(settings: Settings) -> str:
    """The plan (a stateful aggregate with the watermark), then what each output mode emits for it."""
    from spark_jobs import windowed_output_modes

    spark = engines.spark_session(settings)
    counts, _ = build(spark, settings)
    return f"{engines.spark_plan(counts)}\n{windowed_output_modes.describe(spark)}"


def run(settings: Settings) -> engines.RunningJob:
    counts, dead_letters = build(engines.spark_session(settings), settings)
    return engines.SparkJob(
        [
            engines.spark_kafka_sink(counts, settings, "counts", OUTPUT_MODE, settings.output_topic),
            engines.spark_kafka_sink(dead_letters, settings, "dead-letters", "append", settings.dead_letter_topic),
        ]
    )
