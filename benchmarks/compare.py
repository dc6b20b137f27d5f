"""`streamlab bench compare A B`: two result sets side by side, medians and the ratio B/A, so a change
can be judged against a baseline. Throughput: higher is better; latency: lower is better."""

from __future__ import annotations

from pathlib import Path

from benchmarks.grouping import grouped, load, median


def rows(baseline: dict, candidate: dict) -> list[dict[str, str]]:
    before, after = grouped(baseline), grouped(candidate)
    table = []
    for key in sorted(set(before) | set(after), key=str):
        kind, workload, engine, variant, rate = key
        figure, unit = ("latency_ms", "p99 ms") if kind in ("latency",) else ("events_per_s", "events/s")
        a = _figure(before.get(key, []), figure)
        b = _figure(after.get(key, []), figure)
        table.append({
            "kind": kind, "workload": workload, "engine": f"{engine}/{variant}",
            "rate": f"{rate:,}" if rate else "", "figure": unit,
            "A": f"{a:,.0f}" if a is not None else "-", "B": f"{b:,.0f}" if b is not None else "-",
            "B/A": f"{b / a:.2f}" if a and b is not None else "-",
        })  # fmt: skip
    return table


def _figure(runs: list[dict], figure: str) -> float | None:
    if not runs:
        return None
    return median(runs, "latency_ms", "p99") if figure == "latency_ms" else median(runs, "events_per_s")


def compare(first: Path, second: Path) -> tuple[list[dict[str, str]], str]:
    baseline, candidate = load(first), load(second)
    title = f"A = {first} ({baseline['started']}), B = {second} ({candidate['started']})"
    return rows(baseline, candidate), title
