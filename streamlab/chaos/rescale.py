"""`streamlab rescale ENGINE WORKLOAD --to N`: a running job grown onto more of its cluster, state intact (seed
003: "grow the application when the input outgrows it").

The job runs on the engine's own cluster (`cluster up --engines`) at --parallelism, from a process of its own,
while the workload's producer writes seeded events. Once it has completed a checkpoint it is stopped at a
seeded record, the way each engine keeps its state across a planned stop, and resumed at --to:

- Flink: stop with a savepoint (`POST /jobs/:id/stop`, what `flink stop --savepointPath` sends), then the job
  again from it (`run --from-savepoint`, Flink's execution.state-recovery.path) at the new parallelism. Keyed
  state is saved by key group: max parallelism (128 for these jobs) groups, fixed when the job first ran,
  each of which moves whole to one of the new subtasks. Max parallelism is what a savepoint pins.
- Spark: Ctrl-C, then the query again from its checkpoint folder with --to cores (spark.cores.max). The
  checkpoint pins spark.sql.shuffle.partitions (its offset log records it): the state store was written in
  that many partitions, so the stateful operators keep that many tasks whatever the new session asks, and
  only the Kafka read (a task per topic partition) and the stateless steps spread over the new cores. More
  state partitions take a new checkpoint folder: a start over.

The producer writes on while no job runs. Then, as in every chaos run (Chaos, which this extends), the resumed
job reads to the end, is drained, and its result is held to the pandas oracle over every record produced.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from streamlab import display, engine_clusters, engines, results
from streamlab.chaos.report import ChaosReport, Kill, Rescaling
from streamlab.chaos.run import Chaos, ChaosOptions
from streamlab.chaos.schedule import KillPoint
from streamlab.engine_clusters import get_json
from streamlab.errors import LabError
from streamlab.run import lifecycle
from streamlab.settings import Settings
from streamlab.workloads import Workload

SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"


class Rescale(Chaos):
    """A chaos run with one planned stop instead of kills, and a last run at another parallelism."""

    def __init__(self, settings: Settings, workload: Workload, options: ChaosOptions, to: int) -> None:
        if not settings.cluster:
            raise LabError("rescale grows a job on the engine's own cluster: give it --cluster")
        if len(workload.stages()) > 1:
            raise LabError(f"{workload.name} is a pipeline of jobs: rescale takes a workload of one job")
        if to == settings.parallelism:
            raise LabError(f"--to {to} is the parallelism it starts with (--parallelism): nothing would change")
        super().__init__(settings, workload, replace(options, kills=1))
        self.to = to
        self.stopped_at = 0.0
        self.stopped_s = 0.0
        self.kept_in = ""
        self.first_job: dict[str, Any] = {}  # Flink: the job stopped with a savepoint, as its REST API gave it

    def check_capacity(self) -> None:
        """The cluster offers the slots of the larger parallelism (Flink's REST API); Spark gives an application
        the cores its workers have, fewer if they have fewer (the master does not say which the client asked)."""
        if self.settings.engine != "flink":
            return
        slots = int(get_json(f"{self.settings.cluster}/overview")["slots-total"])
        needed = max(self.to, self.settings.parallelism)
        if slots < needed:
            raise LabError(f"the Flink cluster at {self.settings.cluster} has {slots} slot(s), and --to {needed} needs "
                           f"{needed}: start more TaskManagers, or rescale to at most {slots}")  # fmt: skip

    def describe_schedule(self, points: list[KillPoint]) -> str:
        return (
            f"the stop at record {points[0].kill:,} of {self.stats.target:,} (seed {self.options.seed}), once run 1 "
            f"has completed a checkpoint (the producer waits for that at record {points[0].gate:,}); then parallelism "
            f"{self.settings.parallelism} -> {self.to}"
        )

    def kill(self, number: int) -> None:
        """The planned stop, in place of a kill: Flink's with a savepoint, Spark's with Ctrl-C."""
        at_record = self.stats.sent
        self.stopped_at = time.monotonic()
        if self.settings.engine == "flink":
            self.kept_in = self.stop_flink()
        else:
            with display.console.status("Ctrl-C to the Spark run: it stops its query ..."):
                self.processes[-1].interrupt()
            points = engines.resume_points(self.settings)
            self.kept_in = ", ".join(f"batch {p.number} of {p.query}" for p in points) + " (the checkpoint folder)"
        self.kills.append(Kill(number, at_record, time.monotonic() - self.started, 0, self.kept_in))
        display.console.print(
            f"stopped run 1 (parallelism {self.settings.parallelism}) at record {at_record:,}: state in {self.kept_in}",
            highlight=False, soft_wrap=True,
        )  # fmt: skip

    def stop_flink(self) -> str:
        """Stop with a savepoint through the session cluster's REST API; the run's process then ends by itself."""
        rest = self.settings.cluster
        job_id = engine_clusters.running_flink_job(rest)
        self.first_job = get_json(f"{rest}/jobs/{job_id}")
        folder = self.settings.resolved_checkpoint_dir / "savepoints"
        with display.console.status(f"stopping Flink job {job_id[:8]} with a savepoint in {folder} ..."):
            savepoint = engine_clusters.stop_with_savepoint(rest, job_id, folder)
            self.processes[-1].wait_exit()
        # every later step (the resume line, the last run) resumes from it: --from-savepoint
        self.settings = self.settings.with_(savepoint=savepoint)
        self.stages = lifecycle.stages_of(self.settings, self.workload.stages())
        return f"savepoint {results.display_path(savepoint)}"

    def last_run_settings(self) -> Settings:
        return super().last_run_settings().with_(parallelism=self.to)

    def start_last_run(self) -> engines.RunningJob:
        running = super().start_last_run()
        self.stopped_s = time.monotonic() - self.stopped_at
        return running

    def verdict(self, caught_up: bool, restarts_resumed: int) -> ChaosReport:
        report = super().verdict(caught_up, restarts_resumed)
        try:
            events = self.flink_story() if self.settings.engine == "flink" else self.spark_story()
        except (OSError, ValueError, KeyError) as error:
            events = [f"(the engine's REST API did not say: {error})"]
        rescaled = Rescaling(self.settings.parallelism, self.to, self.kills[0].at_record, self.kept_in,
                             self.stopped_s, tuple(events))  # fmt: skip
        return replace(report, rescaled=rescaled)

    # --- what each engine did, in its own words ---------------------------------------------------------

    def flink_story(self) -> list[str]:
        """The stopped job's and the resumed job's vertices, and what the resumed job restored from."""
        rest = self.settings.cluster
        assert isinstance(self.running, engines.FlinkJob)
        resumed_id = self.running.job_id()
        resumed = get_json(f"{rest}/jobs/{resumed_id}")
        restored = get_json(f"{rest}/jobs/{resumed_id}/checkpoints")["latest"].get("restored") or {}
        max_parallelism = {vertex.get("maxParallelism") for vertex in resumed["vertices"]}
        lines = [
            f"job {self.first_job['jid'][:8]}: {_vertices(self.first_job)}; stopped with a savepoint, FINISHED",
            f"job {resumed_id[:8]}: {_vertices(resumed)}",
            f"restored checkpoint {restored.get('id', '?')} (is_savepoint {restored.get('is_savepoint')}) from "
            f"{restored.get('external_path', '?').rsplit('/', 1)[-1]}",
        ]
        if len(max_parallelism) == 1 and None not in max_parallelism:
            groups = max_parallelism.pop()
            lines.append(f"max parallelism {groups}: keyed state in {groups} key groups, {groups // self.to} or so "
                         f"per subtask now; the savepoint pins {groups}, the most it can grow to")  # fmt: skip
        return lines

    def spark_story(self) -> list[str]:
        """What the checkpoint pins, what the resumed query's progress says it ran with, and its executors."""
        assert isinstance(self.running, engines.SparkJob)
        lines = []
        for point in engines.resume_points(self.settings):
            pinned = engines.spark_pinned_conf(point.path).get(SHUFFLE_PARTITIONS, "?")
            lines.append(f"the checkpoint of {point.query} pins {SHUFFLE_PARTITIONS} = {pinned} (its offset log); "
                         f"this run's session asked for {self.to}")  # fmt: skip
        for query in self.running.queries:
            operators = [o for p in query.recentProgress for o in p.stateOperators]
            if operators:
                ran = sorted({o.numShufflePartitions for o in operators})
                lines.append(f"query {query.name}: its stateful operators ran {', '.join(map(str, ran))} state "
                             "partition(s) after the restart (numShufflePartitions in its progress)")  # fmt: skip
        lines.append(f"executors now: {self.executor_cores()} core(s); run 1 had spark.cores.max = "
                     f"{self.settings.parallelism}")  # fmt: skip
        return lines

    def executor_cores(self) -> int:
        from pyspark import SparkContext

        context = SparkContext._active_spark_context
        if context is None or not context.uiWebUrl:
            return 0
        executors = get_json(f"{context.uiWebUrl}/api/v1/applications/{context.applicationId}/executors")
        return sum(int(e["totalCores"]) for e in executors if e["id"] != "driver")


def _vertices(job: dict[str, Any]) -> str:
    """'2 vertices at parallelism 1' from a job's REST document."""
    parallelism = sorted({vertex["parallelism"] for vertex in job["vertices"]})
    return f"{len(job['vertices'])} vertices at parallelism {', '.join(map(str, parallelism))}"


def rescale(settings: Settings, workload: Workload, options: ChaosOptions, to: int) -> ChaosReport:
    """Run the workload's job at settings.parallelism on the engine's cluster, stop it with its state kept, resume
    it at `to`, then compare with the oracle."""
    run = Rescale(settings, workload, options, to)
    run.check_capacity()
    return run.run()
