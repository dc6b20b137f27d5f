"""Flink: a PyFlink TableEnvironment on a local mini-cluster, configured the same way for every job, and
the handle of a submitted job (status, caught up, drain with a savepoint)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from streamlab import jars, kafka_admin
from streamlab.engines.checkpoints import resume_points
from streamlab.engines.jobs import LOOPBACK, RunningJob, output_to_log
from streamlab.errors import LabError
from streamlab.paths import COMPOSE_DIR
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyflink.table import TableEnvironment

FLINK_CHECKPOINT_INTERVAL = "10 s"

# PyFlink's own log4j-cli.properties prints every org.apache.hadoop INFO line (the Parquet writer's
# codec pool) to the console; this one keeps the console for warnings and errors only
FLINK_LOG_CONFIG = COMPOSE_DIR / "flink" / "log4j-cli.properties"

DRAIN_TIMEOUT_S = 120


FLINK_BIND_KEYS = ("rest.bind-address", "rest.address", "jobmanager.bind-host", "taskmanager.bind-host",
                   "taskmanager.host")  # fmt: skip

PYFLINK_WORKER_MODE = "_python_worker_execution_mode"  # PyFlink's own switch: "loopback" or "process"

# Flink's Prometheus reporter (docs/monitoring.md), served on loopback by the lab's subclass (jars/checks). A
# local job's mini-cluster loads no plugin folder, so both jars go on the gateway JVM's classpath, through the
# one variable PyFlink's launcher adds to it (pyflink_gateway_server.construct_hadoop_classpath).
PROMETHEUS_FACTORY = "lab.streamlab.metrics.LoopbackPrometheusReporterFactory"
PROMETHEUS_URL_PROPERTY = "streamlab.prometheus.url"  # where the reporter says which free port it took
GATEWAY_CLASSPATH_ENV = "HADOOP_CLASSPATH"


def prometheus_reporter_jars() -> list[str]:
    """The lab's reporter and Flink's flink-metrics-prometheus, as PyFlink's wheel ships it (a plugin)."""
    import pyflink

    plugin = Path(pyflink.__file__).parent / "plugins" / "metrics-prometheus"
    found = sorted(plugin.glob("flink-metrics-prometheus-*.jar"))
    if not found:
        raise LabError(f"no flink-metrics-prometheus jar in {plugin}: reinstall apache-flink (make setup)")
    return [str(jars.checks_jar()), str(found[0])]


def flink_table_env(settings: Settings, streaming: bool = True) -> TableEnvironment:
    """A PyFlink TableEnvironment running on a local mini-cluster inside the gateway JVM."""
    # the connectors, and the lab's streamlab-json format that every streaming source parses with
    connector_jars = f"{jars.file_urls('flink')};{jars.checks_jar().as_uri()}"
    os.environ.setdefault("LOG4J_PROPERTIES", str(FLINK_LOG_CONFIG))  # read when PyFlink starts its JVM
    # PyFlink's local mode starts a Beam worker pool for Python UDFs on [::] (all interfaces); the jobs
    # have no Python UDFs, and "process" mode starts no such server (read by TableEnvironment.create)
    os.environ[PYFLINK_WORKER_MODE] = "process"
    os.environ[GATEWAY_CLASSPATH_ENV] = os.pathsep.join(
        [*prometheus_reporter_jars(), os.environ.get(GATEWAY_CLASSPATH_ENV, "")]
    ).rstrip(os.pathsep)
    from pyflink.table import EnvironmentSettings, TableEnvironment

    mode = EnvironmentSettings.in_streaming_mode() if streaming else EnvironmentSettings.in_batch_mode()
    with output_to_log("flink", settings.workload):  # the gateway's JVM starts here, on the first call
        table_env = TableEnvironment.create(mode)
    config = table_env.get_config()
    config.set("pipeline.jars", connector_jars)
    config.set("pipeline.name", f"streamlab-{settings.workload}")
    config.set("parallelism.default", str(settings.parallelism))
    config.set("table.local-time-zone", "UTC")
    # cancelling a job closes its classloader while the Kafka connector's admin thread still logs;
    # Flink's leak check then fills the terminal with a stack trace about a harmless shutdown race
    config.set("classloader.check-leaked-classloader", "false")
    if settings.cluster:
        submit_to_session_cluster(config, settings.cluster)
    else:
        local_mini_cluster(config)
    if streaming and not settings.bounded:
        # the upsert-kafka sink flushes on every checkpoint; without one, only its producer's linger
        config.set("execution.checkpointing.interval", FLINK_CHECKPOINT_INTERVAL)
        config.set("execution.checkpointing.dir", settings.resolved_checkpoint_dir.as_uri())
        # a cancelled job (Ctrl-C) keeps its last completed checkpoint instead of deleting it, so the
        # next run with the same folder can resume from it (a killed job deletes nothing anyway)
        config.set("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
        latest = resume_points(settings)  # the savepoint --from-savepoint names, else the newest chk-N
        if latest:
            # state and Kafka offsets come from the checkpoint: the source's startup mode (--from) is ignored
            config.set("execution.state-recovery.path", latest[0].path.as_uri())
    for key, value in settings.engine_conf.items():  # `run --conf`, e.g. execution.buffer-timeout.interval
        config.set(key, value)
    return table_env


def local_mini_cluster(config: object) -> None:
    """The job runs in a mini-cluster inside this process's JVM, with the lab's reporter."""
    # the mini-cluster's REST endpoint and blob server bind every interface by default: loopback only
    for key in FLINK_BIND_KEYS:
        config.set(key, LOOPBACK)
    # the web UI's metrics as fresh as this (10 s by default); the lab's own reports scrape the reporter below
    config.set("metrics.fetcher.update-interval", "1 s")
    config.set("metrics.reporter.prom.factory.class", PROMETHEUS_FACTORY)
    config.set("metrics.reporter.prom.port", "0")  # any free port: two jobs' processes may run at once


def submit_to_session_cluster(config: object, rest_url: str) -> None:
    """The job goes to a running session cluster, through its REST API: what `flink run` does, from this
    process (the same job code; the cluster's own config.yaml holds its reporters and restart strategy).
    pipeline.jars still name the connectors: the planner here needs them, and they travel with the job."""
    address = urlsplit(rest_url)
    if address.scheme not in ("http", "https") or not address.hostname:
        raise LabError(f"--cluster for Flink takes a session cluster's REST address, e.g. http://127.0.0.1:8081, "
                       f"not {rest_url!r}")  # fmt: skip
    config.set("execution.target", "remote")
    config.set("rest.address", address.hostname)
    config.set("rest.port", str(address.port or 8081))


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
        # a session cluster's processes each serve their own (engine_clusters); a local job's reporter is ours
        self._prometheus_url = "" if settings is not None and settings.cluster else self._reporter_url()

    def job_id(self) -> str:
        return str(self._client.get_job_id())

    def rest_url(self) -> str:
        """The REST API and web UI of the job's cluster. A local job runs in a mini-cluster of its own, whose
        REST endpoint binds a free port (rest.bind-port 0): two jobs of one process never collide. Flink's
        client has no getter for it, so it is read from the mini-cluster the client holds."""
        if self._settings is not None and self._settings.cluster:
            return self._settings.cluster
        client = self._client._j_job_client
        field = client.getClass().getDeclaredField("miniCluster")  # MiniClusterJobClient
        field.setAccessible(True)
        return str(field.get(client).getRestAddress().get().toString())

    def prometheus_url(self) -> str:
        """Flink's Prometheus text for the job's mini-cluster (every operator's metrics), on loopback; on the
        lab's session cluster, its JobManager's (each TaskManager serves its operators': prometheus_urls)."""
        urls = self.prometheus_urls()
        return urls[0] if urls else ""

    def prometheus_urls(self) -> list[str]:
        if self._settings is not None and self._settings.cluster:
            from streamlab import engine_clusters

            return engine_clusters.flink_prometheus_urls(self._settings.cluster)
        return [self._prometheus_url] if self._prometheus_url else []

    @staticmethod
    def _reporter_url() -> str:
        """Read once the job is submitted: its mini-cluster's reporter has just said where it serves. A second
        job of the process (a pipeline's next stage) starts a mini-cluster, and a reporter, of its own."""
        from pyflink.java_gateway import get_gateway

        return str(get_gateway().jvm.System.getProperty(PROMETHEUS_URL_PROPERTY) or "")

    def ui_url(self) -> str:
        try:
            return self.rest_url()
        except Exception:  # a bounded job that has ended: its mini-cluster is gone
            return ""

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
