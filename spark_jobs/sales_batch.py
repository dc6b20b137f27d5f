"""sales-batch on Spark: the batch twin of the Flink job, running the same SQL text.

spark.read.text gives one row per line, like Flink's 'raw' format; the shared parse step and
query follow. Spark runs one job per write (totals, refused lines), so it reads the file twice
where Flink's StatementSet reads it once; the parsed lines are not cached, to keep memory flat
for 10 million rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, sqlfiles, workloads
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "sales-batch"
JOB = workloads.get(WORKLOAD).job("summary")


def build(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """(totals per category, refused lines) as batch DataFrames."""
    values = {"ROW_PATTERN": sqlfiles.load_text(WORKLOAD, "csv_row.regex")}
    lines = spark.read.text(str(settings.required_input_path())).withColumnRenamed("value", "line")
    lines.createOrReplaceTempView("sales_lines")
    spark.sql(sqlfiles.load(WORKLOAD, "parse", values)).createOrReplaceTempView("sales_checked")
    return spark.sql(sqlfiles.load(WORKLOAD, "query", values)), spark.sql(sqlfiles.load(WORKLOAD, "rejected", values))


def write_csv(frame: DataFrame, path: str) -> None:
    # RFC 4180, as Flink writes it: a quote inside a quoted field is doubled (Spark's default escape is \)
    frame.write.mode("overwrite").option("quote", '"').option("escape", '"').csv(path)


def explain(settings: Settings) -> str:
    spark = engines.spark_session(settings)
    summary, _ = build(spark, settings)
    return engines.spark_plan(summary)


def run(settings: Settings) -> engines.RunningJob:
    spark = engines.spark_session(settings)
    summary, rejected = build(spark, settings)
    write_csv(summary, str(JOB.result.directory(settings)))
    write_csv(rejected, str(JOB.rejects_spec.directory(settings)))
    return engines.FinishedJob("spark")
