"""sales-batch, the seed's reader on Spark: spark.read.csv in its default PERMISSIVE mode.

Spark's twin of Flink's 'csv.ignore-parse-errors': a field that does not parse becomes null and
the row stays; nothing reports it. The same query runs over what it lets through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark_jobs.sales_batch import write_csv
from streamlab import engines, sqlfiles, workloads
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "sales-batch"
JOB = workloads.get(WORKLOAD).job("seed-csv")
SCHEMA = "product_id STRING, category STRING, price DOUBLE, quantity INT, transaction_date STRING"


def build(spark: SparkSession, settings: Settings) -> DataFrame:
    sales = spark.read.csv(str(settings.required_input_path()), schema=SCHEMA, mode="PERMISSIVE", escape='"')
    sales.createOrReplaceTempView("sales")
    spark.sql(sqlfiles.load(WORKLOAD, "seed_view")).createOrReplaceTempView("sales_checked")
    return spark.sql(sqlfiles.load(WORKLOAD, "query"))


def explain(settings: Settings) -> str:
    return engines.spark_plan(build(engines.spark_session(settings), settings))


def run(settings: Settings) -> engines.RunningJob:
    summary = build(engines.spark_session(settings), settings)
    write_csv(summary, str(JOB.result.directory(settings)))
    return engines.FinishedJob("spark")
