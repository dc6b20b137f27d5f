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
    lines = read_lines(spark, settings)
    lines.createOrReplaceTempView("sales_lines")
    spark.sql(sqlfiles.load(WORKLOAD, "parse", values)).createOrReplaceTempView("sales_checked")
    return spark.sql(sqlfiles.load(WORKLOAD, "query", values)), spark.sql(sqlfiles.load(WORKLOAD, "rejected", values))


def read_lines(spark: SparkSession, settings: Settings) -> DataFrame:
    """One row per line, split as Flink's 'raw' format splits: at \\n only (Spark's default also ends a
    line at a lone \\r), with the \\r of a Windows line end dropped."""
    from pyspark.sql import functions

    text = spark.read.option("lineSep", "\n").text(str(settings.required_input_path()))
    return text.select(functions.regexp_replace("value", "\r$", "").alias("line"))


def write_csv(frame: DataFrame, path: str) -> None:
    """RFC 4180, as Flink writes it: a quote inside a quoted field is doubled (Spark's default escape
    is a backslash), and spaces at either end of a value are kept (Spark trims them by default).
    Appended into the folder `run` has just emptied and marked as the lab's (streamlab.ownership): an
    overwrite would delete the folder, its mark with it, and the next run would find it foreign."""
    writer = frame.write.mode("append").option("quote", '"').option("escape", '"')
    writer.option("ignoreLeadingWhiteSpace", False).option("ignoreTrailingWhiteSpace", False).csv(path)


def explain(settings: Settings) -> str:
    spark = engines.spark_session(settings)
    summary, _ = build(spark, settings)
    return engines.spark_plan(summary)


def run(settings: Settings) -> engines.RunningJob:
    spark = engines.spark_session(settings)
    summary, rejected = build(spark, settings)
    write_csv(summary, str(JOB.result.directory(settings)))
    write_csv(rejected, str(JOB.rejects_spec.directory(settings)))
    job = engines.FinishedJob("spark")
    job.plan = engines.spark_plan(summary) if settings.plan_out else ""  # a batch plan has no placeholders
    return job
