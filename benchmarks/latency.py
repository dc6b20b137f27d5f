"""Event-time latency and the generator's schedule, as plain functions over numbers (unit-tested).

Latency of one output record = the broker's append time of that record (the output topics use
message.timestamp.type=LogAppendTime) - the event time of the newest input event the record
includes. Event times are the generator's *scheduled* send times, so a generator or broker that
falls behind shows up as latency instead of hiding it (no coordinated omission).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from hdrh.histogram import HdrHistogram

HIGHEST_MS = 3_600_000  # an hour: anything slower is not a latency but a failure
SIGNIFICANT_DIGITS = 3  # HdrHistogram keeps values to 0.1 % of their size
PERCENTILES = {"p50": 50.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}

# the generator "fell behind" when more than BEHIND_FRACTION of its events left more than BEHIND_MS
# after their scheduled time: their latency would be measured from a time they were not sent at
BEHIND_MS = 50.0
BEHIND_FRACTION = 0.01


def histogram(latencies_ms: Sequence[float] | np.ndarray) -> HdrHistogram:
    """An HdrHistogram of whole milliseconds (the broker's append time has millisecond resolution)."""
    recorded = HdrHistogram(1, HIGHEST_MS, SIGNIFICANT_DIGITS)
    for value in np.clip(np.rint(np.asarray(latencies_ms, dtype=float)), 0, HIGHEST_MS).astype(np.int64):
        recorded.record_value(int(value))
    return recorded


def percentiles(recorded: HdrHistogram) -> dict[str, float]:
    """p50, p95, p99, p999 and max in ms; empty when nothing was recorded."""
    if recorded.get_total_count() == 0:
        return {}
    figures = {name: float(recorded.get_value_at_percentile(p)) for name, p in PERCENTILES.items()}
    figures["max"] = float(recorded.get_max_value())
    return figures


@dataclass(frozen=True)
class Samples:
    """What a collector saw: one row per output record, in the order they were read."""

    append_ms: np.ndarray  # broker append time of the output record (epoch ms)
    event_ms: np.ndarray  # the newest event time the record includes (epoch ms)

    @property
    def latency_ms(self) -> np.ndarray:
        return self.append_ms - self.event_ms

    def between(self, start_ms: float, end_ms: float) -> Samples:
        """The records whose newest event was scheduled in [start_ms, end_ms): one phase of a run,
        without its warm-up."""
        keep = (self.event_ms >= start_ms) & (self.event_ms < end_ms)
        return Samples(self.append_ms[keep], self.event_ms[keep])

    def __len__(self) -> int:
        return len(self.append_ms)


def empty_samples() -> Samples:
    return Samples(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def per_second(samples: Samples, origin_ms: float) -> list[dict[str, float]]:
    """Latency over time: for each second of event time after origin_ms, the count, p50, p99 and max."""
    if not len(samples):
        return []
    seconds = ((samples.event_ms - origin_ms) // 1000).astype(np.int64)
    latency = samples.latency_ms
    series = []
    for second in np.unique(seconds):
        values = latency[seconds == second]
        series.append(
            {
                "second": int(second),
                "count": int(len(values)),
                "p50": float(np.percentile(values, 50)),
                "p99": float(np.percentile(values, 99)),
                "max": float(values.max()),
            }
        )
    return series


def fell_behind(send_lag_ms: Sequence[float] | np.ndarray) -> bool:
    """True when the generator sent more than BEHIND_FRACTION of its events over BEHIND_MS late."""
    lags = np.asarray(send_lag_ms, dtype=float)
    if not len(lags):
        return False
    return float(np.mean(lags > BEHIND_MS)) > BEHIND_FRACTION


def keeps_growing(samples: Samples, start_ms: float, end_ms: float, slack_ms: float = 250.0) -> bool:
    """True when latency in the last third of [start_ms, end_ms) is clearly above the first third's:
    the engine is not keeping up with the rate and its backlog grows. "Clearly": the median rose by more
    than slack_ms and by more than half."""
    third = (end_ms - start_ms) / 3
    first = samples.between(start_ms, start_ms + third).latency_ms
    last = samples.between(end_ms - third, end_ms).latency_ms
    if not len(first) or not len(last):
        return True  # no output in a third of the phase: nothing kept up
    before, after = float(np.median(first)), float(np.median(last))
    return after > before + slack_ms and after > 1.5 * before
