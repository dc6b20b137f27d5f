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


def build(spark: SparkSession, settings: Settings) -> DataFrame:
    """Window counts and dead letters as one Kafka-ready frame: key, value, topic."""
    jobparts.spark_raw_source(spark, settings, "messages_raw", settings.input_topic)
    counts = jobparts.SparkResults(
        sqlfiles.load(WORKLOAD, "spark_windows"),
        # the JSON key Flink's upsert-kafka writes for PRIMARY KEY (window_start, window_end)
        key="to_json(named_struct('window_start', window_start, 'window_end', window_end))",
        topic=jobparts.quoted(settings.output_topic),
    )
    parsed = spark.sql(sqlfiles.load(WORKLOAD, "spark_parse"))
    on_time = ("messages_on_time", sqlfiles.load(WORKLOAD, "on_time"))
    return jobparts.spark_routed(spark, settings, {"messages_checked": parsed}, counts, steps=[on_time])


def explain(settings: Settings) -> str:
    """The plan (a stateful aggregate with the watermark), then what each output mode emits for it."""
    from spark_jobs import windowed_output_modes

    spark = engines.spark_session(settings)
    return f"{engines.spark_plan(build(spark, settings))}\n{windowed_output_modes.describe(spark)}"


def run(settings: Settings) -> engines.RunningJob:
    routed = build(engines.spark_session(settings), settings)
    return engines.SparkJob([engines.spark_kafka_sink(routed, settings, "routed", OUTPUT_MODE)])
