"""Batch jobs (a file in, files out): the demo, and `check`, which runs every engine on the same
file, each in its own process as a user would (`streamlab run ENGINE ...`), and puts their
results beside the pandas oracle.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.markup import escape

from streamlab import display, oracles, results, runner
from streamlab.errors import LabError
from streamlab.settings import ENGINES, Settings
from streamlab.workloads import Job, Workload

ENGINE_TIMEOUT_S = 1800  # 10 million rows take minutes, not hours


@dataclass
class EngineRun:
    settings: Settings
    seconds: float
    table: pd.DataFrame
    differences: pd.DataFrame
    rejected: int


def run_engine_process(settings: Settings, workload: Workload, job: Job) -> float:
    """`streamlab run ENGINE WORKLOAD --job JOB --input F --output-dir D` in a new process; its seconds."""
    command = [
        sys.executable, "-m", "streamlab", "run", settings.engine, workload.name, "--job", job.name,
        "--input", str(settings.required_input_path()), "--output-dir", str(settings.required_output_dir()),
        "--parallelism", str(settings.parallelism),
    ]  # fmt: skip
    started = time.monotonic()
    try:
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=ENGINE_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise LabError(f"the {settings.engine} run did not finish within {ENGINE_TIMEOUT_S} s") from None
    if finished.returncode != 0:
        tail = "\n".join((finished.stdout + finished.stderr).strip().splitlines()[-5:])
        raise LabError(f"the {settings.engine} run failed (exit {finished.returncode}):\n{tail}")
    return time.monotonic() - started


def check_all_engines(settings: Settings, workload: Workload, job: Job) -> None:
    """Both engines and pandas on one file, side by side; an error if an engine disagrees."""
    input_path = settings.required_input_path()
    with display.console.status(f"pandas is reading {results.display_path(input_path)} ..."):
        started = time.monotonic()
        expected, expected_rejects = job.oracle_function()(input_path)
        oracle_seconds = time.monotonic() - started
    runs = []
    for engine in ENGINES:
        engine_settings = settings.with_(engine=engine, output_dir=engine_output_dir(settings, workload, engine))
        with display.console.status(f"{engine} is running {workload.name}/{job.name} in its own process ..."):
            seconds = run_engine_process(engine_settings, workload, job)
        table = results.read_result(job.result, engine_settings)
        spec = job.result
        diff = oracles.differences(
            table, expected, list(spec.key_columns), list(spec.value_columns), rel_tolerance=spec.rel_tolerance
        )
        runs.append(EngineRun(engine_settings, seconds, table, diff, runner.count_rejects(engine_settings, job)))
    display.show(
        side_by_side(job, expected, runs),
        title=f"{workload.name}/{job.name}: pandas, {' and '.join(ENGINES)} on {results.display_path(input_path)}",
        caption=f"float sums are compared with a relative tolerance of {job.result.rel_tolerance:g}: each engine "
        "adds partial sums in its own order (per task, then merged), so the last digits differ",
    )
    _report(runs, expected, expected_rejects, oracle_seconds, job)


def engine_output_dir(settings: Settings, workload: Workload, engine: str) -> Path:
    """Each engine's folder: under --output-dir if one was given, else the engine's default folder."""
    if settings.output_dir and settings.output_dir != workload.default_output_dir(settings.engine):
        return settings.output_dir / engine
    return workload.default_output_dir(engine)


def side_by_side(job: Job, expected: pd.DataFrame, runs: list[EngineRun]) -> pd.DataFrame:
    """One row per key and value column: the oracle's value, each engine's, and the largest relative gap."""
    keys = list(job.result.key_columns)
    rows = []
    for _, want in expected.iterrows():
        for column in job.result.value_columns:
            row = {**{k: want[k] for k in keys}, "column": column, "pandas": _shown(want[column])}
            gaps = []
            for run in runs:
                match = run.table
                for k in keys:
                    match = match[match[k] == want[k]]
                got = match[column].iloc[0] if len(match) else None
                row[run.settings.engine] = _shown(got)
                gaps.append(_relative_gap(got, want[column]))
            row["max rel. diff"] = f"{max(gaps):.1e}" if all(g is not None for g in gaps) else "missing"
            rows.append(row)
    return pd.DataFrame(rows)


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return repr(float(value))  # every digit, to see where engines part
    return str(value)


def _relative_gap(got: object, want: object) -> float | None:
    if got is None:
        return None
    if isinstance(want, str) or isinstance(got, str):
        return 0.0 if got == want else float("inf")
    scale = max(abs(float(got)), abs(float(want)))
    return abs(float(got) - float(want)) / scale if scale else 0.0


def _report(
    runs: list[EngineRun], expected: pd.DataFrame, expected_rejects: pd.DataFrame, oracle_seconds: float, job: Job
) -> None:
    display.console.print(
        f"pandas: {len(expected):,} rows, {len(expected_rejects):,} malformed line(s), {oracle_seconds:.1f} s"
    )
    failed = []
    for run in runs:
        agrees = run.differences.empty and run.rejected == len(expected_rejects)
        verdict = "[green]agrees with pandas[/]" if agrees else "[red]differs from pandas[/]"
        accounting = runner.summary_lines(run.settings, job, runner.measure(run.settings, job, run.table))[-1]
        note = runner.malformed_note(run.settings, job)
        display.console.print(
            f"{run.settings.engine}: {verdict} ({run.seconds:.1f} s in its own process); {escape(accounting)}"
            + (f"; {note}" if note else ""),
            highlight=False,
        )
        if not agrees:
            failed.append(run.settings.engine)
    if failed:
        raise LabError(f"{' and '.join(failed)} differ from the pandas oracle")


def demo(settings: Settings, workload: Workload, job: Job, options: argparse.Namespace) -> None:
    """What `make flink-run WORKLOAD=...` does for a batch job: write the file, run, show, check."""
    display.console.print(runner.produce(settings, workload, options))
    started = time.monotonic()
    running = runner.start_job(settings, workload, job, fresh=True)
    with display.console.status(f"{settings.engine} is running {workload.name}/{job.name} in batch mode ..."):
        running.wait()
    display.console.print(runner.describe_run(time.monotonic() - started, f"{settings.engine} finished"))
    table, _ = runner.show_results(settings, workload, job)
    verdict = runner.oracle_check(settings, job, table)
    agrees = "[green]matches[/]" if verdict.agrees else f"[red]differs from[/] ({len(verdict.differences)} rows)"
    display.console.print(
        f"{settings.engine} result {agrees} pandas over all lines of {results.display_path(settings.input_path)} "
        f"(pandas rejects {len(verdict.expected_rejects):,} line(s), {settings.engine} {verdict.rejected:,})"
    )
