"""Sessions for the two engines, configured the same way for every job.

Both engines get the same parallelism (Flink parallelism = Spark local cores = shuffle
partitions), UTC as the session time zone (the producers stamp UTC), and their connector
jars from jars/ — checked before a JVM starts, so a missing jar is "run make setup".
pyflink and pyspark are imported here, lazily, so the CLI starts fast and one engine's
import problems never break the other.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from streamlab import jars, kafka_admin
from streamlab.paths import COMPOSE_DIR
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyflink.table import TableEnvironment
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery

FLINK_CHECKPOINT_INTERVAL = "10 s"
# PyFlink's own log4j-cli.properties prints every org.apache.hadoop INFO line (the Parquet writer's
# codec pool) to the console; this one keeps the console for warnings and errors only
FLINK_LOG_CONFIG = COMPOSE_DIR / "flink" / "log4j-cli.properties"
SPARK_LOG_CONFIG = COMPOSE_DIR / "spark" / "log4j2.properties"
DRAIN_TIMEOUT_S = 120
LOOPBACK = "127.0.0.1"  # every listener of both engines binds here (tests/integration/test_listeners.py)
FLINK_BIND_KEYS = ("rest.bind-address", "rest.address", "jobmanager.bind-host", "taskmanager.bind-host",
                   "taskmanager.host")  # fmt: skip
PYFLINK_WORKER_MODE = "_python_worker_execution_mode"  # PyFlink's own switch: "loopback" or "process"


def flink_table_env(settings: Settings, streaming: bool = True) -> TableEnvironment:
    """A PyFlink TableEnvironment running on a local mini-cluster inside the gateway JVM."""
    connector_jars = jars.file_urls("flink")
    os.environ.setdefault("LOG4J_PROPERTIES", str(FLINK_LOG_CONFIG))  # read when PyFlink starts its JVM
    # PyFlink's local mode starts a Beam worker pool for Python UDFs on [::] (all interfaces); the jobs
    # have no Python UDFs, and "process" mode starts no such server (read by TableEnvironment.create)
    os.environ[PYFLINK_WORKER_MODE] = "process"
    from pyflink.table import EnvironmentSettings, TableEnvironment

    mode = EnvironmentSettings.in_streaming_mode() if streaming else EnvironmentSettings.in_batch_mode()
    table_env = TableEnvironment.create(mode)
    config = table_env.get_config()
    config.set("pipeline.jars", connector_jars)
    config.set("pipeline.name", f"streamlab-{settings.workload}")
    config.set("parallelism.default", str(settings.parallelism))
    config.set("table.local-time-zone", "UTC")
    # cancelling a job closes its classloader while the Kafka connector's admin thread still logs;
    # Flink's leak check then fills the terminal with a stack trace about a harmless shutdown race
    config.set("classloader.check-leaked-classloader", "false")
    # the mini-cluster's REST endpoint and blob server bind every interface by default: loopback only
    for key in FLINK_BIND_KEYS:
        config.set(key, LOOPBACK)
    if streaming and not settings.bounded:
        # the upsert-kafka sink flushes on every checkpoint; without one, only its producer's linger
        config.set("execution.checkpointing.interval", FLINK_CHECKPOINT_INTERVAL)
        config.set("execution.checkpointing.dir", settings.resolved_checkpoint_dir.as_uri())
        # a cancelled job (Ctrl-C) keeps its last completed checkpoint instead of deleting it, so the
        # next run with the same folder can resume from it (a killed job deletes nothing anyway)
        config.set("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
        latest = latest_flink_checkpoint(settings.resolved_checkpoint_dir)
        if latest is not None:
            # state and Kafka offsets come from the checkpoint: the source's startup mode (--from) is ignored
            config.set("execution.state-recovery.path", latest.path.as_uri())
    for key, value in settings.engine_conf.items():  # `run --conf`, e.g. execution.buffer-timeout.interval
        config.set(key, value)
    return table_env


@dataclass(frozen=True)
class Checkpoint:
    """What a restarted job resumes from: Flink's newest completed chk-N, or the newest batch a Spark
    query committed (one per query: each keeps its own checkpointLocation, see spark_checkpoint)."""

    number: int  # Flink's checkpoint id; Spark's batch id, -1 for a query that committed none yet
    path: Path  # Flink: the chk-N folder (execution.state-recovery.path); Spark: the query's folder
    query: str = ""  # Spark: the streaming query it belongs to


FLINK_CHECKPOINT = re.compile(r"chk-(\d+)")


def latest_flink_checkpoint(folder: Path) -> Checkpoint | None:
    """The newest completed checkpoint under folder/<job-id>/chk-N (Flink 2.x's layout), or None.

    A chk-N is complete once Flink has written its _metadata, the last file of a checkpoint; a job
    killed while checkpointing leaves one without. Each run is a new job id, so there may be several.
    The newest is the highest N: a job restored from chk-N numbers its own checkpoints from N+1, so the
    numbers grow along the chain of restarts, where modification times change with a copy of the folder
    (and the clock). _metadata's modification time only breaks a tie, which only runs that did not
    restore (started over in a folder nobody cleared) can make."""
    completed = [
        Checkpoint(int(match[1]), chk)
        for chk in folder.glob("*/chk-*")
        if (match := FLINK_CHECKPOINT.fullmatch(chk.name)) and (chk / "_metadata").is_file()
    ]
    return max(completed, key=lambda chk: (chk.number, (chk.path / "_metadata").stat().st_mtime), default=None)


def spark_checkpoints(folder: Path) -> list[Checkpoint]:
    """Each query folder (spark_checkpoint) Spark resumes from, with its newest committed batch id
    (commits/N). A query that started but committed no batch resumes too: its checkpoint holds the
    offsets it started from (sources/) and the batch it had planned (offsets/), so it is listed with -1."""
    found = []
    for query in sorted(path for path in folder.glob("*") if path.is_dir()):
        committed = [int(log.name) for log in query.glob("commits/*") if log.name.isdigit()]
        started = any(query.glob("offsets/*")) or any(query.glob("sources/*"))
        if committed or started:
            found.append(Checkpoint(max(committed, default=-1), query, query.name))
    return found


def resume_points(settings: Settings) -> list[Checkpoint]:
    """What the job these settings describe resumes from when it starts; [] when it starts from --from.
    Bounded runs and batch jobs start over: their folder is cleared first (streamlab.run.lifecycle.start_job)."""
    folder = settings.resolved_checkpoint_dir
    if settings.engine == "spark":
        return spark_checkpoints(folder)
    latest = latest_flink_checkpoint(folder) if not settings.bounded else None
    return [latest] if latest else []


def describe_start(settings: Settings) -> str:
    """'resuming from checkpoint N' (Flink's chk-N, Spark's newest committed batch of each query), or
    'no checkpoint: starting from earliest|latest' (--from)."""
    points = resume_points(settings)
    if not points:
        return f"no checkpoint: starting from {settings.start_from}"
    if settings.engine == "flink":
        return f"resuming from checkpoint {points[0].number} ({points[0].path})"
    batches = ", ".join(
        f"{point.number} ({point.query})" if point.number >= 0 else f"- ({point.query}: no batch committed yet)"
        for point in points
    )
    return f"resuming from checkpoint {batches} in {settings.resolved_checkpoint_dir}"


ACTIVE_STATES = ("RUNNING", "CREATED", "INITIALIZING", "RESTARTING", "PARTIAL")  # a job in these has not ended
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
        .master(f"local[{parallelism}]")
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
        .config("spark.ui.enabled", os.environ.get("STREAMLAB_SPARK_UI", "false"))
        .config("spark.driver.memory", "2g")
        .config("spark.sql.streaming.stopGracefullyOnShutdown", "true")
        # 100 by default; the late rows a query dropped are summed from these (SparkJob.dropped_by_watermark)
        .config("spark.sql.streaming.numRecentProgressUpdates", str(PROGRESS_KEPT))
    )
    for key, value in settings.engine_conf.items():  # `run --conf`
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    # getOrCreate hands back an existing session unchanged; the per-run SQL settings must still apply
    session.conf.set("spark.sql.shuffle.partitions", parallelism)
    for key, value in settings.engine_conf.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    return session


def spark_kafka_source(spark: SparkSession, settings: Settings, topics: str | Sequence[str]) -> DataFrame:
    """One or more topics as (payload STRING, kafka_topic STRING, kafka_partition INT, kafka_offset BIGINT):
    the columns of the Flink jobs' raw source tables, so the parse steps of both engines start alike."""
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.bootstrap_servers)
        .option("subscribe", topics if isinstance(topics, str) else ",".join(topics))
        .option("startingOffsets", settings.start_from)
        # as every reader of the lab: a topic a Flink exactly-once sink writes shows committed records only
        .option("kafka.isolation.level", "read_committed")
        .load()
        .selectExpr(
            "CAST(value AS STRING) AS payload",
            "topic AS kafka_topic",
            "partition AS kafka_partition",
            "offset AS kafka_offset",
        )
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


def spark_plan(frame: DataFrame) -> str:
    """What DataFrame.explain("formatted") prints, returned as text instead."""
    session = frame.sparkSession
    return session._jvm.PythonSQLUtils.explainString(frame._jdf.queryExecution(), "formatted")


def spark_checkpoint(settings: Settings, query_name: str) -> str:
    """One checkpoint folder per streaming query: Spark refuses to share one between queries."""
    path: Path = settings.resolved_checkpoint_dir / query_name
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


class RunningJob:
    """What the CLI and the tests need from a submitted job, whichever engine runs it."""

    engine = ""
    drops_late_silently = False  # Flink's jobs route late rows to their dead letters; Spark drops them

    def wait(self) -> None:
        """Block until the job ends (bounded runs); raises if it failed."""
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def status(self) -> str:
        raise NotImplementedError

    def caught_up(self) -> bool:
        """True once the job has read everything in its input topics (as far as the engine tells)."""
        return False

    def drain(self) -> None:
        """Process what has been read to the end and stop: the last open windows are emitted too."""
        self.stop()

    def dropped_by_watermark(self) -> int:
        """Input rows a stateful operator dropped as late, without a trace (Flink's jobs route them instead)."""
        return 0

    def final_watermark(self) -> str:
        """The newest event-time watermark of an engine that reports it per micro-batch (Spark), else ''."""
        return ""

    def time_breakdown(self) -> dict[str, dict[str, float]]:
        """Where the time of an engine that reports it per micro-batch (Spark) goes; {} otherwise."""
        return {}


class FlinkJob(RunningJob):
    """A submitted Flink job. With its Kafka source's group and topics it can also tell how far it has
    read (Flink commits the offsets it has read to the group on every checkpoint) and drain."""

    engine = "flink"

    def __init__(
        self,
        table_result: object,
        settings: Settings | None = None,
        group_id: str = "",
        source_topics: tuple[str, ...] = (),
    ) -> None:
        self._result = table_result
        self._client = table_result.get_job_client()
        self._finished = False
        self._settings = settings
        self._group_id = group_id
        self._source_topics = source_topics

    def wait(self) -> None:
        self._result.wait()
        self._finished = True

    def stop(self) -> None:
        if not self._finished and self.status() in ("RUNNING", "CREATED", "INITIALIZING", "RESTARTING"):
            self._client.cancel().result()
        self._finished = True

    def status(self) -> str:
        if self._finished:
            return "FINISHED"
        try:
            return str(self._client.get_job_status().result()).rsplit(".", 1)[-1]
        except Exception:  # a finished bounded job's mini-cluster is gone: nothing left to ask
            self._finished = True
            return "FINISHED"

    def caught_up(self) -> bool:
        if not (self._settings and self._group_id and self._source_topics):
            return False
        lag = kafka_admin.committed_lag(self._settings.bootstrap_servers, self._group_id, self._source_topics)
        return lag == 0

    def drain(self) -> None:
        """Stop with a savepoint and --drain semantics: the sources emit MAX_WATERMARK first, so every
        event-time window still open fires and the sinks commit, as at the end of a bounded input."""
        if self._finished or self._settings is None:
            self.stop()
            return
        kafka_admin.wait_until(
            self.caught_up, DRAIN_TIMEOUT_S, f"flink to read all of {', '.join(self._source_topics)}"
        )
        savepoints = (self._settings.resolved_checkpoint_dir / "savepoints").as_uri()
        from pyflink.java_gateway import get_gateway

        jvm = get_gateway().jvm
        format_type = jvm.org.apache.flink.core.execution.SavepointFormatType.CANONICAL
        stopped = self._client._j_job_client.stopWithSavepoint(True, savepoints, format_type)
        stopped.get(DRAIN_TIMEOUT_S, jvm.java.util.concurrent.TimeUnit.SECONDS)
        self._finished = True


class Pipeline(RunningJob):
    """Jobs that feed one another, running at the same time: the stages of a workload's pipeline, in
    order. Late-data figures are those of the last stage, the one whose result is followed."""

    def __init__(self, stages: list[RunningJob]) -> None:
        self.stages = stages
        self.engine = stages[-1].engine
        self.drops_late_silently = stages[-1].drops_late_silently

    def wait(self) -> None:
        """Stages that have ended first: a failed stage raises its error without waiting for the others."""
        ended = [stage for stage in self.stages if stage.status() not in ACTIVE_STATES]
        for stage in ended + [stage for stage in self.stages if stage not in ended]:
            stage.wait()

    def stop(self) -> None:
        for stage in self.stages:
            stage.stop()

    def status(self) -> str:
        """A stage's end state (FAILED, say) as soon as it is in one; FINISHED when every stage is."""
        states = [stage.status() for stage in self.stages]
        if all(state == "FINISHED" for state in states):
            return "FINISHED"
        ended = [state for state in states if state not in ACTIVE_STATES and state != "FINISHED"]
        if ended:
            return ended[0]
        return "RUNNING" if all(state == "RUNNING" for state in states) else "PARTIAL"

    def caught_up(self) -> bool:
        return all(stage.caught_up() for stage in self.stages)

    def drain(self) -> None:
        """Stage by stage: each has read all that the one before it wrote before it stops in turn."""
        for stage in self.stages:
            stage.drain()

    def dropped_by_watermark(self) -> int:
        return self.stages[-1].dropped_by_watermark()

    def final_watermark(self) -> str:
        return self.stages[-1].final_watermark()


class FinishedJob(RunningJob):
    """A batch run that was complete when run() returned (Spark's batch writes block until done)."""

    def __init__(self, engine: str) -> None:
        self.engine = engine

    def wait(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def status(self) -> str:
        return "FINISHED"


class SparkJob(RunningJob):
    """Spark runs one streaming query per sink; the job is the set of them."""

    engine = "spark"
    drops_late_silently = True

    def __init__(self, queries: list) -> None:
        self._queries = queries

    def wait(self) -> None:
        for query in self._queries:
            query.awaitTermination()

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
