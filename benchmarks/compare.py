"""`streamlab bench compare A B`: two result sets side by side, medians and the ratio B/A, so a change
can be judged against a baseline. Throughput: higher is better; latency: lower is better.

It is also the guard against the next regression: a drain that falls more than 15% or a p99 that
rises more than 50% is named, and the command exits non-zero. Only figures with at least two valid
runs on each side are judged: a single run's p99 on 2 shared cores moves by 2x from one run to the
next (docs/bench.md, 2026-12-05), so judging it would cry wolf."""

from __future__ import annotations

from pathlib import Path

from benchmarks.grouping import grouped, load, median
from streamlab.errors import LabError

DRAIN_FALL = 0.15  # a drain below 0.85 of the baseline is a regression
P99_RISE = 0.50  # a p99 above 1.5 times the baseline is a regression
JUDGED_RUNS = 2  # fewer valid runs on either side: shown, not judged
SAME_MACHINE = 0.15  # the relay's ceiling moved more than this: the two runs are not on one machine's day


class Regressed(LabError):
    """B is slower than A beyond the guard's margins."""

    exit_code = 1


def rows(baseline: dict, candidate: dict) -> list[dict[str, str]]:
    before, after = grouped(baseline), grouped(candidate)
    table = []
    for key in sorted(set(before) | set(after), key=str):
        kind, workload, engine, variant, rate = key
        figure, unit = ("latency_ms", "p99 ms") if kind in ("latency",) else ("events_per_s", "events/s")
        a = _figure(before.get(key, []), figure)
        b = _figure(after.get(key, []), figure)
        runs = min(len(before.get(key, [])), len(after.get(key, [])))
        table.append({
            "kind": kind, "workload": workload, "engine": f"{engine}/{variant}",
            "rate": f"{rate:,}" if rate else "", "figure": unit,
            "A": f"{a:,.0f}" if a is not None else "-", "B": f"{b:,.0f}" if b is not None else "-",
            "B/A": f"{b / a:.2f}" if a and b is not None else "-",
            "guard": _judged(kind, a, b, runs),
        })  # fmt: skip
    return table


def _figure(runs: list[dict], figure: str) -> float | None:
    if not runs:
        return None
    return median(runs, "latency_ms", "p99") if figure == "latency_ms" else median(runs, "events_per_s")


def _judged(kind: str, a: float | None, b: float | None, runs: int) -> str:
    """The guard's word on one figure: 'ok', 'REGRESSED ...', or why it is not judged."""
    if kind not in ("drain", "latency"):
        return ""  # ceilings measure the machine, sustainable steps are judged in the report
    if not a or b is None:
        return "not in both"
    if runs < JUDGED_RUNS:
        return "one run: not judged"
    if kind == "drain" and b < a * (1 - DRAIN_FALL):
        return f"REGRESSED: fell {1 - b / a:.0%}"
    if kind == "latency" and b > a * (1 + P99_RISE):
        return f"REGRESSED: rose {b / a - 1:.0%}"
    return "ok"


def regressions(table: list[dict[str, str]]) -> list[str]:
    return [
        f"{row['kind']} {row['workload']} {row['engine']} {row['rate']}".strip()
        + f": {row['guard'].removeprefix('REGRESSED: ')}"
        for row in table
        if row["guard"].startswith("REGRESSED")
    ]


def machine_note(baseline: dict, candidate: dict) -> str:
    """The relay is the lab's ceiling on this machine: if it moved, so did the machine, and B/A says less."""
    key = ("ceiling", "passthrough", "relay", "jvm-relay", None)
    a, b = (_figure(grouped(results).get(key, []), "events_per_s") for results in (baseline, candidate))
    if not a or b is None or abs(b / a - 1) <= SAME_MACHINE:
        return ""
    moved = f"{b / a - 1:+.0%} ({a:,.0f} -> {b:,.0f}/s)"
    return f"the relay's ceiling moved {moved}: not the same machine's day, so judge each drain by its ratio to it"


def placement_note(baseline: dict, candidate: dict) -> str:
    """Runs with the engines in local mode against runs on their clusters (`bench --cluster`): B/A then measures
    the placement, not a change of the code."""
    a, b = (results["conditions"].get("clusters") or {} for results in (baseline, candidate))
    if a == b:
        return ""
    where = {True: "on their clusters", False: "in local mode"}
    return f"A ran the engines {where[bool(a)]}, B {where[bool(b)]}: B/A is the placement's cost or gain"


def compare(first: Path, second: Path) -> tuple[list[dict[str, str]], str, str]:
    """The table, its title, and notes when the two runs were not on a comparable machine or placement."""
    baseline, candidate = load(first), load(second)
    title = f"A = {first} ({baseline['started']}), B = {second} ({candidate['started']})"
    placement = placement_note(baseline, candidate)
    table = rows(baseline, candidate)
    if placement:  # the guard is for changes of the code: local against cluster is not one
        table = [{**row, "guard": "placement differs: not judged" if row["guard"] else ""} for row in table]
    notes = [note for note in (machine_note(baseline, candidate), placement) if note]
    return table, title, "; ".join(notes)
