"""strategy-join on Spark, stage 1: A_input..D_input -> the seed's rule on `value` -> A_output..D_output.

Two streaming queries over one subscription to the four topics: the results, each written to the
output topic of its input topic (a per-row `topic` column), and the dead letters. Append mode: the
rule is stateless, every record is written once, in the micro-batch that read it.
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


def build(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """(results as key/value/topic, dead letters as value)."""
    inputs = [settings.topic(role) for role in STRATEGY_INPUTS]
    jobparts.spark_raw_source(spark, settings, "strategy_inputs_raw", inputs)
    checked = spark.sql(sqlfiles.load(WORKLOAD, "spark_parse", {"RAW_TABLE": "strategy_inputs_raw"}))
    checked.createOrReplaceTempView("strategy_inputs_checked")
    results = spark.sql(
        sqlfiles.load(WORKLOAD, "rule", jobparts.topic_values(settings, STRATEGY_INPUTS + STRATEGY_OUTPUTS))
    )
    outputs = results.selectExpr("key", f"{OUTPUT_JSON} AS value", "output_topic AS topic")
    return outputs, jobparts.spark_dead_letters(spark, "strategy_inputs_checked")


def explain(settings: Settings) -> str:
    """The plan: one Kafka scan of four topics and a Project; no state store, no shuffle."""
    outputs, _ = build(engines.spark_session(settings), settings)
    return engines.spark_plan(outputs)


def run(settings: Settings) -> engines.RunningJob:
    outputs, dead_letters = build(engines.spark_session(settings), settings)
    return engines.SparkJob(
        [
            engines.spark_kafka_sink(outputs, settings, "outputs", "append"),
            engines.spark_kafka_sink(dead_letters, settings, "dead-letters", "append", settings.dead_letter_topic),
        ]
    )
