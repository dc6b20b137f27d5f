"""strategy-join on Spark, stage 1: A_input..D_input -> the seed's rule on `value` -> A_output..D_output.

One streaming query over one subscription to the four topics writes the results, each to the output
topic of its input topic (a per-row `topic` column), and the dead letters (sql/shared/spark_routed.sql).
Append mode: the rule is stateless, every record is written once, in the micro-batch that read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings
from streamlab.workloads import STRATEGY_INPUTS, STRATEGY_OUTPUTS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "strategy-join"
OUTPUT_JSON = "to_json(named_struct('strategy', strategy, 'key', key, 'ts', ts, 'value', value, 'result', result))"


def build(spark: SparkSession, settings: Settings) -> DataFrame:
    """Results and dead letters as one Kafka-ready frame: key, value, topic."""
    inputs = [settings.topic(role) for role in STRATEGY_INPUTS]
    jobparts.spark_raw_source(spark, settings, "strategy_inputs_raw", inputs)
    outputs = jobparts.SparkResults(
        sqlfiles.load(WORKLOAD, "rule", jobparts.topic_values(settings, STRATEGY_INPUTS + STRATEGY_OUTPUTS)),
        key="key",
        value=OUTPUT_JSON,
        topic="output_topic",
    )
    parsed = spark.sql(sqlfiles.load(WORKLOAD, "spark_parse", {"RAW_TABLE": "strategy_inputs_raw"}))
    return jobparts.spark_routed(spark, settings, {"strategy_inputs_checked": parsed}, outputs)


def explain(settings: Settings) -> str:
    """The plan: one Kafka scan of four topics, a shuffle both branches read, and Projects; no state store."""
    return engines.spark_plan(build(engines.spark_session(settings), settings))


def run(settings: Settings) -> engines.RunningJob:
    routed = build(engines.spark_session(settings), settings)
    return engines.SparkJob([engines.spark_kafka_sink(routed, settings, "routed", "append")])
