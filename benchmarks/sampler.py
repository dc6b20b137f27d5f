"""CPU and memory of a process and everything it started (PyFlink and PySpark run their JVM as a child
of the Python process), sampled with psutil in a background thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil

SAMPLE_EVERY_S = 0.5


@dataclass
class Sample:
    at_s: float  # time.monotonic()
    cpu_s: float  # user + system CPU seconds of the whole tree so far
    rss_mb: float


@dataclass
class TreeSampler:
    """Start it with the root pid; `cores_between` and `peak_rss_mb` read the samples afterwards. `also`: more
    roots whose trees count too (a job on an engine cluster runs in its TaskManagers or executors)."""

    pid: int
    also: tuple[int, ...] = ()
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    # CPU seconds of children that have exited, which their parent's counters no longer show
    _seen: dict[int, float] = field(default_factory=dict)

    def start(self) -> TreeSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.take()
            self._stop.wait(SAMPLE_EVERY_S)

    def take(self) -> None:
        try:
            root = psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for pid in self.also:
            try:
                other = psutil.Process(pid)
                tree += [other, *other.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        rss = 0.0
        for process in tree:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    self._seen[process.pid] = times.user + times.system
                    rss += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        self.samples.append(Sample(time.monotonic(), sum(self._seen.values()), rss / 2**20))

    def cores_between(self, start_s: float, end_s: float) -> float | None:
        """Average CPU cores the tree used between two monotonic times (from the samples inside them);
        None when fewer than two samples fell inside."""
        inside = [s for s in self.samples if start_s <= s.at_s <= end_s]
        if len(inside) < 2:
            return None
        first, last = inside[0], inside[-1]
        return (last.cpu_s - first.cpu_s) / max(last.at_s - first.at_s, 1e-9)

    def peak_rss_mb(self, start_s: float = 0.0, end_s: float = float("inf")) -> float:
        return max((s.rss_mb for s in self.samples if start_s <= s.at_s <= end_s), default=0.0)

    def series(self, origin_s: float) -> list[dict[str, float]]:
        """[{t, cores, rss_mb}] between consecutive samples, t in seconds after origin_s: for the plots."""
        rows = []
        for before, after in zip(self.samples, self.samples[1:], strict=False):
            span = max(after.at_s - before.at_s, 1e-9)
            cores = (after.cpu_s - before.cpu_s) / span
            rows.append({"t": round(after.at_s - origin_s, 2), "cores": cores, "rss_mb": after.rss_mb})
        return rows
