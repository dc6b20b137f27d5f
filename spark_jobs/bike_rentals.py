"""bike-rentals on Spark: rent/return events -> one row per station and hour -> Parquet by ymd/hh.

As in the seed, the hourly rows are written from foreachBatch with partitionBy("ymd", "hh"). Two
things the seed's plain append does not give, and this writer does:
- a station-hour whose events arrive over several micro-batches still ends as one correct row:
  each micro-batch is merged with the rows already written in the partitions it touches
  (sql/bike-rentals/spark_hourly.sql), and those partitions are replaced (dynamic overwrite);
- a replayed micro-batch (Spark re-runs the last batch id after a crash between the write and the
  commit of its checkpoint) adds nothing twice: every written row carries the batch_id that wrote
  its partition, and a partition already written by this or a later batch id is left alone.
A second query sends rejected events to the dead-letter topic. No watermark is needed: nothing is
late for a writer that merges. See flink_jobs/bike_rentals.py for the windowed twin.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.results import visible_files
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "bike-rentals"
HOURLY_SCHEMA = (
    "stt_id STRING, stt_nm STRING, rent_cnt BIGINT, return_cnt BIGINT, lst_prk_cnt BIGINT, event_cnt BIGINT, "
    "lst_crt_dttm STRING, stt_lttd STRING, stt_lgtd STRING, batch_id BIGINT, ymd STRING, hh STRING"
)


def build(spark: SparkSession, settings: Settings) -> tuple[DataFrame, DataFrame]:
    """(counted events, dead letters) as streaming DataFrames."""
    jobparts.spark_raw_source(spark, settings, "bike_events_raw", settings.input_topic)
    spark.sql(sqlfiles.load(WORKLOAD, "spark_parse")).createOrReplaceTempView("bike_events_checked")
    dead_letters = jobparts.spark_dead_letters(spark, "bike_events_checked")
    return spark.sql(sqlfiles.load(WORKLOAD, "counted")), dead_letters


class HourlyWriter:
    """The foreachBatch function: merge one micro-batch of events into the Parquet partitions."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def __call__(self, events: DataFrame, batch_id: int) -> None:
        spark = events.sparkSession
        events = _hours(events).persist()  # used three times below; read from Kafka once
        try:
            self._merge(spark, events, batch_id)
        finally:
            events.unpersist()

    def _merge(self, spark: SparkSession, events: DataFrame, batch_id: int) -> None:
        touched = {(row.ymd, row.hh) for row in events.select("ymd", "hh").distinct().collect()}
        written = self._written(spark, touched)
        done = {(row.ymd, row.hh) for row in written.where(f"batch_id >= {batch_id}").select("ymd", "hh").collect()}
        to_write = sorted(touched - done)  # a replayed batch id finds its partitions already written
        if not to_write:
            return
        keys = spark.createDataFrame(to_write, "ymd STRING, hh STRING")
        events.join(keys.hint("broadcast"), ["ymd", "hh"]).createOrReplaceTempView("bike_batch_events")
        written.join(keys.hint("broadcast"), ["ymd", "hh"]).createOrReplaceTempView("bike_hourly_written")
        spark.sql(sqlfiles.load(WORKLOAD, "spark_hourly_parts")).createOrReplaceTempView("bike_hourly_parts")
        merged = spark.sql(sqlfiles.load(WORKLOAD, "spark_hourly")).selectExpr("*", f"{batch_id} AS batch_id")
        # computed before the old files are replaced: the write must not read what it overwrites
        merged.localCheckpoint(eager=True).write.mode("overwrite").option("partitionOverwriteMode", "dynamic") \
            .partitionBy("ymd", "hh").parquet(str(self.output_dir))  # fmt: skip

    def _written(self, spark: SparkSession, touched: set[tuple[str, str]]) -> DataFrame:
        """The rows already written in the touched partitions (none when the folder is still empty)."""
        if not visible_files(self.output_dir):
            return spark.createDataFrame([], HOURLY_SCHEMA)
        wanted = " OR ".join(f"(ymd = '{ymd}' AND hh = '{hh}')" for ymd, hh in sorted(touched)) or "false"
        return spark.read.schema(HOURLY_SCHEMA).parquet(str(self.output_dir)).where(wanted)


def _hours(events: DataFrame) -> DataFrame:
    return events.selectExpr("*", "date_format(crt_ts, 'yyyyMMdd') AS ymd", "date_format(crt_ts, 'HH') AS hh")


def explain(settings: Settings) -> str:
    spark = engines.spark_session(settings)
    counted, _ = build(spark, settings)
    return engines.spark_plan(counted)


def run(settings: Settings) -> engines.RunningJob:
    spark = engines.spark_session(settings)
    counted, dead_letters = build(spark, settings)
    output_dir = settings.required_output_dir()
    output_dir.mkdir(parents=True, exist_ok=True)
    hourly = (
        counted.writeStream.queryName(f"{WORKLOAD}-hourly")
        .foreachBatch(HourlyWriter(output_dir))
        .option("checkpointLocation", engines.spark_checkpoint(settings, "hourly"))
    )
    return engines.SparkJob(
        [
            engines.spark_trigger(hourly, settings).start(),
            engines.spark_kafka_sink(dead_letters, settings, "dead-letters", "append", settings.dead_letter_topic),
        ]
    )
