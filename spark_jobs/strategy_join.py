"""strategy-join on Spark, stage 2: C_output joined with D_input within 5 minutes -> D_input_ready.

A stream-stream inner join with a watermark on both sides (the seed's withWatermark, here SQL's
WATERMARK clause: sql/strategy-join/spark_watermarked.sql) and the time-range condition of
sql/strategy-join/join.sql, so Spark can drop a record from its join state once no partner can
arrive any more. Append mode, the only one a stream-stream join allows: each pair is written once,
in the micro-batch where its second record arrives. The same query writes the rejected records of
both inputs to the join's dead-letter topic, over one read of each topic (sql/shared/spark_routed.sql).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "strategy-join"
WATERMARK_DELAY = "1 MINUTE"  # records arrive up to 30 s out of order: none of them is late
PAIR_JSON = "to_json(named_struct('key', key, 'c_ts', c_ts, 'd_ts', d_ts, 'c_result', c_result, 'd_value', d_value))"


def build(spark: SparkSession, settings: Settings) -> DataFrame:
    """Pairs and the dead letters of both inputs as one Kafka-ready frame: key, value, topic."""
    jobparts.spark_raw_source(spark, settings, "c_outputs_raw", settings.topic("c_output"))
    jobparts.spark_raw_source(spark, settings, "d_inputs_raw", settings.topic("d_input"))
    parsed = {
        "c_outputs_checked": spark.sql(sqlfiles.load(WORKLOAD, "spark_output_parse")),
        "d_inputs_checked": spark.sql(sqlfiles.load(WORKLOAD, "spark_parse", {"RAW_TABLE": "d_inputs_raw"})),
    }
    steps = []
    for side, checked, value in (
        ("c_results", "c_outputs_checked", "`result`"),
        ("d_inputs", "d_inputs_checked", "`value`"),
    ):
        columns = sqlfiles.load(WORKLOAD, "join_sides", {"CHECKED_VIEW": checked, "VALUE_COLUMN": value})
        marked = sqlfiles.load(
            WORKLOAD, "spark_watermarked", {"SIDE": f"{side}_columns", "WATERMARK_DELAY": WATERMARK_DELAY}
        )
        steps += [(f"{side}_columns", columns), (side, marked)]
    pairs = jobparts.SparkResults(
        sqlfiles.load(WORKLOAD, "join"), key="key", value=PAIR_JSON, topic=jobparts.quoted(settings.topic("ready"))
    )
    dead_letters = settings.topic("ready_dead_letters")
    return jobparts.spark_routed(spark, settings, parsed, pairs, steps, dead_letter_topic=dead_letters)


def explain(settings: Settings) -> str:
    """The plan: StreamingSymmetricHashJoin with the time-range condition and an EventTimeWatermark on
    each side; the state cleanup predicates it derives from them are filled in per micro-batch."""
    return engines.spark_plan(build(engines.spark_session(settings), settings))


def run(settings: Settings) -> engines.RunningJob:
    routed = build(engines.spark_session(settings), settings)
    return engines.SparkJob([engines.spark_kafka_sink(routed, settings, "routed", "append")])
