"""One chaos run: the producer, the job's processes killed and restarted (or a broker taken down), the wait
for the end, and the verdict. The package docstring (streamlab/chaos/__init__.py) tells the whole story."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from kafka.errors import KafkaError

from streamlab import display, engines, ownership, workloads
from streamlab.chaos.broker import Fault, NodeOutage
from streamlab.chaos.report import ChaosReport, Kill, raw_duplicates, rejected_records
from streamlab.chaos.schedule import KillPoint, checkpoint_advanced, kill_schedule, stage_points
from streamlab.engines import ACTIVE_STATES, Checkpoint, RunningJob
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.processes import StreamlabProcess
from streamlab.producing import ProduceStats
from streamlab.results import APPEND_TOPIC, PARQUET, UPSERT_TOPIC
from streamlab.run import lifecycle
from streamlab.run.verdict import json_rows, judge
from streamlab.settings import Settings
from streamlab.workloads import Job, Workload

SUPPORTED_RESULTS = (UPSERT_TOPIC, APPEND_TOPIC, PARQUET)

POLL_S = 0.5


@dataclass(frozen=True)
class ChaosOptions:
    kills: int = 3
    seed: int = 42  # where the kills fall, and the producer's seed
    topic_prefix: str = "chaos_"  # its topics are deleted and created again: never the workload's own
    # producer flags, passed where the workload's producer has them (patient-events replays a file: no --count)
    producer_flags: dict[str, object] = field(default_factory=dict)
    # more producer flags as `streamlab produce WORKLOAD` takes them (--producer-args), after those: they win
    producer_args: tuple[str, ...] = ()
    timeout_s: float = 180.0  # for each wait: a checkpoint after a (cold) start, the catch-up at the end
    log_dir: Path = RUN_DIR / "chaos"


def check_supported(workload: Workload) -> Job:
    """The job chaos runs, or one message saying why this workload cannot be run that way (yet)."""
    job = workload.job()  # "not built yet"
    supported = ", ".join(supported_workloads())
    if workload.batch:
        raise LabError(
            f"{workload.name} is a batch workload: its job reads a file to the end and stops, so there is no "
            f"running job to kill; chaos kill-restart takes a streaming workload: {supported}"
        )
    if job.result.kind not in SUPPORTED_RESULTS:
        raise LabError(
            f"{workload.name} writes {job.result.kind} files: chaos kill-restart supports results in a Kafka topic "
            f"(upsert or append-only) or in Parquet files; it supports: {supported}"
        )
    return job


def supported_workloads() -> list[str]:
    return [w.name for w in workloads.WORKLOADS.values() if not w.batch and w.job().result.kind in SUPPORTED_RESULTS]


def intermediate_roles(jobs: tuple[Job, ...]) -> tuple[str, ...]:
    """The topic roles the last job reads that an earlier job of the pipeline writes."""
    written = {role for job in jobs[:-1] if job.result.is_topic for role in job.result.roles}
    return tuple(role for role in jobs[-1].input_roles if role in written)


class Chaos:
    """One chaos run: the producer, the job's processes, the broker taken down, and what happened to them.
    options.kills == 0 runs the job in this process from the start (a broker down is then the only fault)."""

    def __init__(
        self, settings: Settings, workload: Workload, options: ChaosOptions, fault: Fault | None = None
    ) -> None:
        self.settings = settings
        self.workload = workload
        self.job = check_supported(workload)
        # each job `streamlab run` runs, with its own settings (a pipeline's stages: a checkpoint folder each)
        self.stages = lifecycle.stages_of(settings, workload.stages())
        self.options = options
        self.stats = ProduceStats(0, limit=0)  # held at its first record until the fault schedule is known
        self.down_node = NodeOutage(fault, self.stats, self.wait, options.timeout_s) if fault else None
        self.processes: list[StreamlabProcess] = []
        self.running: RunningJob | None = None
        self.kills: list[Kill] = []
        self.started = time.monotonic()

    def run(self) -> ChaosReport:
        try:
            self.start_over()
            flags = {"--seed": self.options.seed, **self.options.producer_flags}
            options = self.workload.producer_options(self.options.producer_args, flags)
            lifecycle.produce_in_background(self.settings, self.workload, options, self.stats)
            before = self.resume_points()
            if self.options.kills:
                self.start_process()
            else:  # nothing to restart: the job runs here from the start
                self.running = lifecycle.start_stages(self.workload, self.stages)
            points = kill_schedule(self.options.seed, max(self.options.kills, 1), self.wait_for_target())
            if self.options.kills:
                self.kill_and_restart(points, before)
            else:
                self.node_down_and_back(points[0])
            assert self.running is not None
            caught_up = self.wait_for_the_end(self.running)
            if self.down_node is not None:
                self.down_node.back()
            if caught_up:  # a drain waits for a job that has not read everything: no use at the timeout
                with display.console.status(f"draining the {self.settings.engine} job: its open windows fire ..."):
                    self.running.drain()
            outage = self.down_node.outage if self.down_node is not None else None
            return replace(self.verdict(caught_up, restarts_resumed=len(self.kills)), outage=outage)
        finally:
            self.stats.stop.set()
            if self.down_node is not None:
                self.down_node.let_back()  # a failed run leaves the cluster whole too
            for process in self.processes:
                process.kill_tree()
            if self.running is not None:
                self.running.stop()

    def kill_and_restart(self, points: list[KillPoint], before: list[Checkpoint]) -> None:
        """Each kill once the running process has completed a checkpoint. The broker (if any) goes down at the
        first gate, the job is killed once the others have dropped it, every restart finds it gone, and it
        comes back once the last restart runs."""
        display.console.print(self.describe_schedule(points))
        resume_lines: list[str] = []
        for number, point in enumerate(points, start=1):
            self.stats.limit = point.gate
            self.wait_for_checkpoint(number, point, before, resume_lines)
            self.stats.limit = point.kill  # the kill comes at exactly this record
            if number == 1 and self.down_node is not None:
                self.down_node.take_down()  # the job reads on through the outage until its kill
            self.wait_for_kill_point(number, point)
            self.kill(number)
            self.stats.limit = points[number].gate if number < len(points) else None  # on while it is down
            resume_lines = self.resume_lines()
            before = self.resume_points()
            if number < len(points):
                self.start_process()
        # the last restart runs here: once everything is read it can be drained (open windows fire)
        self.running = self.start_last_run()
        if self.down_node is not None:
            self.down_node.let_back()  # the node comes back while the last restart reads

    def describe_schedule(self, points: list[KillPoint]) -> str:
        return (
            f"kills at records {', '.join(f'{p.kill:,}' for p in points)} of {self.stats.target:,} "
            f"(seed {self.options.seed}), each once the job has completed a checkpoint since it started "
            f"(the producer waits for that at records {', '.join(f'{p.gate:,}' for p in points)})"
        )

    def node_down_and_back(self, point: KillPoint) -> None:
        """No kills: the node goes down at the point's gate and comes back at its kill record (once dropped).
        A worker goes down once the job has completed a checkpoint (the producer waits at the gate till then):
        what the engine restores from when it loses the worker's tasks."""
        if self.down_node is None:
            raise LabError("a chaos run without kills takes a node down: give it one")
        label, after_checkpoint = self.down_node.label, self.down_node.fault.kind == "worker"
        self.stats.limit = point.gate if after_checkpoint else None
        self.wait_for_record(point.gate, f"{label} goes down at record {point.gate:,}")
        if after_checkpoint:
            checkpointed = lambda: all(engines.resume_points(stage.settings) for stage in self.stages)  # noqa: E731
            self.wait(checkpointed, lambda: f"waiting for a checkpoint before {label} goes down", "a checkpoint",
                      self.options.timeout_s)  # fmt: skip
            self.stats.limit = None
        self.down_node.take_down()
        self.wait_for_record(point.kill, f"{self.down_node.label} is down; it comes back at record {point.kill:,}")
        self.down_node.let_back()

    def start_over(self) -> None:
        """Fresh topics, an empty checkpoint folder and no old logs: the oracle sees this run's input only.
        Every topic and folder must be the lab's (streamlab.ownership), or nothing is touched."""
        settings = self.settings
        folders = [settings.resolved_checkpoint_dir, self.options.log_dir]  # a pipeline's stage folders are inside
        if self.writes_files:  # the run's own folder (cli: D-output beside the checkpoint folder D)
            folders.append(settings.required_output_dir())
        deleted = ownership.clear(settings.bootstrap_servers, list(settings.topics.values()), folders)
        if deleted:
            display.console.print(f"deleted the topics of an earlier run: {', '.join(deleted)}")
        ownership.make_folder(self.options.log_dir)
        lifecycle.ensure_topics(settings, self.workload)
        display.console.print(f"the log of each run of the job: {self.options.log_dir}/run-N.log")

    def run_args(self) -> list[str]:
        """`streamlab run` as a user types it, with this run's folder, topics, clusters and engine settings."""
        settings = self.settings
        args = [
            "run", settings.engine, self.workload.name, "--checkpoint-dir", str(settings.resolved_checkpoint_dir),
            "--topic-prefix", self.options.topic_prefix, "--bootstrap-servers", settings.bootstrap_servers,
            "--parallelism", str(settings.parallelism), "--delivery", settings.delivery,
        ]  # fmt: skip
        if self.writes_files:
            args += ["--output-dir", str(settings.required_output_dir())]
        if self.processes:  # a restart: the checkpoint wins over --from, or the records since it would be lost
            args += ["--from", "latest"]
        if settings.cluster:  # the process is the job's client; the job runs on the engine's cluster
            args += ["--cluster", settings.cluster]
        for key, value in settings.engine_conf.items():
            args += ["--conf", f"{key}={value}"]
        return args

    @property
    def writes_files(self) -> bool:
        """Whether a job of the run writes files (its result or its rejects) to settings.output_dir."""
        specs = [spec for stage in self.stages for spec in (stage.job.result, stage.job.rejects_spec) if spec]
        return any(not spec.is_topic for spec in specs)

    def resume_points(self) -> list[Checkpoint]:
        """What the run resumes from now: each stage's points, named after the stage when there are several."""
        if len(self.stages) == 1:
            return engines.resume_points(self.stages[0].settings)
        return [p for s in self.stages for p in stage_points(s.job.name, engines.resume_points(s.settings))]

    def checkpointed(self, before: list[Checkpoint]) -> bool:
        """Whether every stage has completed a checkpoint since `before` was read."""
        every_stage = all(engines.resume_points(stage.settings) for stage in self.stages)
        return every_stage and checkpoint_advanced(before, self.resume_points())

    def start_process(self) -> None:
        number = len(self.processes) + 1
        process = StreamlabProcess(self.run_args(), self.options.log_dir / f"run-{number}.log")
        self.processes.append(process)
        command = f"streamlab run {self.settings.engine} {self.workload.name}"
        display.console.print(f"run {number}: `{command}` started (pid {process.pid})")

    def wait_for_target(self) -> int:
        """How many records the producer will send: producers set it before their first record."""
        started = lambda: self.stats.target > 0 or self.stats.done  # noqa: E731
        self.wait(started, lambda: "waiting for the producer to start", "the producer to start", self.options.timeout_s)
        if not self.stats.target:
            raise LabError(f"the producer of {self.workload.name} sent nothing")
        return self.stats.target

    def wait_for_checkpoint(
        self, number: int, point: KillPoint, before: list[Checkpoint], resume_lines: list[str]
    ) -> None:
        """Until the producer is at the gate and a checkpoint has completed since the process started; a
        restarted process must have said that it resumes from the checkpoint the folder held (each stage)."""
        process = self.processes[-1]
        confirmed = not resume_lines

        def ready() -> bool:
            nonlocal confirmed
            process.alive()
            confirmed = confirmed or self.said_it_resumes(process, resume_lines)
            at_gate = self.stats.sent >= point.gate or self.stats.done
            return confirmed and at_gate and self.checkpointed(before)

        def status() -> str:
            return (
                f"kill {number}/{self.options.kills}: run {len(self.processes)} is to complete a checkpoint; "
                f"produced {self.stats.sent:,}/{self.stats.target:,}"
            )

        self.wait(ready, status, f"run {len(self.processes)} to complete a checkpoint (see {process.log})",
                  self.options.timeout_s)  # fmt: skip

    def wait_for_kill_point(self, number: int, point: KillPoint) -> None:
        """Until the kill point's records are sent: the job is reading them when it is killed."""
        process = self.processes[-1]

        def ready() -> bool:
            process.alive()
            return self.stats.sent >= point.kill or self.stats.done

        def status() -> str:
            return f"kill {number}/{self.options.kills} at record {point.kill:,}: produced {self.stats.sent:,}"

        self.wait(ready, status, f"record {point.kill:,} to be sent", self.options.timeout_s, poll_s=0.02)

    def said_it_resumes(self, process: StreamlabProcess, resume_lines: list[str]) -> bool:
        """Whether the restarted process has said how each stage starts yet: anything but its line is an error
        (a pipeline's later stage says it once the one before it has caught up)."""
        said = process.output
        run = f"run {len(self.processes)}"
        if "no checkpoint" in said:
            raise LabError(f"{run} started over instead of resuming from its checkpoint: see {process.log}")
        for line in resume_lines:
            whose = line[: line.index("resuming from")]  # "join: ", or "" for a single job
            if f"{whose}resuming from" not in said:
                return False
            if _words(line) not in said:
                raise LabError(f"{run} did not resume from the newest checkpoint ({line}): see {process.log}")
        for line in resume_lines:
            display.console.print(f"{run}: {line}", highlight=False, soft_wrap=True)
        return True

    def kill(self, number: int) -> None:
        at_record = self.stats.sent
        killed = self.processes[-1].kill_tree()
        points = self.resume_points()  # the folders hold still now
        checkpoint = ", ".join(f"{p.number}" + (f" ({p.query})" if p.query else "") for p in points)
        self.kills.append(Kill(number, at_record, time.monotonic() - self.started, killed, checkpoint))
        display.console.print(
            f"kill {number}: SIGKILL to run {len(self.processes)} ({killed} processes) at record {at_record:,}; "
            f"newest completed checkpoint {checkpoint}"
        )

    def resume_lines(self) -> list[str]:
        """What the restart must print, a line per stage (lifecycle.start_job: a pipeline's stage names itself);
        a folder with nothing to resume from is a failure of its own."""
        lines = []
        for stage in self.stages:
            line = engines.describe_start(stage.settings)
            if not line.startswith("resuming from"):  # a checkpoint, or the savepoint a rescale stopped with
                folder = stage.settings.resolved_checkpoint_dir
                raise LabError(f"after kill {len(self.kills)} {folder} has nothing to resume from: {line}")
            whose = f"{stage.job.name}: " if stage.job.name in self.workload.pipeline else ""
            lines.append(whose + line)
        return lines

    def start_last_run(self) -> RunningJob:
        """The last restart, in this process: start_job resumes (and says so) only where it can. As every
        restart, with --from latest: the checkpoint must win, or the records since it would be lost."""
        for stage in self.stages:
            if not lifecycle.can_resume(stage.settings, stage.job):
                raise LabError(f"the last restart could not resume from {stage.settings.resolved_checkpoint_dir}")
        latest = lifecycle.stages_of(self.last_run_settings(), self.workload.stages())
        return lifecycle.start_stages(self.workload, latest)

    def last_run_settings(self) -> Settings:
        """The settings the last restart runs with: the run's, reading on from its checkpoint (a rescale's
        change its parallelism, and Flink's name the savepoint it stopped with)."""
        return self.settings.with_(start_from="latest")

    def wait_for_the_end(self, running: RunningJob) -> bool:
        """Until the producer is done and the job has read all of its input: True then, False at the
        timeout (counted from the producer's end), after which the verdict says what is missing."""
        deadline: float | None = None
        caught_up = False

        def ready() -> bool:
            nonlocal deadline, caught_up
            if running.status() not in ACTIVE_STATES:
                running.wait()  # the job's own error
                raise LabError(f"the last run of the job ended by itself ({running.status()})")
            if not self.stats.done:
                return False
            deadline = deadline or time.monotonic() + self.options.timeout_s
            try:
                caught_up = running.caught_up()
            except KafkaError:  # asked while a node rejoins (leaders and coordinators move): not yet
                caught_up = False
            return caught_up or time.monotonic() > deadline

        def status() -> str:
            done = " (done)" if self.stats.done else ""
            return f"produced {self.stats.sent:,}/{self.stats.target:,}{done}; the last run is reading to the end"

        self.wait(ready, status, "the last run to read all of its input", timeout_s=None)
        return caught_up

    def wait_for_record(self, index: int, what: str) -> None:
        """Until the producer has sent `index` records (or all of them); the job must not end meanwhile."""
        running = self.running

        def ready() -> bool:
            if running is not None and running.status() not in ACTIVE_STATES:
                running.wait()  # the job's own error
                raise LabError(f"the {self.settings.engine} job ended by itself ({running.status()})")
            return self.stats.sent >= index or self.stats.done

        self.wait(ready, lambda: f"{what}: produced {self.stats.sent:,}/{self.stats.target:,}", what,
                  self.options.timeout_s, poll_s=0.05)  # fmt: skip

    def wait(
        self,
        ready: Callable[[], bool],
        status: Callable[[], str],
        what: str,
        timeout_s: float | None,
        poll_s: float = POLL_S,
    ) -> None:
        """Poll a readiness check with its progress shown; the producer's failure ends any wait."""
        deadline = time.monotonic() + timeout_s if timeout_s else None
        with display.console.status(status()) as shown:
            while not ready():
                if self.stats.error:
                    raise LabError(f"producing failed: {self.stats.error}")
                if deadline and time.monotonic() > deadline:
                    raise LabError(f"timed out after {timeout_s:.0f} s waiting for {what}")
                shown.update(f"{status()}  ({time.monotonic() - self.started:.0f} s)")
                time.sleep(poll_s)

    def verdict(self, caught_up: bool, restarts_resumed: int) -> ChaosReport:
        """The main (last) job's result against its oracle, and every stage's dead letters against its own."""
        settings, job = self.stages[-1].settings, self.stages[-1].job
        with display.console.status("comparing the result with pandas over every record produced ..."):
            distinct = intermediate_roles(tuple(stage.job for stage in self.stages))
            verdicts = [judge(s.settings, s.job, restarted=True, distinct=distinct) for s in self.stages]
            letters = sum((v.dead_letters for v in verdicts[1:]), verdicts[0].dead_letters)
            main = replace(verdicts[-1], dead_letters=letters)
            raw = json_rows(settings, job.result.topics(settings)) if job.result.is_topic else main.table
        first = self.stages[0]
        return ChaosReport(
            engine=settings.engine,
            workload=self.workload.name,
            result_kind=job.result.kind,
            kills=self.kills,
            restarts_resumed=restarts_resumed,
            produced=workloads.input_size(first.job, first.settings),
            rejected=rejected_records([v.expected_rejects for v in verdicts]),
            verdict=main,
            raw_duplicates=raw_duplicates(raw, job.result),
            caught_up=caught_up,
            seconds=time.monotonic() - self.started,
            delivery=settings.delivery,
            stages=len(self.stages),
        )


def kill_restart(
    settings: Settings, workload: Workload, options: ChaosOptions, broker: Fault | None = None
) -> ChaosReport:
    """Run the workload's job, kill it options.kills times and restart it (with a broker down meanwhile, if
    given), then compare with the oracle."""
    if broker is not None:
        broker.check()
    return Chaos(settings, workload, options, broker).run()


def node_down(settings: Settings, workload: Workload, options: ChaosOptions, fault: Fault) -> ChaosReport:
    """Run the workload's job, kill a node under it while it reads (a Kafka broker, or a worker of the engine's
    cluster the job runs on) and bring it back, then compare with the oracle."""
    fault.check()
    return Chaos(settings, workload, replace(options, kills=0), fault).run()


def _words(text: str) -> str:
    return " ".join(text.split())
