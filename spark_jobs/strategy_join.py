"""strategy-join on Spark, stage 2: C_output joined with D_input within 5 minutes -> D_input_ready.

A stream-stream inner join with a watermark on both sides (withWatermark, as in the seed) and the
time-range condition of sql/strategy-join/join.sql, so Spark can drop a record from its join state
once no partner can arrive any more. Append mode, the only one a stream-stream join allows: each
pair is written once, in the micro-batch where its second record arrives. A second query writes
the rejected records of both inputs to the join's dead-letter topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "strategy-join"
WATERMARK_DELAY = "1 minute"  # records arrive up to 30 s out of order: none of them is late
PAIR_JSON = "to_json(named_struct('key', key, 'c_ts', c_ts, 'd_ts', d_ts, 'c_result', c_result, 'd_value', d_value))"


def build(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """(pairs as key/value, dead letters of both inputs as value)."""
    jobparts.spark_raw_source(spark, settings, "c_outputs_raw", settings.topic("c_output"))
    jobparts.spark_raw_source(spark, settings, "d_inputs_raw", settings.topic("d_input"))
    spark.sql(sqlfiles.load(WORKLOAD, "spark_output_parse")).createOrReplaceTempView("c_outputs_checked")
    d_checked = spark.sql(sqlfiles.load(WORKLOAD, "spark_parse", {"RAW_TABLE": "d_inputs_raw"}))
    d_checked.createOrReplaceTempView("d_inputs_checked")
    for view, checked, value in (
        ("c_results", "c_outputs_checked", "`result`"),
        ("d_inputs", "d_inputs_checked", "`value`"),
    ):
        side = spark.sql(sqlfiles.load(WORKLOAD, "join_sides", {"CHECKED_VIEW": checked, "VALUE_COLUMN": value}))
        side.withWatermark("ts", WATERMARK_DELAY).createOrReplaceTempView(view)
    pairs = spark.sql(sqlfiles.load(WORKLOAD, "join")).selectExpr("key", f"{PAIR_JSON} AS value")
    dead_letters = jobparts.spark_dead_letters(spark, "c_outputs_checked").union(
        jobparts.spark_dead_letters(spark, "d_inputs_checked")
    )
    return pairs, dead_letters


def explain(settings: Settings) -> str:
    """The plan: StreamingSymmetricHashJoin with the time-range condition and an EventTimeWatermark on
    each side; the state cleanup predicates it derives from them are filled in per micro-batch."""
    pairs, _ = build(engines.spark_session(settings), settings)
    return engines.spark_plan(pairs)


def run(settings: Settings) -> engines.RunningJob:
    pairs, dead_letters = build(engines.spark_session(settings), settings)
    return engines.SparkJob(
        [
            engines.spark_kafka_sink(pairs, settings, "pairs", "append", settings.topic("ready")),
            engines.spark_kafka_sink(
                dead_letters, settings, "dead-letters", "append", settings.topic("ready_dead_letters")
            ),
        ]
    )
