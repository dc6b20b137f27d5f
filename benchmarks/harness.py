"""`streamlab bench`: plan the runs of a profile, run them one at a time (one engine on the machine at a
time), show which run, how far and about how long is left, and keep results.json up to date after
every run, so an interrupted benchmark still leaves what it measured."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import psutil
from rich.console import Group
from rich.text import Text

from benchmarks import ceiling, runs
from benchmarks.profiles import (
    CHECKPOINT_INTERVAL,
    DEFAULTS,
    DELIVERY,
    DRAIN_ONLY,
    PARALLELISM,
    VARIANTS,
    Profile,
)
from streamlab import display, ownership, versions
from streamlab.engine_clusters import EngineLayout
from streamlab.errors import LabError

RESULTS_DIR = Path("benchmarks") / "results"
ENGINE_START_S = 15  # a rough engine start-up, for the time-left estimate only


KINDS = ("ceiling", "drain", "latency", "sustainable")


@dataclass(frozen=True)
class Step:
    """One run of the plan: `run(context)` returns its run records."""

    kind: str  # one of KINDS
    label: str
    run: Callable[[runs.Context], list[dict]]
    estimate_s: float  # for the time-left estimate only


def plan(profile: Profile, only: tuple[str, ...] = ()) -> list[Step]:
    """Every run of the profile (or of the kinds in `only`), ceiling first, in the order they run."""
    return [step for step in _all_steps(profile) if not only or step.kind in only]


def _all_steps(profile: Profile) -> list[Step]:
    steps = []
    for rep in range(1, profile.repetitions + 1):
        steps.append(
            Step("ceiling", f"ceiling: Kafka perf tools (rep {rep})", partial(ceiling.kafka_tools, repetition=rep), 10)
        )
        steps.append(Step("ceiling", f"ceiling: JVM relay (rep {rep})", partial(ceiling.jvm_relay, repetition=rep), 10))
    drain_s = ENGINE_START_S + profile.drain_events / 40_000
    for workload in profile.workloads:
        for label in DEFAULTS:
            for rep in range(1, profile.repetitions + 1):
                what = f"drain {profile.drain_events:,} events: {label} {workload} (rep {rep})"
                steps.append(Step("drain", what, partial(runs.drain, workload_name=workload, variant=VARIANTS[label],
                                                         repetition=rep), drain_s))  # fmt: skip
    steps.extend(_live_steps(profile))
    return steps


def _live_steps(profile: Profile) -> list[Step]:
    phase_s = profile.warmup_s + profile.measure_s + runs.PHASE_PAUSE_S + 1
    steps = []
    for workload in profile.workloads:
        for label in profile.variants:
            variant = VARIANTS[label]
            default = label in DEFAULTS
            rates = profile.latency_rates if default else profile.variant_rates
            repetitions = profile.repetitions if default else (profile.variant_repetitions or profile.repetitions)
            if not rates or workload in variant.inapplicable or workload in DRAIN_ONLY:
                continue
            if workload in variant.unsupported:
                record = runs.unsupported("latency", variant, workload, variant.unsupported[workload])
                steps.append(Step("latency", f"latency: {label} {workload} (not supported)",
                                  lambda _context, done=record: [done], 0))  # fmt: skip
                continue
            for rep in range(1, repetitions + 1):
                what = f"latency at {', '.join(f'{r:,}' for r in rates)} ev/s: {label} {workload} (rep {rep})"
                run = partial(runs.live, workload_name=workload, variant=variant, repetition=rep, rates=rates)
                steps.append(Step("latency", what, run, ENGINE_START_S + len(rates) * phase_s))
            if default and profile.sustainable_rates:
                run = partial(runs.live, workload_name=workload, variant=variant, repetition=1,
                              rates=profile.sustainable_rates, kind="sustainable")  # fmt: skip
                estimate = ENGINE_START_S + len(profile.sustainable_rates) * (phase_s + profile.sustainable_step_s)
                steps.append(Step("sustainable", f"sustainable: {label} {workload}", run, estimate))
    return steps


def adjusted(profile: Profile, events: int | None = None, repetitions: int | None = None) -> Profile:
    """The profile with `bench --events N` (drain and ceiling runs) and `--repetitions N` applied."""
    if events:
        profile = replace(profile, drain_events=events, ceiling_events=events)
    if repetitions:
        profile = replace(profile, repetitions=repetitions, variant_repetitions=repetitions)
    return profile


def skipped(profile: Profile) -> list[dict]:
    """Variants left out of a workload on purpose, and why (kept in results.json and the report)."""
    by_variant = [
        {"variant": label, "workload": workload, "reason": VARIANTS[label].inapplicable[workload]}
        for workload in profile.workloads
        for label in profile.variants
        if workload in VARIANTS[label].inapplicable
    ]
    live = [{"variant": "latency and sustainable runs", "workload": workload, "reason": DRAIN_ONLY[workload]}
            for workload in profile.workloads if workload in DRAIN_ONLY]  # fmt: skip
    return by_variant + live


def machine() -> dict:
    memory = psutil.virtual_memory().total / 2**30
    return {"cpus": os.cpu_count(), "memory_gib": round(memory, 1), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine()}  # fmt: skip


def conditions(profile: Profile) -> dict:
    return {
        "parallelism": PARALLELISM,
        "topic_partitions": PARALLELISM,
        "spark_local_cores": PARALLELISM,
        "spark_shuffle_partitions": PARALLELISM,
        "delivery_guarantee": DELIVERY,
        "flink_checkpoint_interval": CHECKPOINT_INTERVAL,
        "drain_checkpoints": "none on Flink (a bounded job commits at its end); Spark's availableNow writes "
        "its offsets and commits logs once per micro-batch (one batch per drain here)",
        "spark_checkpoint": "every micro-batch (offsets and commits logs); real-time mode every 10 s",
        "latency": "output record's LogAppendTime - newest event time it includes (scheduled send time)",
        "one_engine_at_a_time": True,
        "profile": asdict(profile),
        "variants": {label: asdict(variant) for label, variant in VARIANTS.items() if label in profile.variants},
    }


def bench(
    profile: Profile,
    bootstrap: str,
    out_dir: Path | None = None,
    only: tuple[str, ...] = (),
    clusters: dict[str, str] | None = None,
    engine_layout: EngineLayout | None = None,
) -> Path:
    """Run the profile; returns the folder holding results.json (and, after `report`, report.md). clusters: each
    engine's cluster (`bench --cluster`), whose processes are sampled with the job's when they are the lab's."""
    started = datetime.now(UTC)
    out_dir = (out_dir or RESULTS_DIR / started.strftime("%Y%m%d-%H%M%S")).absolute()
    if not ownership.clearable_folder(out_dir):  # the bench writes its files there: never among someone else's
        raise ownership.NotOurs(f"--out {out_dir} holds files the lab did not write: choose another --out")
    ownership.make_folder(out_dir)
    results = {
        "started": started.isoformat(timespec="seconds"),
        "finished": None,
        "bootstrap_servers": bootstrap,
        "machine": machine(),
        "versions": versions.components(),
        "conditions": {**conditions(profile), "only": list(only), "clusters": clusters or {}},
        "skipped": skipped(profile),
        "failures": [],
        "step_seconds": [],  # wall time of every planned run, to keep a profile within its budget
        "runs": [],
    }
    context = runs.Context(profile, bootstrap, out_dir, started.strftime("%H%M%S"), clusters=clusters or {},
                           engine_layout=engine_layout)  # fmt: skip
    steps = plan(profile, only)
    display.console.print(f"benchmark profile [bold]{profile.name}[/]: {len(steps)} runs, results in {out_dir}")
    _run_steps(steps, context, results, out_dir / "results.json")
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    _save(results, out_dir / "results.json")
    return out_dir


def _run_steps(steps: list[Step], context: runs.Context, results: dict, results_file: Path) -> None:
    planned = sum(step.estimate_s for step in steps)
    spent_planned, began = 0.0, time.monotonic()
    for number, step in enumerate(steps, start=1):
        elapsed = time.monotonic() - began
        # the plan's estimate of what is left, scaled by how the estimates have fared so far
        pace = elapsed / spent_planned if spent_planned else 1.0
        left_min = (planned - spent_planned) * pace / 60
        display.console.print(f"[{number}/{len(steps)}] {step.label}  (about {left_min:.0f} min left)")
        step_began = time.monotonic()
        with display.console.status(f"{step.label} ..."):
            try:
                results["runs"].extend(step.run(context))
            except LabError as error:  # one failed run is recorded; the benchmark goes on
                results["failures"].append({"run": step.label, "error": str(error)})
                display.console.print(f"[red]  failed:[/] {error}", highlight=False)
        spent_planned += step.estimate_s
        results["step_seconds"].append({"run": step.label, "seconds": round(time.monotonic() - step_began, 1)})
        _save(results, results_file)


def _save(results: dict, path: Path) -> None:
    path.write_text(json.dumps(results, indent=1, default=float) + "\n")


def summary(folder: Path) -> Group:
    """The medians per measurement as one table for the terminal (report.md has the details), then every
    run left out of them with its reason: a measurement whose runs were all invalid has no row to show."""
    from benchmarks.report import fmt, grouped, load, median

    results = load(folder)
    rows = []
    for (kind, workload, engine, variant, rate), measured in sorted(grouped(results).items(), key=str):
        rows.append({
            "kind": kind, "workload": workload, "engine": f"{engine}/{variant}", "rate": fmt(rate) if rate else "",
            "events/s": fmt(median(measured, "events_per_s")), "p99 ms": fmt(median(measured, "latency_ms", "p99")),
            "cores": fmt(median(measured, "cpu_cores_used"), 2), "runs": len(measured),
        })  # fmt: skip
    table = display.table(rows, title=f"medians of the valid runs ({folder})")
    return Group(table, *(Text(line) for line in left_out(results)))


def left_out(results: dict) -> list[str]:
    """One line per run the medians leave out: invalid (with why) or not supported by the variant."""
    lines = []
    for run in results["runs"]:
        if run["valid"]:
            continue
        what = f"{run['kind']} {run['workload']} {run['engine']}/{run['variant']}"
        if run.get("supported") is False:
            lines.append(f"not supported: {what}: {run['notes']}")
            continue
        rate = f" at {run['rate']:,}/s" if run.get("rate") else ""
        lines.append(f"invalid run: {what}{rate} (rep {run['repetition']}): {run['notes']}")
    return lines
