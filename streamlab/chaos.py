"""`streamlab chaos kill-restart`: crash a running job again and again, then hold its result to pandas.

The workload's job runs unbounded as a user runs it (`streamlab run`, a process of its own) on fresh
topics while the workload's producer writes seeded events, some of them malformed. At seeded records
of the input (kill_schedule) the engine's whole process tree gets SIGKILL, each time once a checkpoint
has completed since the job last started (read from the checkpoint folder through streamlab.engines;
the producer pauses at a seeded record before the kill point until then, so the job is busy with the
records after it when it dies), and the job is started again with the same checkpoint folder: it must
say it resumes from the checkpoint the folder holds. The producer goes on while the job is down, so
every restart finds input it has not read. The last restart runs in this process, so that once the
producer is done and the job has read everything it can be drained (its last event-time windows
fire). Then the result is compared with the workload's pandas oracle over exactly the records
produced: what is lost, wrong or duplicated, and whether every rejected record is in the dead letters.
Flink runs take --delivery: at-least-once sinks write again after a restart what they wrote since the last
checkpoint (the raw topic's repeats), exactly-once ones write in transactions a restart commits or aborts,
so the topics, read read_committed as every reader here does, hold each record once.

Generic over the registry: any streaming workload of one job whose result is a Kafka topic (upsert or
append-only). Pipelines and file results are refused with a message saying so (check_supported).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from streamlab import display, engines, kafka_admin, oracles, results, runner, workloads
from streamlab.engines import ACTIVE_STATES, Checkpoint, RunningJob
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.processes import StreamlabProcess
from streamlab.producing import ProduceStats
from streamlab.results import APPEND_TOPIC, UPSERT_TOPIC, ResultSpec
from streamlab.settings import AT_LEAST_ONCE, Settings
from streamlab.workloads import Job, Workload

SUPPORTED_RESULTS = (UPSERT_TOPIC, APPEND_TOPIC)
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
    if workload.pipeline:
        raise LabError(
            f"{workload.name} is a pipeline of {len(workload.pipeline)} jobs ({', '.join(workload.pipeline)}): "
            f"chaos kill-restart does not support pipelines yet; it supports: {supported}"
        )
    if job.result.kind not in SUPPORTED_RESULTS:
        raise LabError(
            f"{workload.name} writes {job.result.kind} files: chaos kill-restart supports only results in a "
            f"Kafka topic so far (upsert or append-only); it supports: {supported}"
        )
    return job


def supported_workloads() -> list[str]:
    return [
        w.name
        for w in workloads.WORKLOADS.values()
        if w.built and not w.batch and not w.pipeline and w.job().result.kind in SUPPORTED_RESULTS
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
    merged = unique.merge(
        expected.reindex(columns=keys + values), on=keys, how="outer", suffixes=("_engine", "_oracle"), indicator=True
    )
    both = merged["_merge"] == "both"
    same = pd.Series(True, index=merged.index)
    for name in values:
        same &= oracles.same_values(merged[f"{name}_engine"], merged[f"{name}_oracle"], spec.rel_tolerance)
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
    wrote again. In an upsert topic a key's successive values are not duplicates, the same value again is."""
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

    @property
    def passed(self) -> bool:
        letters = self.dead_letters
        return self.tally.lost == 0 and self.tally.wrong == 0 and letters.missing == 0 and letters.unexpected == 0


def report_rows(report: ChaosReport) -> list[dict[str, str]]:
    """The verdict as a table for people: measure, figure, what it means."""
    upsert = report.result_kind == UPSERT_TOPIC
    unit = "keys" if upsert else "rows"
    t, letters = report.tally, report.dead_letters
    restarts = len(report.kills)
    rows = [
        ("kills", f"{restarts}", "SIGKILL to the engine's whole process tree, each after a checkpoint"),
        ("restarts resumed", f"{report.restarts_resumed} of {restarts}", "said: resuming from checkpoint N"),
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
            "duplicates in the raw output topic",
            f"{report.raw_duplicates:,}",
            ("records beyond one per distinct key and value" if upsert else "records beyond one per row")
            + f", read read_committed ({report.delivery} sinks)",
        ),
        (
            "dead letters accounted for",
            f"{letters.accounted:,} of {letters.expected:,}",
            f"{letters.copies:,} written twice, {letters.unexpected:,} unexpected"
            + (f", {letters.late:,} late" if letters.late else ""),
        ),
    ]
    return [{"measure": measure, "figure": figure, "what it means": meaning} for measure, figure, meaning in rows]


def kill_rows(report: ChaosReport) -> list[dict[str, object]]:
    return [
        {"kill": k.number, "at record": k.at_record, "after s": f"{k.after_s:.0f}", "processes": k.processes,
         "newest checkpoint": k.checkpoint}
        for k in report.kills
    ]  # fmt: skip


def show(report: ChaosReport) -> None:
    display.show(kill_rows(report), title=f"kills of {report.engine} {report.workload}")
    verdict = "[green]passed[/]" if report.passed else "[red]failed[/]"
    display.show(
        report_rows(report),
        title=f"chaos kill-restart: {report.engine} {report.workload} ({report.delivery}) against the pandas oracle",
        caption=f"{verdict}: lost and wrong must be 0 and every rejected record in the dead letters; "
        f"{report.seconds:.0f} s in all"
        + ("" if report.caught_up else "; the last run had not read all of its input by the timeout"),
    )
    if not report.differences.empty:
        display.show(report.differences.head(20), title="the rows that differ from the oracle (the first 20)")


# ---- the run --------------------------------------------------------------------------------------


class Chaos:
    """One kill-restart run: the producer, the job's processes, and what happened to them."""

    def __init__(self, settings: Settings, workload: Workload, options: ChaosOptions) -> None:
        self.settings = settings
        self.workload = workload
        self.job = check_supported(workload)
        self.options = options
        self.stats = ProduceStats(0, limit=0)  # held at its first record until the kill schedule is known
        self.processes: list[StreamlabProcess] = []
        self.running: RunningJob | None = None
        self.kills: list[Kill] = []
        self.started = time.monotonic()

    def run(self) -> ChaosReport:
        try:
            self.start_over()
            options = producer_options(self.workload, {"--seed": self.options.seed, **self.options.producer_flags})
            runner.produce_in_background(self.settings, self.workload, options, self.stats)
            before = engines.resume_points(self.settings)
            self.start_process()
            points = kill_schedule(self.options.seed, self.options.kills, self.wait_for_target())
            display.console.print(
                f"kills at records {', '.join(f'{p.kill:,}' for p in points)} of {self.stats.target:,} "
                f"(seed {self.options.seed}), each once the job has completed a checkpoint since it started "
                f"(the producer waits for that at records {', '.join(f'{p.gate:,}' for p in points)})"
            )
            resume_line = ""
            for number, point in enumerate(points, start=1):
                self.stats.limit = point.gate
                self.wait_for_checkpoint(number, point, before, resume_line)
                self.stats.limit = point.kill  # the kill comes at exactly this record
                self.wait_for_kill_point(number, point)
                self.kill(number)
                self.stats.limit = points[number].gate if number < len(points) else None  # on while it is down
                resume_line = self.resume_line()
                before = engines.resume_points(self.settings)
                if number < len(points):
                    self.start_process()
            # the last restart runs here: once everything is read it can be drained (open windows fire)
            self.running = self.start_last_run()
            caught_up = self.wait_for_the_end(self.running)
            if caught_up:  # a drain waits for a job that has not read everything: no use at the timeout
                with display.console.status(f"draining the {self.settings.engine} job: its open windows fire ..."):
                    self.running.drain()
            return self.verdict(caught_up, restarts_resumed=len(points))
        finally:
            self.stats.stop.set()
            for process in self.processes:
                process.kill_tree()
            if self.running is not None:
                self.running.stop()

    def start_over(self) -> None:
        """Fresh topics, an empty checkpoint folder and no old logs: the oracle sees this run's input only."""
        settings = self.settings
        deleted = kafka_admin.delete_topics(settings.bootstrap_servers, list(settings.topics.values()))
        if deleted:
            display.console.print(f"deleted the topics of an earlier run: {', '.join(deleted)}")
        shutil.rmtree(settings.resolved_checkpoint_dir, ignore_errors=True)
        shutil.rmtree(self.options.log_dir, ignore_errors=True)
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
        for key, value in settings.engine_conf.items():
            args += ["--conf", f"{key}={value}"]
        return args

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

    def wait_for_checkpoint(self, number: int, point: KillPoint, before: list[Checkpoint], resume_line: str) -> None:
        """Until the producer is at the gate and a checkpoint has completed since the process started; a
        restarted process must have said that it resumes from the checkpoint the folder held."""
        process = self.processes[-1]
        confirmed = not resume_line

        def ready() -> bool:
            nonlocal confirmed
            process.alive()
            confirmed = confirmed or self.said_it_resumes(process, resume_line)
            at_gate = self.stats.sent >= point.gate or self.stats.done
            return confirmed and at_gate and checkpoint_advanced(before, engines.resume_points(self.settings))

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

    def said_it_resumes(self, process: StreamlabProcess, resume_line: str) -> bool:
        """Whether the restarted process has said how it starts yet: anything but resume_line is an error."""
        said = process.output
        run = f"run {len(self.processes)}"
        if "no checkpoint" in said:
            raise LabError(f"{run} started over instead of resuming from its checkpoint: see {process.log}")
        if "resuming from checkpoint" not in said:
            return False
        if _words(resume_line) not in said:
            raise LabError(f"{run} did not resume from the newest checkpoint ({resume_line}): see {process.log}")
        display.console.print(f"{run}: {resume_line}", highlight=False, soft_wrap=True)
        return True

    def kill(self, number: int) -> None:
        at_record = self.stats.sent
        killed = self.processes[-1].kill_tree()
        points = engines.resume_points(self.settings)  # the folder holds still now
        checkpoint = ", ".join(f"{p.number}" + (f" ({p.query})" if p.query else "") for p in points)
        self.kills.append(Kill(number, at_record, time.monotonic() - self.started, killed, checkpoint))
        display.console.print(
            f"kill {number}: SIGKILL to run {len(self.processes)} ({killed} processes) at record {at_record:,}; "
            f"newest completed checkpoint {checkpoint}"
        )

    def resume_line(self) -> str:
        """What the restart must print; a folder with nothing to resume from is a failure of its own."""
        line = engines.describe_start(self.settings)
        if not line.startswith("resuming from checkpoint"):
            raise LabError(f"after kill {len(self.kills)} the checkpoint folder has nothing to resume from: {line}")
        return line

    def start_last_run(self) -> RunningJob:
        """The last restart, in this process: start_job resumes (and says so) only where it can."""
        if not runner.can_resume(self.settings, self.job):
            raise LabError(f"the last restart could not resume from {self.settings.resolved_checkpoint_dir}")
        return runner.start_job(self.settings, self.workload, self.job)

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
            caught_up = running.caught_up()
            return caught_up or time.monotonic() > deadline

        def status() -> str:
            done = " (done)" if self.stats.done else ""
            return f"produced {self.stats.sent:,}/{self.stats.target:,}{done}; the last run is reading to the end"

        self.wait(ready, status, "the last run to read all of its input", timeout_s=None)
        return caught_up

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
        settings, job = self.settings, self.job
        with display.console.status("comparing the result with pandas over every record produced ..."):
            expected, expected_rejects, late = runner.oracle_answer(settings, job)
            result = results.read_result(job.result, settings)
            raw = _values(settings, job.result.topics(settings))
            letters = _values(settings, job.rejects_spec.topics(settings)) if job.rejects_spec else pd.DataFrame()
        return ChaosReport(
            engine=settings.engine,
            workload=self.workload.name,
            result_kind=job.result.kind,
            kills=self.kills,
            restarts_resumed=restarts_resumed,
            produced=workloads.input_size(job, settings),
            rejected=len(expected_rejects),
            tally=tally(result, expected, job.result),
            raw_duplicates=raw_duplicates(raw, job.result),
            dead_letters=dead_letter_tally(letters, expected_rejects, late),
            caught_up=caught_up,
            seconds=time.monotonic() - self.started,
            differences=_differences(result, expected, job.result),
            delivery=settings.delivery,
        )


def producer_options(workload: Workload, flags: dict[str, object]) -> argparse.Namespace:
    """The producer's own options: the demo's flags, then these where the producer has them (patient-events
    replays a file: it has no --count), as `streamlab produce WORKLOAD` would parse them."""
    parser = argparse.ArgumentParser(prog=f"streamlab produce {workload.name}")
    workload.producer().add_arguments(parser)
    known = {option for action in parser._actions for option in action.option_strings}
    argv = list(workload.demo_args)
    for flag, value in flags.items():
        if flag in known and value is not None:
            argv += [flag, str(value)]
    return parser.parse_args(argv)


def kill_restart(settings: Settings, workload: Workload, options: ChaosOptions) -> ChaosReport:
    """Run the workload's job, kill it options.kills times and restart it, then compare with the oracle."""
    return Chaos(settings, workload, options).run()


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
