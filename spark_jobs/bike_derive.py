"""bike-rentals derive job on Spark: the raw snapshot topic -> rent/return events, state kept per batch.

Spark has no LAG over a stream (Flink's twin is one SQL statement, sql/bike-rentals/flink_derive.sql),
and PySpark's stateful operators (applyInPandasWithState, transformWithState) need pyarrow >= 18,
which cannot be installed beside PyFlink 2.2 (apache-beam <= 2.61 caps pyarrow below 17). So this
job is a foreachBatch that does three things per micro-batch, all in SQL:
  1. put each station's last snapshot so far (the state) beside the batch's snapshots,
  2. LAG over that static DataFrame gives each snapshot its predecessor: a change is an event,
  3. store each station's newest snapshot as the state for the next batch.
The state is a Parquet table per batch id under the checkpoint folder: a replayed batch id reads the
state of the batch before it, exactly as the first time. Rejected snapshots and snapshots older than
their station's state go to the snapshot dead-letter topic.

Like every Spark Kafka sink, the event output is at-least-once: a batch replayed after a crash
sends its events again (the same records); the state cannot drift.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from streamlab import engines, jobparts, sqlfiles
from streamlab.results import visible_files
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "bike-rentals"
STATE_SCHEMA = "stt_id STRING, stt_nm STRING, tot_prk_cnt BIGINT, stt_lttd STRING, stt_lgtd STRING, crt_dttm STRING"
OUT_OF_ORDER = "out of order: older than the last snapshot of its station"
EVENT_JSON = (
    "to_json(named_struct('stt_id', stt_id, 'stt_nm', stt_nm, 'rent_cnt', rent_cnt, 'return_cnt', return_cnt,"
    " 'lst_prk_cnt', lst_prk_cnt, 'stt_lttd', stt_lttd, 'stt_lgtd', stt_lgtd, 'crt_dttm', crt_dttm)) AS value"
)
KEPT_STATE_VERSIONS = 2  # the newest state, and the one before it in case the newest batch is replayed


def build(spark: SparkSession, settings: Settings) -> DataFrame:
    """Every snapshot, parsed and checked (reject_reason NULL when valid), as a streaming DataFrame."""
    jobparts.spark_raw_source(spark, settings, "bike_snapshots_raw", settings.topic("snapshots"))
    return spark.sql(sqlfiles.load(WORKLOAD, "spark_snapshot_parse"))


class DeriveBatch:
    """The foreachBatch function: one micro-batch of checked snapshots -> events, dead letters, state."""

    def __init__(self, settings: Settings, state_dir: Path) -> None:
        self.settings = settings
        self.state_dir = state_dir

    def __call__(self, snapshots: DataFrame, batch_id: int) -> None:
        spark = snapshots.sparkSession
        snapshots = snapshots.persist()  # read from Kafka once, used four times
        try:
            snapshots.createOrReplaceTempView("bike_derive_batch_all")
            snapshots.where("reject_reason IS NULL").createOrReplaceTempView("bike_derive_batch")
            self._state_before(spark, batch_id).createOrReplaceTempView("bike_derive_state")
            spark.sql(sqlfiles.load(WORKLOAD, "spark_derive_input")).createOrReplaceTempView("bike_derive_input")
            derived = spark.sql(sqlfiles.load(WORKLOAD, "spark_derive")).persist()
            self._send(derived.where("changed AND NOT out_of_order").selectExpr("stt_id AS key", EVENT_JSON), "derived")
            self._send(self._dead_letters(spark, derived), "snapshot_dead_letters")
            self._save_state(spark.sql(sqlfiles.load(WORKLOAD, "spark_derive_state")), batch_id)
            derived.unpersist()
        finally:
            snapshots.unpersist()

    def _dead_letters(self, spark: SparkSession, derived: DataFrame) -> DataFrame:
        rejected = derived.where("out_of_order").selectExpr(
            "payload", f"'{OUT_OF_ORDER}' AS reject_reason", "kafka_topic", "kafka_partition", "kafka_offset"
        )
        checked = spark.table("bike_derive_batch_all").select(
            "payload", "reject_reason", "kafka_topic", "kafka_partition", "kafka_offset"
        )
        checked.unionByName(rejected).createOrReplaceTempView("bike_derive_checked")
        return jobparts.spark_dead_letters(spark, "bike_derive_checked")

    def _send(self, frame: DataFrame, role: str) -> None:
        frame.write.format("kafka").option("kafka.bootstrap.servers", self.settings.bootstrap_servers).option(
            "topic", self.settings.topic(role)
        ).save()

    def _state_before(self, spark: SparkSession, batch_id: int) -> DataFrame:
        """The state the batch starts from: the newest version written by an earlier batch id."""
        earlier = sorted(v for v in self._versions() if v < batch_id)
        if not earlier:
            return spark.createDataFrame([], STATE_SCHEMA)
        return spark.read.schema(STATE_SCHEMA).parquet(str(self.state_dir / f"batch_id={earlier[-1]}"))

    def _save_state(self, state: DataFrame, batch_id: int) -> None:
        state.write.mode("overwrite").parquet(str(self.state_dir / f"batch_id={batch_id}"))
        for old in sorted(self._versions())[:-KEPT_STATE_VERSIONS]:
            shutil.rmtree(self.state_dir / f"batch_id={old}", ignore_errors=True)

    def _versions(self) -> list[int]:
        if not self.state_dir.is_dir():
            return []
        return [
            int(path.name.split("=", 1)[1])
            for path in self.state_dir.glob("batch_id=*")
            if visible_files(path) and (path / "_SUCCESS").exists()
        ]


def explain(settings: Settings) -> str:
    """The streaming part's plan (parse and check); the LAG runs per micro-batch inside foreachBatch."""
    return engines.spark_plan(build(engines.spark_session(settings), settings))


def run(settings: Settings) -> engines.RunningJob:
    checked = build(engines.spark_session(settings), settings)
    state_dir = Path(engines.spark_checkpoint(settings, "derive-state"))
    query = (
        checked.writeStream.queryName(f"{WORKLOAD}-derive")
        .foreachBatch(DeriveBatch(settings, state_dir))
        .option("checkpointLocation", engines.spark_checkpoint(settings, "derive"))
    )
    return engines.SparkJob([engines.spark_trigger(query, settings).start()])
