"""Where the faults of a chaos run fall: seeded kill points in the input, and when a checkpoint has completed."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from streamlab.engines import Checkpoint
from streamlab.errors import LabError

KILL_SPAN = (0.1, 0.9)  # kill points fall between 10% and 90% of the input: a start and an end on each side


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
