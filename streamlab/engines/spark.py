"""Spark: a local SparkSession configured the same way for every job, the Kafka source, sink and trigger
every Spark job uses, and the handle of a job (its streaming queries)."""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from streamlab import jars
from streamlab.engines.jobs import LOOPBACK, RunningJob, output_to_log
from streamlab.errors import LabError
from streamlab.paths import COMPOSE_DIR
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery

SPARK_LOG_CONFIG = COMPOSE_DIR / "spark" / "log4j2.properties"

PROMETHEUS_PATH = "/metrics/prometheus"  # on the Spark UI's port
PROGRESS_KEPT = 100_000  # micro-batch progress reports a Spark query keeps


def spark_session(settings: Settings) -> SparkSession:
    """A local SparkSession with the Kafka connector; one per process, reused across runs."""
    connector_jars = jars.comma_list("spark")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # the lab is one machine; bind nothing else. Spark's UI (STREAMLAB_SPARK_UI) binds to this
    # variable and to no setting, so it is set even over a value of the user's
    os.environ["SPARK_LOCAL_IP"] = LOOPBACK
    from pyspark.sql import SparkSession

    parallelism = str(settings.parallelism)
    builder = (
        SparkSession.builder.appName(f"streamlab-{settings.workload}")
        .master(settings.cluster or f"local[{parallelism}]")
        .config("spark.jars", connector_jars)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={SPARK_LOG_CONFIG.as_uri()}")
        .config("spark.ui.showConsoleProgress", "false")
        # the driver's RPC and block manager: loopback, whatever the machine's hostname resolves to
        .config("spark.driver.bindAddress", LOOPBACK)
        .config("spark.driver.host", LOOPBACK)
        # adaptive execution does not apply to streaming queries; Spark warns on every start otherwise
        .config("spark.sql.adaptive.enabled", "false")
        # 200 by default, and frozen into a query's checkpoint once it exists
        .config("spark.sql.shuffle.partitions", parallelism)
        .config("spark.sql.session.timeZone", "UTC")
        # a JSON object with a key twice keeps the last value, as Flink's JSON functions and Python do
        # (try_parse_json gives NULL for such an object otherwise: sql/shared/spark_envelope.sql)
        .config("spark.sql.variant.allowDuplicateKeys", "true")
        # on, as users of Spark expect (`run` and `demo` print its URL); STREAMLAB_SPARK_UI=false turns it off
        .config("spark.ui.enabled", os.environ.get("STREAMLAB_SPARK_UI", "true"))
        # Prometheus text on the UI's port (docs/monitoring.md): Spark's metrics system through its servlet sink,
        # each streaming query's rates, latency, watermark and state rows among them (metricsEnabled)
        .config("spark.metrics.conf.*.sink.prometheusServlet.class", "org.apache.spark.metrics.sink.PrometheusServlet")
        .config("spark.metrics.conf.*.sink.prometheusServlet.path", PROMETHEUS_PATH)
        .config("spark.sql.streaming.metricsEnabled", "true")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.streaming.stopGracefullyOnShutdown", "true")
        # 100 by default; the late rows a query dropped are summed from these (SparkJob.dropped_by_watermark)
        .config("spark.sql.streaming.numRecentProgressUpdates", str(PROGRESS_KEPT))
        # an idle query reports its progress (to the lab's listener: streamlab.monitoring) every second, not 10 s
        .config("spark.sql.streaming.noDataProgressEventInterval", "1000ms")
    )
    if settings.cluster:
        builder = standalone_cluster(builder, settings)
    for key, value in settings.engine_conf.items():  # `run --conf`
        builder = builder.config(key, value)
    with output_to_log("spark", settings.workload):  # the driver's JVM starts here, on the first call
        session = builder.getOrCreate()
    # getOrCreate hands back an existing session unchanged; the per-run SQL settings must still apply
    session.conf.set("spark.sql.shuffle.partitions", parallelism)
    for key, value in settings.engine_conf.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    return session


def standalone_cluster(builder: SparkSession.Builder, settings: Settings) -> SparkSession.Builder:
    """The driver stays in this process (client mode, as `spark-submit --master spark://...` runs a Python
    application) and the standalone master gives it an executor on the worker, of --parallelism cores. The
    connector jars travel from the driver (spark.jars), the checkpoint folder is a path every process reads."""
    if not settings.cluster.startswith("spark://"):
        raise LabError(f"--cluster for Spark takes a standalone master's URL, e.g. spark://127.0.0.1:7077, "
                       f"not {settings.cluster!r}")  # fmt: skip
    return (
        builder.config("spark.cores.max", str(settings.parallelism))
        .config("spark.executor.cores", str(settings.parallelism))
        .config("spark.executor.memory", "1g")
        .config("spark.pyspark.python", sys.executable)  # the same venv on every process (one machine)
    )


SOURCE_OPTION = "source."  # `--conf source.maxOffsetsPerTrigger=N`: an option of the Kafka source, not a conf


def spark_kafka_source(spark: SparkSession, settings: Settings, topics: str | Sequence[str]) -> DataFrame:
    """One or more topics as (payload STRING, kafka_topic STRING, kafka_partition INT, kafka_offset BIGINT):
    the columns of the Flink jobs' raw source tables, so the parse steps of both engines start alike.
    `--conf source.NAME=VALUE` sets a Kafka source option, e.g. source.maxOffsetsPerTrigger=20000."""
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.bootstrap_servers)
        .option("subscribe", topics if isinstance(topics, str) else ",".join(topics))
        .option("startingOffsets", settings.start_from)
        # as every reader of the lab: a topic a Flink exactly-once sink writes shows committed records only
        .option("kafka.isolation.level", "read_committed")
    )
    for key, value in settings.engine_conf.items():
        if key.startswith(SOURCE_OPTION):
            reader = reader.option(key.removeprefix(SOURCE_OPTION), value)
    return reader.load().selectExpr(
        "CAST(value AS STRING) AS payload",
        "topic AS kafka_topic",
        "partition AS kafka_partition",
        "offset AS kafka_offset",
    )


def spark_trigger(writer: DataStreamWriter, settings: Settings) -> DataStreamWriter:
    """availableNow for bounded runs: what the topic holds at start (in as many micro-batches as
    needed), then stop; otherwise `--trigger` if given, else the next micro-batch starts as soon as
    the last one is done."""
    if settings.bounded:
        return writer.trigger(availableNow=True)
    if settings.spark_trigger:
        kind, duration = settings.trigger_parts()
        return writer.trigger(**{kind: duration})
    return writer.trigger(processingTime="0 seconds")


def spark_kafka_sink(
    frame: DataFrame, settings: Settings, query_name: str, mode: str, topic: str = ""
) -> StreamingQuery:
    """Start a streaming query writing key/value (and, without `topic`, a per-row topic column) to Kafka."""
    writer = (
        frame.writeStream.format("kafka")
        # unique in the session: the stages of a pipeline may run side by side, each with its dead letters
        .queryName("-".join(part for part in (settings.workload, settings.job, query_name) if part))
        .option("kafka.bootstrap.servers", settings.bootstrap_servers)
        .option("checkpointLocation", spark_checkpoint(settings, query_name))
        .outputMode(mode)
    )
    if topic:
        writer = writer.option("topic", topic)
    return spark_trigger(writer, settings).start()


PLACEHOLDER_NOTE = (
    "Note: StateStoreSave above says Append and checkpoint = <unknown>. A streaming DataFrame has no sink until "
    "writeStream starts it, so Spark plans it with placeholders: no checkpoint, output mode Append. The running "
    "query plans each micro-batch again with the mode its sink sets (`update` for most of the lab's jobs); "
    "`streamlab demo both` shows what that mode writes (records written per input record)."
)


def spark_plan(frame: DataFrame) -> str:
    """What DataFrame.explain("formatted") prints, returned as text instead; for a stateful streaming plan, a note
    on the placeholders its state operators show (the output mode a learner would otherwise take for the job's)."""
    session = frame.sparkSession
    plan = session._jvm.PythonSQLUtils.explainString(frame._jdf.queryExecution(), "formatted")
    if frame.isStreaming and "checkpoint = <unknown>" in plan and "StateStoreSave" in plan:
        plan = f"{plan}\n{PLACEHOLDER_NOTE}\n"
    return plan


def spark_checkpoint(settings: Settings, query_name: str) -> str:
    """One checkpoint folder per streaming query: Spark refuses to share one between queries."""
    path: Path = settings.resolved_checkpoint_dir / query_name
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


class SparkJob(RunningJob):
    """Spark runs one streaming query per sink; the job is the set of them."""

    engine = "spark"
    drops_late_silently = True

    def __init__(self, queries: list) -> None:
        self._queries = queries

    @property
    def queries(self) -> list[StreamingQuery]:
        return list(self._queries)

    def ui_url(self) -> str:
        """The Spark UI of the process's session (its Structured Streaming tab shows the queries)."""
        from pyspark import SparkContext

        context = SparkContext._active_spark_context
        return (context.uiWebUrl or "") if context is not None else ""

    def prometheus_url(self) -> str:
        """Spark's PrometheusServlet: the driver's metrics, the streaming queries' among them (none without the UI)."""
        ui = self.ui_url()
        return f"{ui}{PROMETHEUS_PATH}/" if ui else ""  # the servlet answers below the path

    def wait(self) -> None:
        for query in self._queries:
            query.awaitTermination()

    def executed_plan(self) -> str:
        """Each query's last micro-batch as Spark planned it for the running query: unlike DataFrame.explain()
        before writeStream (see PLACEHOLDER_NOTE), its state operators carry the sink's output mode and the
        query's checkpoint."""
        from pyspark import SparkContext

        jvm = SparkContext._active_spark_context._jvm
        plans = []
        for query in self._queries:
            execution = query._jsq.streamingQuery().lastExecution()
            if execution is None:
                plans.append(f"-- query {query.name}: no micro-batch ran, so no plan")
                continue
            formatted = jvm.PythonSQLUtils.explainString(execution, "formatted")
            mode = query._jsq.streamingQuery().outputMode()
            plans.append(f"-- query {query.name} (output mode {mode})\n{formatted}")
        return "\n".join(plans)

    def stop(self) -> None:
        for query in self._queries:
            if query.isActive:
                query.stop()

    def status(self) -> str:
        """FAILED once a query has died with an error (wait() raises it), else by how many still run."""
        if any(not query.isActive and query.exception() is not None for query in self._queries):
            return "FAILED"
        active = sum(1 for query in self._queries if query.isActive)
        return "RUNNING" if active == len(self._queries) else ("FINISHED" if active == 0 else "PARTIAL")

    def caught_up(self) -> bool:
        """True when every query's last micro-batch ended at the newest offsets its source had seen."""
        for query in self._queries:
            progress = query.lastProgress
            if progress is None or query.status.get("isDataAvailable"):
                return False
            if any(_offsets(s.endOffset) != _offsets(s.latestOffset) for s in progress.sources):
                return False
        return True

    def dropped_by_watermark(self) -> int:
        """numRowsDroppedByWatermark summed over every micro-batch's progress (kept for the last
        PROGRESS_KEPT batches, see spark_session): the only trace of the late rows Spark dropped. These
        are rows at the stateful operator, after the partial aggregation before the shuffle, so one
        row may stand for several late records of the same window: a sign, not a count."""
        return sum(
            operator.numRowsDroppedByWatermark
            for query in self._queries
            for progress in query.recentProgress
            for operator in progress.stateOperators
        )

    def final_watermark(self) -> str:
        """The highest watermark any query reported, as yyyy-MM-dd HH:mm:ss (UTC, as the session runs)."""
        marks = [
            progress.eventTime.get("watermark", "")
            for query in self._queries
            if (progress := query.lastProgress) is not None
        ]
        newest = max((mark for mark in marks if mark), default="")
        return newest[:19].replace("T", " ")

    def time_breakdown(self) -> dict[str, dict[str, float]]:
        """Where a micro-batch's time goes, per query: the median of each durationMs part over the
        batches that read data (triggerExecution is the whole batch; walCommit and commitOffsets are
        the checkpoint writes of every batch; addBatch runs the query and writes the sink)."""
        breakdown = {}
        for query in self._queries:
            batches = [p.durationMs for p in query.recentProgress if p.numInputRows > 0]
            if batches:
                parts = sorted({part for batch in batches for part in batch})
                medians = {part: statistics.median(batch.get(part, 0) for batch in batches) for part in parts}
                breakdown[query.name] = {**medians, "batches": len(batches)}
        return breakdown

    def drain(self) -> None:
        """Every query processes what its source holds now, then stops."""
        for query in self._queries:
            if query.isActive:
                query.processAllAvailable()
        self.stop()


def _offsets(value: object) -> object:
    """A Spark source offset as progress reports give it (JSON text, or already parsed)."""
    return json.loads(value) if isinstance(value, str) else value
