"""`streamlab chaos kill-restart`: crash a running job again and again, then hold its result to pandas.

The workload's job runs unbounded as a user runs it (`streamlab run`, a process of its own) on fresh
topics while the workload's producer writes seeded events, some of them malformed. At seeded records
of the input (kill_schedule) the engine's whole process tree gets SIGKILL, each time once a checkpoint
has completed since the job last started (read from the checkpoint folder through streamlab.engines;
the producer pauses at a seeded record before the kill point until then, so the job is busy with the
records after it when it dies), and the job is started again with the same checkpoint folder and
--from latest: it must say it resumes from the checkpoint the folder holds (were --from to win, the records
since the checkpoint would be lost). The producer goes on while the job is down, so
every restart finds input it has not read. The last restart runs in this process, so that once the
producer is done and the job has read everything it can be drained (its last event-time windows
fire). Then the result is compared with the workload's pandas oracle over exactly the records
produced: what is lost, wrong or duplicated, and whether every rejected record is in the dead letters.
Flink runs take --delivery: at-least-once sinks write again after a restart what they wrote since the last
checkpoint (the raw topic's repeats), exactly-once ones write in transactions a restart commits or aborts,
so the topics, read read_committed as every reader here does, hold each record once.

Generic over the registry: any streaming workload, whatever its main job writes (an upsert or append-only
topic, or Parquet files in a folder of the run's own, D-output beside the checkpoint folder D), and a
pipeline of jobs as `streamlab run` runs it: every stage in one process, each with its checkpoint folder
below D, all killed together. A checkpoint has completed once every stage has a newer one, and a restart
must print each stage's resume line. The verdict is the main (last) job's result against its oracle; the
input it reads from an earlier stage is taken once per distinct record (an at-least-once stage writes again
after a restart what it wrote since its checkpoint: those copies are counted as duplicates, not held
against the oracle), and the dead letters of every stage are held to that stage's oracle. Batch
workloads are refused with a message saying so (check_supported).

A broker down (BrokerFault): one node of the embedded 3-broker cluster is killed with SIGKILL, left down
until the others have dropped it while the producer (acks=all) writes on, and started again with `cluster
up`. `streamlab chaos broker-down` crashes the cluster instead of the job (no kills: the job runs in this
process from the start, the node goes down and comes back at seeded records); `chaos kill-restart
--broker-down N` crashes both in one run: the node goes down once the first run has completed a checkpoint,
the job is killed once the others have dropped it and restarted while it is down, and it comes back (beside
the last restart, which reads meanwhile) once that runs. Either way the result is held to the same oracle.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from kafka.errors import KafkaError

from streamlab import cluster, display, engines, kafka_admin, oracles, results, runner, workloads
from streamlab.engines import ACTIVE_STATES, Checkpoint, RunningJob
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.processes import StreamlabProcess
from streamlab.producing import ProduceStats
from streamlab.results import APPEND_TOPIC, PARQUET, UPSERT_TOPIC, ResultSpec
from streamlab.settings import AT_LEAST_ONCE, Settings
from streamlab.workloads import Job, Workload

SUPPORTED_RESULTS = (UPSERT_TOPIC, APPEND_TOPIC, PARQUET)
KILL_SPAN = (0.1, 0.9)  # kill points fall between 10% and 90% of the input: a start and an end on each side
POLL_S = 0.5
REJECT_POSITION = ["source_topic", "source_partition", "source_offset", "reason"]


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


# ---- what can be crashed ------------------------------------------------------------------------


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
    return [
        w.name
        for w in workloads.WORKLOADS.values()
        if w.built and not w.batch and w.job().result.kind in SUPPORTED_RESULTS
    ]


# ---- the kill schedule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KillPoint:
    """Where one kill falls in the input. The producer waits at `gate` until the job has completed a checkpoint
    since it started, then goes on, and the job is killed when `kill` records are sent: while it is busy with
    the records since the gate, not idle behind a held producer."""

    gate: int
    kill: int


def kill_schedule(seed: int, kills: int, total: int) -> list[KillPoint]:
    """Seeded record indices, distinct and in order gate < kill < next gate, between KILL_SPAN of the input:
    each kill leaves records to produce while the job is down and after it restarts."""
    low = max(1, int(total * KILL_SPAN[0]))
    high = max(low, int(total * KILL_SPAN[1]))
    if high - low < 2 * kills:
        raise LabError(f"{kills} kills need more input than {total:,} records: raise --count or lower --kills")
    points = sorted(random.Random(seed).sample(range(low, high), 2 * kills))
    return [KillPoint(gate, kill) for gate, kill in zip(points[::2], points[1::2], strict=True)]


def stage_points(stage: str, points: list[Checkpoint]) -> list[Checkpoint]:
    """One stage's resume points, each named after the stage (and its query): "join", "strategies/dead-letters".
    A run of several stages compares and shows them as one list (checkpoint_advanced, the kills table)."""
    return [replace(point, query=f"{stage}/{point.query}" if point.query else stage) for point in points]


def checkpoint_advanced(before: list[Checkpoint], now: list[Checkpoint]) -> bool:
    """Whether a checkpoint completed since `before` was read: Flink's newest chk-N is higher (a restored
    job numbers its checkpoints on from the one it restored), and every Spark query has committed a
    newer batch (each query keeps its own checkpoint; -1 is a query that committed none)."""
    if not now:
        return False
    numbers = {point.query: point.number for point in before}
    return all(point.number > numbers.get(point.query, -1) for point in now)


# ---- the verdict ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """The final view against the oracle, by key (upsert) or row (append-only)."""

    expected: int  # keys or rows the oracle has
    correct: int  # equal to the oracle's
    lost: int  # in the oracle and missing from the result, or counting fewer records than it
    wrong: int  # other values (a higher count among them), several answers for one key, or not in the oracle
    duplicated: int  # copies of a row beyond the first in the final view


def tally(result: pd.DataFrame, expected: pd.DataFrame, spec: ResultSpec) -> Tally:
    keys, values = list(spec.key_columns), list(spec.value_columns)
    view = result.reindex(columns=keys + values)
    unique = view.drop_duplicates()
    duplicated = len(view) - len(unique)
    if unique.empty or expected.empty:  # nothing to merge on (and key dtypes may not match an empty frame)
        return Tally(len(expected), 0, len(expected), len(unique), duplicated)
    merged, same = oracles.paired_rows(unique, expected, keys, values, spec.rel_tolerance)
    both = merged["_merge"] == "both"
    lower = both & _lower(merged, spec.count_column)
    # one key with rows of different values: the result holds two answers, neither can be taken for it
    conflicting = merged.duplicated(keys, keep=False)
    single = ~conflicting
    return Tally(
        expected=len(expected),
        correct=int((single & both & same).sum()),
        lost=int((single & ((merged["_merge"] == "right_only") | lower)).sum()),
        wrong=int((single & ((merged["_merge"] == "left_only") | (both & ~same & ~lower))).sum())
        + len(merged.loc[conflicting, keys].drop_duplicates()),
        duplicated=duplicated,
    )


def _lower(merged: pd.DataFrame, count_column: str) -> pd.Series:
    """Rows whose record count is below the oracle's: records the job never counted."""
    if not count_column:
        return pd.Series(False, index=merged.index)
    engine = pd.to_numeric(merged[f"{count_column}_engine"], errors="coerce")
    return engine < pd.to_numeric(merged[f"{count_column}_oracle"], errors="coerce")


def raw_duplicates(records: pd.DataFrame, spec: ResultSpec) -> int:
    """Records in the output topic beyond one per distinct row (key and compared values): what a restart
    wrote again. In an upsert topic a key's successive values are not duplicates, the same value again is.
    A file result's raw output is its rows across every committed file (uncommitted ones are hidden)."""
    rows = records.reindex(columns=[*spec.key_columns, *spec.value_columns])
    return len(rows) - len(rows.drop_duplicates())


@dataclass(frozen=True)
class DeadLetters:
    """The dead-letter topic against the oracle's rejects, by source position and reason."""

    expected: int  # records the oracle rejects
    accounted: int  # of those, in the dead letters
    copies: int  # dead letters written more than once (re-read after a restart by an at-least-once sink)
    unexpected: int  # dead letters for records the oracle does not reject
    late: int = 0  # records dead-lettered as late (the oracle leaves them out: runner.oracle_answer)

    @property
    def missing(self) -> int:
        return self.expected - self.accounted


def dead_letter_tally(
    letters: pd.DataFrame, expected_rejects: pd.DataFrame, late: set[tuple[str, int, int]]
) -> DeadLetters:
    found = _positions(letters)
    distinct = set(found)
    late_found = {position for position in distinct if position[:3] in late}
    wanted = set(_positions(expected_rejects))
    return DeadLetters(
        expected=len(wanted),
        accounted=len(wanted & distinct),
        copies=len(found) - len(distinct),
        unexpected=len(distinct - wanted - late_found),
        late=len(late_found),
    )


def add_dead_letters(tallies: list[DeadLetters]) -> DeadLetters:
    """The dead letters of every stage of a pipeline, each held to its own stage's oracle, added up."""
    return DeadLetters(
        expected=sum(t.expected for t in tallies),
        accounted=sum(t.accounted for t in tallies),
        copies=sum(t.copies for t in tallies),
        unexpected=sum(t.unexpected for t in tallies),
        late=sum(t.late for t in tallies),
    )


def rejected_records(rejects: list[pd.DataFrame]) -> int:
    """Input records some stage's oracle rejects, each once: a record two stages read (strategy-join's
    D_input) is rejected by both."""
    return len({position[:3] for frame in rejects for position in _positions(frame)})


def intermediate_roles(jobs: tuple[Job, ...]) -> tuple[str, ...]:
    """The topic roles the last job reads that an earlier job of the pipeline writes."""
    written = {role for job in jobs[:-1] if job.result.is_topic for role in job.result.roles}
    return tuple(role for role in jobs[-1].input_roles if role in written)


def _positions(frame: pd.DataFrame) -> list[tuple[str, int, int, str]]:
    rows = frame.reindex(columns=REJECT_POSITION).dropna()
    return [(str(t), int(p), int(o), str(r)) for t, p, o, r in rows.itertuples(index=False)]


@dataclass(frozen=True)
class Kill:
    number: int
    at_record: int  # records sent when the tree was killed
    after_s: float  # seconds since the chaos run began
    processes: int  # processes in the tree (Python and the engine's JVM)
    checkpoint: str  # the newest completed checkpoint(s) then: what the restart must resume from


@dataclass(frozen=True)
class Outage:
    """One Kafka node killed with SIGKILL while the job ran, then restarted (`cluster up`)."""

    node: int
    down_at: int  # records sent when it was killed
    up_at: int  # records sent when its restart began
    dropped_s: float  # from the kill until the cluster no longer listed it (its session timed out)
    down_s: float  # from the kill until it was back with every partition's ISR full


@dataclass(frozen=True)
class ChaosReport:
    engine: str
    workload: str
    result_kind: str
    kills: list[Kill]
    restarts_resumed: int  # restarts that said they resume from the checkpoint the folder held
    produced: int
    rejected: int  # records the oracle rejects
    tally: Tally
    raw_duplicates: int
    dead_letters: DeadLetters
    caught_up: bool  # the last run read all of its input within the timeout
    seconds: float
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)  # the rows that differ from the oracle
    delivery: str = AT_LEAST_ONCE  # the sinks' guarantee (`run --delivery`)
    stages: int = 1  # jobs of the run (a pipeline's): the dead letters are those of every stage
    outage: Outage | None = None  # the Kafka node taken down and back (broker-down, or --broker-down)

    @property
    def passed(self) -> bool:
        letters = self.dead_letters
        return self.tally.lost == 0 and self.tally.wrong == 0 and letters.missing == 0 and letters.unexpected == 0


def report_rows(report: ChaosReport) -> list[dict[str, str]]:
    """The verdict as a table for people: measure, figure, what it means."""
    upsert = report.result_kind == UPSERT_TOPIC
    files = report.result_kind not in (UPSERT_TOPIC, APPEND_TOPIC)
    unit = "keys" if upsert else "rows"
    t, letters = report.tally, report.dead_letters
    rows = [
        *fault_rows(report),
        ("records produced", f"{report.produced:,}", f"{report.rejected:,} of them malformed: the oracle rejects them"),
        ("correct", f"{t.correct:,} of {t.expected:,} {unit}", "equal to the pandas oracle"),
        ("lost", f"{t.lost:,}", f"{unit} missing, or counting fewer records than the oracle"),
        ("wrong", f"{t.wrong:,}", f"{unit} with other values, or not in the oracle"),
        (
            "duplicated in the final view",
            f"{t.duplicated:,}",
            "upsert: one value per key, by construction" if upsert else "rows present more than once",
        ),
        (
            "duplicates in the raw output files" if files else "duplicates in the raw output topic",
            f"{report.raw_duplicates:,}",
            f"rows beyond one per row across the committed {report.result_kind} files"
            if files
            else ("records beyond one per distinct key and value" if upsert else "records beyond one per row")
            + f", read read_committed ({report.delivery} sinks)",
        ),
        (
            "dead letters accounted for",
            f"{letters.accounted:,} of {letters.expected:,}",
            f"{letters.copies:,} written twice, {letters.unexpected:,} unexpected"
            + (f", {letters.late:,} late" if letters.late else "")
            + (f"; each stage's ({report.stages}) against its oracle" if report.stages > 1 else ""),
        ),
    ]
    return [{"measure": measure, "figure": figure, "what it means": meaning} for measure, figure, meaning in rows]


def fault_rows(report: ChaosReport) -> list[tuple[str, str, str]]:
    """What was done to the run: the job's kills and restarts, the broker taken down and back, or both."""
    rows = []
    restarts = len(report.kills)
    if restarts:
        rows += [
            ("kills", f"{restarts}", "SIGKILL to the engine's whole process tree, each after a checkpoint"),
            ("restarts resumed", f"{report.restarts_resumed} of {restarts}", "said: resuming from checkpoint N"),
        ]
    outage = report.outage
    if outage is not None:
        rows += [
            ("broker down", f"node {outage.node}",
             f"SIGKILL at record {outage.down_at:,}, `cluster up` at record {outage.up_at:,}"),
            ("out of the cluster after", f"{outage.dropped_s:.0f} s", "from the kill until the others dropped it"),
            ("back in sync after", f"{outage.down_s:.0f} s", "from the kill until every partition's ISR was full"),
        ]  # fmt: skip
        if not restarts:
            rows.append(("the job", "running", "all along: never ended by itself, never restarted by this command"))
    return rows


def kill_rows(report: ChaosReport) -> list[dict[str, object]]:
    return [
        {"kill": k.number, "at record": k.at_record, "after s": f"{k.after_s:.0f}", "processes": k.processes,
         "newest checkpoint": k.checkpoint}
        for k in report.kills
    ]  # fmt: skip


def show(report: ChaosReport) -> None:
    if report.kills:
        display.show(kill_rows(report), title=f"kills of {report.engine} {report.workload}")
    verdict = "[green]passed[/]" if report.passed else "[red]failed[/]"
    action = "kill-restart" if report.kills else "broker-down"
    if report.kills and report.outage is not None:
        action += f" with node {report.outage.node} down"
    display.show(
        report_rows(report),
        title=f"chaos {action}: {report.engine} {report.workload} ({report.delivery}) against the pandas oracle",
        caption=f"{verdict}: lost and wrong must be 0 and every rejected record in the dead letters; "
        f"{report.seconds:.0f} s in all"
        + ("" if report.caught_up else "; the last run had not read all of its input by the timeout"),
    )
    if not report.differences.empty:
        display.show(report.differences.head(20), title="the rows that differ from the oracle (the first 20)")


# ---- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokerFault:
    """A node of the embedded 3-broker cluster to take down during the run (check_cluster first)."""

    layout: cluster.ClusterLayout
    node: int = 2


class Chaos:
    """One chaos run: the producer, the job's processes, the broker taken down, and what happened to them.
    options.kills == 0 runs the job in this process from the start (a broker down is then the only fault)."""

    def __init__(
        self, settings: Settings, workload: Workload, options: ChaosOptions, broker: BrokerFault | None = None
    ) -> None:
        self.settings = settings
        self.workload = workload
        self.job = check_supported(workload)
        # each job `streamlab run` runs, with its own settings (a pipeline's stages: a checkpoint folder each)
        self.stages = runner.stages_of(settings, workload.stages())
        self.options = options
        self.broker = broker
        self.stats = ProduceStats(0, limit=0)  # held at its first record until the fault schedule is known
        self.processes: list[StreamlabProcess] = []
        self.running: RunningJob | None = None
        self.kills: list[Kill] = []
        self.outage: Outage | None = None
        self.coming_back: Future[None] | None = None  # the broker's outage, beside the run (come_back)
        self.may_come_back = threading.Event()  # set once the last restart runs (or the node's record is sent)
        self.started = time.monotonic()

    def run(self) -> ChaosReport:
        try:
            self.start_over()
            flags = {"--seed": self.options.seed, **self.options.producer_flags}
            options = producer_options(self.workload, flags, self.options.producer_args)
            runner.produce_in_background(self.settings, self.workload, options, self.stats)
            before = self.resume_points()
            if self.options.kills:
                self.start_process()
            else:  # nothing to restart: the job runs here from the start
                self.running = runner.start_stages(self.workload, self.stages)
            points = kill_schedule(self.options.seed, max(self.options.kills, 1), self.wait_for_target())
            if self.options.kills:
                self.kill_and_restart(points, before)
            else:
                self.broker_down_and_back(points[0])
            assert self.running is not None
            caught_up = self.wait_for_the_end(self.running)
            self.the_node_is_back()
            if caught_up:  # a drain waits for a job that has not read everything: no use at the timeout
                with display.console.status(f"draining the {self.settings.engine} job: its open windows fire ..."):
                    self.running.drain()
            return replace(self.verdict(caught_up, restarts_resumed=len(self.kills)), outage=self.outage)
        finally:
            self.stats.stop.set()
            self.may_come_back.set()  # a failed run leaves the cluster whole too
            for process in self.processes:
                process.kill_tree()
            if self.running is not None:
                self.running.stop()

    def kill_and_restart(self, points: list[KillPoint], before: list[Checkpoint]) -> None:
        """Each kill once the running process has completed a checkpoint. The broker (if any) goes down at the
        first gate, the job is killed once the others have dropped it, every restart finds it gone, and it
        comes back once the last restart runs."""
        display.console.print(
            f"kills at records {', '.join(f'{p.kill:,}' for p in points)} of {self.stats.target:,} "
            f"(seed {self.options.seed}), each once the job has completed a checkpoint since it started "
            f"(the producer waits for that at records {', '.join(f'{p.gate:,}' for p in points)})"
        )
        resume_lines: list[str] = []
        for number, point in enumerate(points, start=1):
            self.stats.limit = point.gate
            self.wait_for_checkpoint(number, point, before, resume_lines)
            self.stats.limit = point.kill  # the kill comes at exactly this record
            if number == 1 and self.broker is not None:
                self.take_down()  # the job reads on through the outage until its kill
            self.wait_for_kill_point(number, point)
            self.kill(number)
            self.stats.limit = points[number].gate if number < len(points) else None  # on while it is down
            resume_lines = self.resume_lines()
            before = self.resume_points()
            if number < len(points):
                self.start_process()
        # the last restart runs here: once everything is read it can be drained (open windows fire)
        self.running = self.start_last_run()
        self.may_come_back.set()  # the node (if any) comes back while the last restart reads

    def broker_down_and_back(self, point: KillPoint) -> None:
        """No kills: the node goes down at the point's gate and comes back at its kill record (once dropped)."""
        if self.broker is None:
            raise LabError("a chaos run without kills takes a broker down: give it one")
        self.stats.limit = None
        self.wait_for_record(point.gate, f"node {self.broker.node} goes down at record {point.gate:,}")
        self.take_down()
        self.wait_for_record(point.kill, f"node {self.broker.node} is down; it comes back at record {point.kill:,}")
        self.may_come_back.set()

    def take_down(self) -> None:
        """SIGKILL to the node, then wait until the others have dropped it: only then has the outage begun for
        the clients (leaders move; before that, a client that asks the dead node fails). It comes back beside
        the run (come_back) once the run lets it."""
        assert self.broker is not None
        killed_at, down_at = time.monotonic(), self.stats.sent
        cluster.kill_node(self.broker.layout, self.broker.node, progress=display.console.print)
        self.wait_until_dropped()
        dropped_s = time.monotonic() - killed_at
        executor = ThreadPoolExecutor(1, thread_name_prefix="broker-down")
        self.coming_back = executor.submit(self.come_back, killed_at, down_at, dropped_s)
        executor.shutdown(wait=False)  # its one task runs on

    def come_back(self, killed_at: float, down_at: int, dropped_s: float) -> None:
        """Beside the run, once it lets the node come back: `cluster up`, which restarts the dead node only
        and returns once every partition's ISR is full again."""
        assert self.broker is not None
        self.may_come_back.wait()
        up_at = self.stats.sent
        cluster.up(self.broker.layout, progress=display.console.print)
        self.outage = Outage(self.broker.node, down_at, up_at, dropped_s, time.monotonic() - killed_at)

    def the_node_is_back(self) -> None:
        """Before the verdict: the outage has ended (or its error is raised here)."""
        if self.coming_back is not None and self.broker is not None:
            with display.console.status(f"waiting for node {self.broker.node} to be back in sync ..."):
                self.coming_back.result()

    def start_over(self) -> None:
        """Fresh topics, an empty checkpoint folder and no old logs: the oracle sees this run's input only."""
        settings = self.settings
        deleted = kafka_admin.delete_topics(settings.bootstrap_servers, list(settings.topics.values()))
        if deleted:
            display.console.print(f"deleted the topics of an earlier run: {', '.join(deleted)}")
        shutil.rmtree(settings.resolved_checkpoint_dir, ignore_errors=True)  # a pipeline's stage folders too
        shutil.rmtree(self.options.log_dir, ignore_errors=True)
        if self.writes_files:  # the run's own folder (cli: D-output beside the checkpoint folder D)
            shutil.rmtree(settings.required_output_dir(), ignore_errors=True)
        runner.ensure_topics(settings, self.workload)
        display.console.print(f"the log of each run of the job: {self.options.log_dir}/run-N.log")

    def run_args(self) -> list[str]:
        """`streamlab run` as a user types it, with this run's folder, topics, cluster and engine settings."""
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
            whose = line[: line.index("resuming from checkpoint")]  # "join: ", or "" for a single job
            if f"{whose}resuming from checkpoint" not in said:
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
        """What the restart must print, a line per stage (runner.start_job: a pipeline's stage names itself);
        a folder with nothing to resume from is a failure of its own."""
        lines = []
        for stage in self.stages:
            line = engines.describe_start(stage.settings)
            if not line.startswith("resuming from checkpoint"):
                folder = stage.settings.resolved_checkpoint_dir
                raise LabError(f"after kill {len(self.kills)} {folder} has nothing to resume from: {line}")
            whose = f"{stage.job.name}: " if stage.job.name in self.workload.pipeline else ""
            lines.append(whose + line)
        return lines

    def start_last_run(self) -> RunningJob:
        """The last restart, in this process: start_job resumes (and says so) only where it can. As every
        restart, with --from latest: the checkpoint must win, or the records since it would be lost."""
        for stage in self.stages:
            if not runner.can_resume(stage.settings, stage.job):
                raise LabError(f"the last restart could not resume from {stage.settings.resolved_checkpoint_dir}")
        latest = runner.stages_of(self.settings.with_(start_from="latest"), self.workload.stages())
        return runner.start_stages(self.workload, latest)

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

    def wait_until_dropped(self) -> None:
        """Until the cluster no longer lists the node (KRaft fences a broker whose heartbeats stop, after
        broker.session.timeout.ms). Asked through the other nodes only."""
        assert self.broker is not None
        layout, node = self.broker.layout, self.broker.node
        others = ",".join(f"{layout.host}:{layout.broker_port(n)}" for n in range(1, BROKERS + 1) if n != node)

        def dropped() -> bool:
            try:
                return node not in kafka_admin.broker_ids(others)
            except (LabError, KafkaError):
                return False

        what = f"the cluster to drop node {node}"
        self.wait(dropped, lambda: f"waiting for {what}: produced {self.stats.sent:,}", what, self.options.timeout_s)

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
        last = self.stages[-1]
        settings, job = last.settings, last.job
        with display.console.status("comparing the result with pandas over every record produced ..."):
            distinct = intermediate_roles(tuple(stage.job for stage in self.stages))
            rejects, letters = [], []
            for stage in self.stages:  # the last one is the main job: its oracle's answer is the one compared
                expected, stage_rejects, late = runner.oracle_answer(stage.settings, stage.job, distinct=distinct)
                spec = stage.job.rejects_spec
                found = _values(stage.settings, spec.topics(stage.settings)) if spec else pd.DataFrame()
                rejects.append(stage_rejects)
                letters.append(dead_letter_tally(found, stage_rejects, late))
            result = results.read_result(job.result, settings)
            raw = _values(settings, job.result.topics(settings)) if job.result.is_topic else result
        first = self.stages[0]
        return ChaosReport(
            engine=settings.engine,
            workload=self.workload.name,
            result_kind=job.result.kind,
            kills=self.kills,
            restarts_resumed=restarts_resumed,
            produced=workloads.input_size(first.job, first.settings),
            rejected=rejected_records(rejects),
            tally=tally(result, expected, job.result),
            raw_duplicates=raw_duplicates(raw, job.result),
            dead_letters=add_dead_letters(letters),
            caught_up=caught_up,
            seconds=time.monotonic() - self.started,
            differences=_differences(result, expected, job.result),
            delivery=settings.delivery,
            stages=len(self.stages),
        )


def producer_options(workload: Workload, flags: dict[str, object], args: tuple[str, ...] = ()) -> argparse.Namespace:
    """The producer's own options: the demo's flags, then these where the producer has them (patient-events
    replays a file: it has no --count), then args as given, as `streamlab produce WORKLOAD` would parse them."""
    parser = argparse.ArgumentParser(prog=f"streamlab produce {workload.name}")
    workload.producer().add_arguments(parser)
    known = {option for action in parser._actions for option in action.option_strings}
    argv = list(workload.demo_args)
    for flag, value in flags.items():
        if flag in known and value is not None:
            argv += [flag, str(value)]
    return parser.parse_args(argv + list(args))


def kill_restart(
    settings: Settings, workload: Workload, options: ChaosOptions, broker: BrokerFault | None = None
) -> ChaosReport:
    """Run the workload's job, kill it options.kills times and restart it (with a broker down meanwhile, if
    given), then compare with the oracle."""
    if broker is not None:
        check_cluster(broker.layout, broker.node)
    return Chaos(settings, workload, options, broker).run()


def broker_down(settings: Settings, workload: Workload, options: ChaosOptions, broker: BrokerFault) -> ChaosReport:
    """Run the workload's job, kill a Kafka node while it reads and bring it back, then compare with the oracle."""
    check_cluster(broker.layout, broker.node)
    return Chaos(settings, workload, replace(options, kills=0), broker).run()


# ---- a broker down --------------------------------------------------------------------------------

BROKERS = 3  # one node down leaves two replicas of every partition: min.insync.replicas (cluster.py)


def check_cluster(layout: cluster.ClusterLayout, node: int) -> None:
    """A broker down takes a node of the embedded cluster: three of them, all running, or one message why not."""
    states = cluster.nodes(layout)
    running = [state.node_id for state in states if state.alive]
    if len(states) != BROKERS or len(running) != BROKERS:
        raise LabError(
            f"a broker down kills one node of the embedded {BROKERS}-broker cluster, which has "
            f"{len(states)} node(s), running: {running or 'none'}: start it with `streamlab cluster up --brokers 3` "
            "(make cluster-up BROKERS=3)"
        )
    if node not in running:
        raise LabError(f"the node to kill must be one of the cluster's nodes {running}, not {node}")


def _differences(result: pd.DataFrame, expected: pd.DataFrame, spec: ResultSpec) -> pd.DataFrame:
    """The rows to show when the verdict fails; copies of one row are the tally's duplicates, not shown."""
    if result.empty or expected.empty:  # the tally says it all, and the key dtypes of an empty frame differ
        return pd.DataFrame()
    keys, values = list(spec.key_columns), list(spec.value_columns)
    unique = result.reindex(columns=keys + values).drop_duplicates()
    return oracles.differences(unique, expected, keys, values, rel_tolerance=spec.rel_tolerance)


def _values(settings: Settings, topics: list[str]) -> pd.DataFrame:
    """Every committed record of the topics, one row per JSON value (tombstones and non-JSON left out):
    read_committed, as a consumer of an exactly-once sink's output must read (records of the transactions
    a restart aborted are not in it); an at-least-once sink's records are all committed."""
    rows = []
    for topic in topics:
        for record in kafka_admin.read_topic(settings.bootstrap_servers, topic, read_committed=True):
            try:
                value = json.loads(record.value) if record.value is not None else None
            except ValueError:
                continue
            if isinstance(value, dict):
                rows.append(value)
    return pd.DataFrame(rows)


def _words(text: str) -> str:
    return " ".join(text.split())
