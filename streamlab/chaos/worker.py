"""A worker lost mid-run (`streamlab chaos kill-worker`): the job runs on the engine's own cluster
(`cluster up --engines`), and a worker under it gets SIGKILL, then starts again.

- Flink: the TaskManager that runs the job's source task. The JobManager drops it once two heartbeat requests
  to it have failed (heartbeat.rpc-failure-threshold; one every 2 s in the lab's config), and restarts the
  job from its last checkpoint through its restart strategy, on the slots left (the other TaskManager's) or
  on the restarted one's.
- Spark: the worker, with its executor (a child process of the worker's JVM). The master drops it as its
  connection closes; the driver, in this process, loses the executor and its running tasks, gets a new
  executor once the worker is back, and runs the lost tasks again. The query's own checkpoint is not needed:
  the driver never died.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import psutil

from streamlab import display, engine_clusters, processes
from streamlab.engine_clusters import EngineLayout, get_json
from streamlab.errors import LabError


class WorkerFault:
    """A worker of the engine cluster the run's job is on (chaos.broker.Fault)."""

    kind = "worker"

    def __init__(self, layout: EngineLayout, engine: str) -> None:
        self.layout, self.engine = layout, engine
        self.victim = "spark-worker" if engine == "spark" else ""  # Flink's: the TaskManager running the source
        self.killed_at = 0.0
        self._flink_job = ""  # the job on the session cluster, and the TaskManager killed under it
        self._taskmanager_id = ""

    @property
    def node(self) -> str:
        return self.victim or "a TaskManager"

    @property
    def label(self) -> str:
        return self.victim or "the TaskManager running the job's source"

    @property
    def dropped_what(self) -> str:
        master = "the JobManager" if self.engine == "flink" else "the Spark master"
        return f"{master} to drop {self.node}"

    def check(self) -> None:
        nodes = {"flink": engine_clusters.flink_nodes, "spark": engine_clusters.spark_nodes}[self.engine](self.layout)
        down = [n.name for n in nodes if not n.alive()]
        if down:
            raise LabError(
                f"kill-worker runs the job on the lab's {self.engine} cluster, and {', '.join(down)} is not running: "
                "start it with `streamlab cluster up --engines` (make cluster-up ENGINES=1)"
            )

    def kill(self) -> None:
        if self.engine == "flink":
            self._flink_job, self._taskmanager_id = self._running_source()
            self.victim = self._taskmanager_node(self._taskmanager_id)
        self.killed_at = time.time()
        victim = engine_clusters.node(self.layout, self.victim)
        pid = victim.pid()
        if pid is None or not victim.alive():
            raise LabError(f"{self.victim} is not running: `streamlab cluster up --engines` starts it")
        killed = processes.kill_tree(pid)  # the Spark worker's executor is its child: both go
        display.console.print(f"SIGKILL to {self.victim} (pid {pid}, {killed} process(es))", highlight=False)

    def dropped(self) -> bool:
        if self.engine == "flink":
            try:
                listed = get_json(f"{self.layout.flink_rest_url}/taskmanagers")["taskmanagers"]
            except (OSError, ValueError, KeyError):
                return False
            return all(manager["id"] != self._taskmanager_id for manager in listed)
        return engine_clusters.spark_cores(self.layout) == 0

    def restart(self) -> None:
        """The node again, as `cluster up --engines` starts it; returns once its slots or cores are offered."""
        engine_clusters.up(self.layout, progress=display.console.print)

    def what_happened(self) -> list[str]:
        """From the engine's own REST API: the job's failures and restarts (Flink), the executors lost and
        added and the tasks that failed (Spark)."""
        try:
            return self._flink_story() if self.engine == "flink" else self._spark_story()
        except (OSError, ValueError, KeyError) as error:
            return [f"(the engine's REST API did not say: {error})"]

    # --- Flink ------------------------------------------------------------------------------------------

    def _running_source(self) -> tuple[str, str]:
        """The running job and the TaskManager its first (source) vertex runs on."""
        base = self.layout.flink_rest_url
        job_id = engine_clusters.running_flink_job(base)
        source = get_json(f"{base}/jobs/{job_id}")["vertices"][0]["id"]
        managers = get_json(f"{base}/jobs/{job_id}/vertices/{source}/taskmanagers")["taskmanagers"]
        return job_id, managers[0]["taskmanager-id"]

    def _taskmanager_node(self, taskmanager_id: str) -> str:
        """Which of the lab's TaskManager processes a JobManager's TaskManager id names: by the RPC port the
        id carries (127.0.0.1:PORT-xxxxxx), which that process listens on."""
        port = urlsplit(f"//{taskmanager_id.rsplit('-', 1)[0]}").port
        for candidate in engine_clusters.flink_nodes(self.layout)[1:]:
            pid = candidate.pid()
            if pid is None or not candidate.alive():
                continue
            listening = {c.laddr.port for c in psutil.Process(pid).net_connections("tcp") if c.status == "LISTEN"}
            if port in listening:
                return candidate.name
        raise LabError(f"no TaskManager of the lab's listens on the port of {taskmanager_id}")

    def _flink_story(self) -> list[str]:
        base = f"{self.layout.flink_rest_url}/jobs/{self._flink_job}"
        failures = get_json(f"{base}/exceptions")["exceptionHistory"]["entries"]
        job = get_json(base)
        lines = [
            f"{len(failures)} failure(s) of job {self._flink_job[:8]}, each restarted from its last checkpoint "
            "(restart-strategy exponential-delay)"
        ]
        for failure in failures[:3]:
            after_s = failure["timestamp"] / 1000 - self.killed_at
            message = (failure.get("exceptionName") or "").rsplit(".", 1)[-1]
            lines.append(f"{after_s:.0f} s after the kill: {message} on {failure.get('taskName', '?')[:60]}")
        lines.append(f"now {job['state']}; restored from a checkpoint since: {self._restored()}")
        return lines

    def _restored(self) -> str:
        counts = get_json(f"{self.layout.flink_rest_url}/jobs/{self._flink_job}/checkpoints")
        latest = (counts.get("latest") or {}).get("restored") or {}
        return f"checkpoint {latest['id']}" if latest else "none"

    # --- Spark ------------------------------------------------------------------------------------------

    def _spark_story(self) -> list[str]:
        from pyspark import SparkContext

        context = SparkContext._active_spark_context
        if context is None or not context.uiWebUrl:
            return ["(no Spark UI in this process: its REST API tells the executors' story)"]
        base = f"{context.uiWebUrl}/api/v1/applications/{context.applicationId}"
        lines = []
        for executor in get_json(f"{base}/allexecutors"):
            if executor["id"] == "driver":
                continue
            if executor.get("removeReason"):
                lines.append(f"executor {executor['id']} lost: {executor['removeReason'][:90]}")
            else:
                lines.append(f"executor {executor['id']} added {executor.get('addTime', '?')[:19]}")
        failed = sum(int(stage.get("numFailedTasks", 0)) for stage in get_json(f"{base}/stages"))
        lines.append(f"{failed} task(s) failed with it (a lost task runs again on another executor; none failed: "
                     "the worker died between micro-batches)" if not failed else
                     f"{failed} task(s) failed with it and ran again on the new executor")  # fmt: skip
        return lines
