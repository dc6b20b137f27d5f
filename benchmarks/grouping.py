"""Runs of a results.json grouped by what they measured, and their medians: what the report, its plots
and `bench compare` all read (kept apart so that neither imports the other)."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from streamlab.errors import LabError

Key = tuple  # (kind, workload, engine, variant, rate)


def load(folder: Path) -> dict:
    path = folder / "results.json" if folder.is_dir() else folder
    if not path.is_file():  # `bench compare` or `bench report` pointed at the wrong folder: one line, no traceback
        raise LabError(
            f"{folder} holds no results.json: name a folder `streamlab bench` wrote (benchmarks/results/TIME)"
        )
    return json.loads(path.read_text())


def key_of(run: dict) -> Key:
    """What a run measured; a sustainable run's rate is its result, not what it measured."""
    rate = None if run["kind"] == "sustainable" else run["rate"]
    return (run["kind"], run["workload"], run["engine"], run["variant"], rate)


def grouped(results: dict) -> dict[Key, list[dict]]:
    """Runs that measured the same thing, valid ones only (an invalid run is reported, never averaged)."""
    groups: dict[Key, list[dict]] = defaultdict(list)
    for run in results["runs"]:
        if run["valid"]:
            groups[key_of(run)].append(run)
    return groups


def median(runs: Iterable[dict], field: str, sub: str = "") -> float | None:
    values = [((run.get(field) or {}).get(sub) if sub else run.get(field)) for run in runs]
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None
