"""passthrough on Spark: user events -> behavior-stats's parse -> purchase intents and dead letters, ONE query.

Exactly one streaming query with one Kafka source scan writes both outputs: each row carries the topic
it goes to (sql/passthrough/spark_routed.sql), valid purchase intents to the output topic, rejected
records to the dead-letter topic, and engines.spark_kafka_sink without a `topic` argument honours that
column. Spark runs one streaming query per sink, each scanning its source; here that would not do:
Spark's real-time trigger (`run --trigger realTime=...`) runs every source partition as a long-running
task, so two queries, or a union that scans the source twice, would need twice the task slots of
`local[parallelism]`. The stateful jobs share one scan through a shuffle (sql/shared/spark_routed.sql);
this one needs no shuffle: one SELECT routes each row. Flink needs no such care: its StatementSet runs
both INSERTs over one shared scan (flink_jobs/passthrough.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "passthrough"
# behavior-stats's parse step as it is: the same verdicts and reasons, so the same dead letters
PARSE_WORKLOAD = "behavior-stats"


def topic_values(settings: Settings) -> dict[str, object]:
    return {"OUTPUT_TOPIC": settings.output_topic, "DEAD_LETTER_TOPIC": settings.dead_letter_topic}


def build(spark: SparkSession, settings: Settings) -> DataFrame:
    """Intents and dead letters as one Kafka-ready frame: key, value, topic."""
    jobparts.spark_raw_source(spark, settings, "user_behaviors_raw", settings.input_topic)
    spark.sql(sqlfiles.load(PARSE_WORKLOAD, "spark_parse")).createOrReplaceTempView("user_behaviors_checked")
    routed = spark.sql(sqlfiles.load(WORKLOAD, "spark_routed", topic_values(settings)))
    # the columns the Kafka sink takes; also a Dataset of its own: Spark 4.2 plans the frame spark.sql
    # returns as a batch query when it is explained, and refuses its streaming source
    return routed.selectExpr("key", "value", "topic")


def explain(settings: Settings) -> str:
    """The plan: one Kafka scan and a Filter + Project; no aggregate, no state store, no shuffle."""
    return engines.spark_plan(build(engines.spark_session(settings), settings))


def run(settings: Settings) -> engines.RunningJob:
    routed = build(engines.spark_session(settings), settings)
    # "update", not "append": the real-time trigger accepts only update mode. For a query without an
    # aggregation update mode writes exactly the rows append would: each row once, in the batch that
    # read it, since nothing is kept that could be updated later.
    return engines.SparkJob([engines.spark_kafka_sink(routed, settings, "routed", "update")])
