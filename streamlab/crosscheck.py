"""`streamlab check WORKLOAD`: both engines over one input, side by side with the pandas oracle.

The workload's producer writes its demo input once (as `demo` does, at full speed) into fresh topics
named with the check's prefix, or into a file for a batch workload (or the check takes the file given
with --input). Then each engine runs the job bounded, each stage of a pipeline in a process of its own
(`streamlab run ENGINE WORKLOAD --job J --bounded ...`, as a user types it: several Flink planners in
one process trip FLINK-23020), into output topics and folders of its own: both engines read the same
input topics, but if they wrote the same output topic, each would read the other's rows back. Last,
both results and their rejects are judged against the oracle over exactly the input each read
(streamlab.run.verdict, the comparison every command uses): one table, and one line per engine.

Generic over the registry (streamlab.workloads): which roles a job writes decides which topics are
the engine's own; nothing here names a workload or imports a job.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.markup import escape

from streamlab import display, ownership, results
from streamlab.compare import Verdict, compare_rows, merge_on_keys, same_values
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.processes import StreamlabProcess
from streamlab.results import ResultSpec
from streamlab.run import lifecycle, live
from streamlab.run.verdict import judge
from streamlab.settings import ENGINES, Settings
from streamlab.workloads import Job, Workload

DEFAULT_PREFIX = "check_"
ENGINE_TIMEOUT_S = 1800.0  # one bounded run on a busy 2-core machine takes a minute; never an hour
SHOWN_ROWS = 20  # rows of the side-by-side table printed, the differing ones first
PACING_FLAGS = ("rate", "speedup")  # producer options that slow it down to a live pace; 0 = at once
ORACLE = "pandas"


# ---- where each engine reads and writes -------------------------------------------------------------


def written_roles(workload: Workload) -> set[str]:
    """Topic roles some job of the workload writes (results, dead letters): each engine gets its own."""
    roles: set[str] = set()
    for job in workload.jobs:
        if job.result.is_topic:
            roles.update(job.result.roles)
        if job.rejects and not job.batch:
            roles.add(job.rejects)
    return roles


def engine_topics(workload: Workload, prefix: str, engine: str) -> dict[str, str]:
    """role -> topic: the input roles shared (prefix + name), the written ones the engine's own."""
    shared = workload.topic_names(prefix)
    own = written_roles(workload)
    return {role: f"{prefix}{engine}_{name[len(prefix) :]}" if role in own else name for role, name in shared.items()}


def work_dir(workload: Workload, prefix: str) -> Path:
    """The check's folder: the input file of a batch job, each engine's files, checkpoints and logs."""
    return RUN_DIR / "check" / f"{prefix}{workload.name}"


def plan_path(workload: Workload, prefix: str, engine: str, job: Job) -> Path:
    """Where the check's run keeps the plan the engine ran (`run --plan-out`): `streamlab compare` shows it."""
    return work_dir(workload, prefix) / "plans" / f"{engine}-{job.name}.txt"


def engine_settings(
    settings: Settings,
    workload: Workload,
    prefix: str,
    input_path: Path | None = None,
    output_dir: Path | None = None,
    clusters: Mapping[str, str] | None = None,
) -> dict[str, Settings]:
    """Each engine's settings: its own output topics, output folder (below output_dir if given) and checkpoints;
    clusters: the engine clusters the jobs go to (--cluster), per engine."""
    folder = work_dir(workload, prefix)
    return {
        engine: settings.with_(
            engine=engine,
            topics=engine_topics(workload, prefix, engine),
            input_path=input_path or folder / "input.csv",
            output_dir=(output_dir or folder) / engine,
            checkpoint_dir=folder / "checkpoints" / engine,
            bounded=True,
            cluster=(clusters or {}).get(engine, ""),
        )
        for engine in ENGINES
    }


def stage_settings(settings: Settings, job: Job) -> Settings:
    """A stage's own checkpoint folder, named after the job (what lifecycle.later_stage_folders expects)."""
    return settings.with_(job=job.name, checkpoint_dir=settings.resolved_checkpoint_dir / job.name)


# ---- fresh topics, input --------------------------------------------------------------------------


def all_topics(per_engine: dict[str, Settings]) -> list[str]:
    return sorted({topic for settings in per_engine.values() for topic in settings.topics.values()})


def start_over(per_engine: dict[str, Settings], workload: Workload, prefix: str) -> None:
    """The topics and the folder of the last check, deleted (the lab's only: streamlab.ownership); fresh topics."""
    topics = all_topics(per_engine)
    folders = [work_dir(workload, prefix), *(settings.required_output_dir() for settings in per_engine.values())]
    bootstrap = next(iter(per_engine.values())).bootstrap_servers
    ownership.clear(bootstrap, topics, folders)
    for settings in per_engine.values():
        lifecycle.ensure_topics(settings, workload)


def fast_producer_options(options: argparse.Namespace) -> argparse.Namespace:
    """The demo's producer options at full speed: a check needs the records, not a live pace."""
    faster = argparse.Namespace(**vars(options))
    for name in PACING_FLAGS:
        if hasattr(faster, name):
            setattr(faster, name, 0.0)
    return faster


def produce(settings: Settings, workload: Workload, options: argparse.Namespace) -> str:
    """The seeded input, once: into the shared input topics, or (batch) the check's input file."""
    options = fast_producer_options(options)
    if workload.batch:
        options.output = settings.input_path  # a file producer's --output is the file its job reads
        ownership.make_folder(settings.input_path.parent)
    return lifecycle.produce(settings, workload, options, show_progress=False)


# ---- each engine in its own process ----------------------------------------------------------------


def run_args(settings: Settings, workload: Workload, job: Job) -> list[str]:
    """`streamlab run ENGINE WORKLOAD --job J --bounded ...` with this check's topics and folders."""
    args = [
        "run", settings.engine, workload.name, "--job", job.name, "--bounded",
        "--checkpoint-dir", str(settings.resolved_checkpoint_dir), "--output-dir", str(settings.output_dir),
        "--parallelism", str(settings.parallelism), "--bootstrap-servers", settings.bootstrap_servers,
    ]  # fmt: skip
    if settings.cluster:
        args += ["--cluster", settings.cluster]
    if job.batch:
        return [*args, "--input", str(settings.input_path)]
    for role, topic in sorted(settings.topics.items()):
        args += ["--topic", f"{role}={topic}"]
    return args


def run_in_own_process(args: list[str], log: Path, timeout_s: float = ENGINE_TIMEOUT_S) -> float:
    """Run `streamlab ARGS` to its end; its seconds. A failure or a timeout is an error with its log's tail;
    on Ctrl-C (or any error here) its whole process tree, the engine's JVM included, is killed."""
    process = StreamlabProcess(args, log)
    started = time.monotonic()
    try:
        code = process.process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill_tree()
        raise LabError(
            f"`streamlab {' '.join(args[:3])}` did not finish within {timeout_s:.0f} s (see {log})"
        ) from None
    except BaseException:
        process.kill_tree()
        raise
    if code != 0:
        raise LabError(f"`streamlab {' '.join(args[:3])}` failed (exit {code}; log {log}): ...{process.output[-800:]}")
    return time.monotonic() - started


# ---- the verdict ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineCheck:
    """An engine's result for one job, judged against the oracle over the input it read."""

    engine: str
    seconds: float  # its bounded run(s), process start to end
    verdict: Verdict

    @property
    def passed(self) -> bool:
        return self.verdict.passed


def summary_line(check: EngineCheck, job: Job) -> str:
    rows, letters = check.verdict.rows, check.verdict.dead_letters
    rejected = "lines set aside" if job.batch else "dead letters"
    late = f" (+{letters.late:,} late, left out of its oracle)" if letters.late else ""
    verdict = "[green]agrees with pandas[/]" if check.passed else "[red]differs from pandas[/]"
    return (
        f"{check.engine} {job.name}: {verdict}: {len(check.verdict.table):,} rows, {rows.correct:,} correct, "
        f"{rows.missing:,} missing, {rows.extra:,} extra, {rows.wrong:,} wrong, {rows.duplicated:,} duplicated; "
        f"{rejected} {letters.accounted:,} of the oracle's {letters.expected:,}{late}, {letters.unexpected:,} "
        f"unexpected, {letters.copies:,} written twice ({check.seconds:.1f} s in its own process)"
    )


def failures(checks: Sequence[EngineCheck]) -> list[str]:
    return sorted({check.engine for check in checks if not check.passed})


def verdict(checks: Sequence[EngineCheck], workload: Workload) -> None:
    """Nothing when every engine agrees with the oracle; else the error (a non-zero exit) naming who differs."""
    failed = failures(checks)
    if failed:
        raise LabError(f"{' and '.join(failed)} differ from the pandas oracle on {workload.name} (see the table above)")


# ---- the side-by-side table -------------------------------------------------------------------------


def side_by_side(expected: pd.DataFrame, checks: Sequence[EngineCheck], spec: ResultSpec) -> pd.DataFrame:
    """One row per key and value column: the oracle's value, each engine's, and which engines differ.
    Rows that differ come first; a key only an engine has shows an empty oracle cell."""
    keys = list(spec.key_columns)
    wide = expected.reindex(columns=[*keys, *spec.value_columns]).drop_duplicates(keys)
    wide = wide.rename(columns={name: (ORACLE, name) for name in spec.value_columns})
    for check in checks:
        own = check.verdict.table.reindex(columns=[*keys, *spec.value_columns]).drop_duplicates(keys)
        own = own.rename(columns={name: (check.engine, name) for name in spec.value_columns})
        wide = merge_on_keys(wide, own, keys)
    rows = []
    for name in spec.value_columns:
        part = wide[keys].copy()
        part["column"] = name
        part[ORACLE] = wide[(ORACLE, name)]
        flags = []
        for check in checks:
            part[check.engine] = wide[(check.engine, name)]
            same = same_values(wide[(check.engine, name)], wide[(ORACLE, name)], spec.rel_tolerance)
            flags.append(same.map({True: "", False: check.engine}))
        part["differs"] = [", ".join(flag for flag in row if flag) for row in zip(*flags, strict=True)]
        rows.append(part)
    long = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=[*keys, "column", ORACLE])
    order = {"_same": long["differs"].eq(""), "_column": long["column"].map(list(spec.value_columns).index)}
    long = long.assign(**order).sort_values(["_same", *keys, "_column"], kind="stable")
    return long.drop(columns=list(order)).reset_index(drop=True)


def shown(table: pd.DataFrame, limit: int = SHOWN_ROWS) -> pd.DataFrame:
    """The first rows, every cell as text: floats with all their digits, to see where engines part."""
    return table.head(limit).map(_text)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def tolerance_words(spec: ResultSpec) -> str:
    if spec.rel_tolerance:
        return f"floats agree within a relative tolerance of {spec.rel_tolerance:g} (engines add in their own order)"
    return "values must be equal exactly (relative tolerance 0: engines and pandas compute them alike)"


def show_job(workload: Workload, job: Job, checks: Sequence[EngineCheck], where: str) -> None:
    spec = job.result
    table = side_by_side(checks[0].verdict.expected, checks, spec)
    differing = int(table["differs"].ne("").sum()) if "differs" in table else 0
    first = display.first_of(SHOWN_ROWS, len(table))
    notes = [
        f"(key, column) rows: {first}, the {differing:,} differing ones first"
        if differing
        else f"(key, column) rows: {first}; none differs",
        tolerance_words(spec),
    ]
    for check in checks[1:]:
        if not _same_frame(check.verdict.expected, checks[0].verdict.expected, spec):
            notes.append(f"pandas over {check.engine}'s own input differs from the column shown: see its summary")
    display.show(
        shown(table),
        title=f"{workload.name}/{job.name}: {ORACLE}, {' and '.join(c.engine for c in checks)} over {where}",
        caption=escape("; ".join(notes)),
    )
    for check in checks:
        display.console.print(summary_line(check, job), highlight=False)


def _same_frame(one: pd.DataFrame, other: pd.DataFrame, spec: ResultSpec) -> bool:
    return compare_rows(one, other, spec).agrees


# ---- the whole check ----------------------------------------------------------------------------------


class Steps:
    """A numbered progress line per step, with its seconds: a check takes minutes."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[None]:
        self.done += 1
        started = time.monotonic()
        display.console.print(f"[{self.done}/{self.total}] {what} ...", highlight=False, markup=False)
        yield
        display.console.print(f"      done in {time.monotonic() - started:.1f} s", highlight=False)


def check_both_engines(
    settings: Settings,
    workload: Workload,
    jobs: Sequence[Job],
    producer_options: argparse.Namespace,
    prefix: str = DEFAULT_PREFIX,
    input_path: Path | None = None,
    output_dir: Path | None = None,
    clusters: Mapping[str, str] | None = None,
) -> list[EngineCheck]:
    """Produce once (or take the file given), run each engine bounded in its own process(es), judge; an error if
    any engine differs. input_path and output_dir: a batch workload's file and where the engines write."""
    if not prefix:
        raise LabError("check deletes and recreates its topics: give it a --topic-prefix of its own (default check_)")
    per_engine = engine_settings(settings, workload, prefix, input_path, output_dir, clusters)
    steps = Steps(2 + (input_path is None) + len(ENGINES) * len(jobs))
    shared = per_engine[ENGINES[0]]
    with steps.step(f"fresh topics {prefix}* and folder {results.display_path(work_dir(workload, prefix))}"):
        start_over(per_engine, workload, prefix)
    if input_path is None:
        with steps.step(
            f"producing the seeded demo input of {workload.name} ({' '.join(workload.demo_args)}, at once)"
        ):
            display.console.print(f"      {produce(shared, workload, producer_options)}", highlight=False)
    seconds: dict[str, dict[str, float]] = {engine: {} for engine in ENGINES}
    for engine, engine_wide in per_engine.items():
        for job in jobs:
            job_settings = stage_settings(engine_wide, job)
            log = work_dir(workload, prefix) / "logs" / f"{engine}-{job.name}.log"
            command = f"streamlab run {engine} {workload.name} --job {job.name} --bounded"
            where = "in its own process"
            if job_settings.cluster:  # the job runs on the engine's cluster; the process is its client
                command += f" --cluster {job_settings.cluster}"
                where = f"on the {engine} cluster, its client in its own process"
            with steps.step(f"{engine}: `{command}`, {where} (log {results.display_path(log)})"):
                plan = plan_path(workload, prefix, engine, job)
                args = [*run_args(job_settings, workload, job), "--plan-out", str(plan)]
                seconds[engine][job.name] = run_in_own_process(args, log)
    checks: list[EngineCheck] = []
    with steps.step("reading both results and pandas over the same input"):
        per_job = {job.name: _check_job(per_engine, job, seconds) for job in jobs}
    for job in jobs:
        show_job(workload, job, per_job[job.name], describe_input(per_engine, job))
        if job.batch:
            note = live.malformed_note(stage_settings(shared, job), job)
            if note:
                display.console.print(note, highlight=False)
        checks += per_job[job.name]
    verdict(checks, workload)
    return checks


def _check_job(per_engine: dict[str, Settings], job: Job, seconds: dict[str, dict[str, float]]) -> list[EngineCheck]:
    return [
        EngineCheck(engine, seconds[engine][job.name], judge(stage_settings(engine_wide, job), job))
        for engine, engine_wide in per_engine.items()
    ]


def describe_input(per_engine: dict[str, Settings], job: Job) -> str:
    """The input both engines read: a file, the shared topics, and (a later stage) each engine's own."""
    first = next(iter(per_engine.values()))
    if job.batch:
        return results.display_path(first.required_input_path())
    names = []
    for role in job.input_roles:
        topics = sorted({settings.topic(role) for settings in per_engine.values()})
        names.append(topics[0] if len(topics) == 1 else f"its own {role} ({', '.join(topics)})")
    return " + ".join(names)
