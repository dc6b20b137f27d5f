"""What the dashboard knows, in memory: each job's newest envelope and its recent points (for the plots), the
recent alerts, and the result tables the background reader last made. One lock guards it all: the consumer
thread and the result reader write, every request and event stream reads."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from streamlab.monitoring import status
from streamlab.monitoring.alerts import Alert
from streamlab.monitoring.envelope import Envelope, epoch_s

HISTORY_S = 600.0  # how far back the plots reach, and how long a job that stopped reporting is still shown
MAX_ALERTS = 1000  # a flapping rule must not grow the list without end
# one plot point: [t (epoch s), input/s, processed/s, lag records, batch or checkpoint ms]
POINT_FIELDS = ("t", "in/s", "done/s", "lag", "batch/ckpt ms")


@dataclass
class JobHistory:
    newest: Envelope
    points: deque[tuple[int, list[Any]]] = field(default_factory=deque)  # (sequence number, point)
    # (sequence number, [when the result reader looked, how old the newest result was then]): the freshness
    # each engine gives, at a resolution of the look rather than of the second the page asks
    freshness: deque[tuple[int, list[float]]] = field(default_factory=deque)


class DashboardState:
    def __init__(self, history_s: float = HISTORY_S) -> None:
        self.history_s = history_s
        self._lock = threading.Lock()
        self._jobs: dict[str, JobHistory] = {}
        self._alerts: deque[Alert] = deque(maxlen=MAX_ALERTS)
        self._sequence = 0  # numbers every point, so that each event stream sends only what it has not yet
        self._results_at: dict[str, float | None] = {}
        self._tables: dict[str, dict[str, Any]] = {}
        self.tables_version = 0  # grows with every change of a table: streams send the tables again
        self.kafka_error = ""  # the consumer's last complaint (a broker gone), shown on the page

    # --- written by the consumer and the result reader -----------------------------------------------------

    def add_envelope(self, envelope: Envelope) -> None:
        t = epoch_s(envelope.ts)
        point = [t, envelope.input_rate, envelope.processing_rate, envelope.lag_records]
        point.append(envelope.batch_or_checkpoint_ms)
        with self._lock:
            history = self._jobs.setdefault(envelope.key, JobHistory(envelope))
            history.newest = envelope
            self._sequence += 1
            history.points.append((self._sequence, point))
            while history.points and history.points[0][1][0] < t - self.history_s:
                history.points.popleft()

    def add_alert(self, alert: Alert) -> None:
        with self._lock:
            self._alerts.append(alert)

    def set_result_at(self, key: str, at: float | None, looked_at: float) -> None:
        """When the job's newest result became readable, as the reader found it at looked_at (epoch s)."""
        with self._lock:
            self._results_at[key] = at
            job = self._jobs.get(key)
            if at is None or job is None:
                return
            self._sequence += 1
            job.freshness.append((self._sequence, [looked_at, round(max(0.0, looked_at - at), 2)]))
            while job.freshness[0][1][0] < looked_at - self.history_s:
                job.freshness.popleft()

    def set_table(self, key: str, table: dict[str, Any]) -> None:
        with self._lock:
            if self._tables.get(key) != table:
                self._tables[key] = table
                self.tables_version += 1

    # --- read by requests and event streams ---------------------------------------------------------------

    def reports(self, now: float | None = None) -> dict[str, Envelope]:
        """The newest envelope of every job that reported within the history; older jobs are forgotten."""
        now = time.time() if now is None else now
        with self._lock:
            gone = [key for key, job in self._jobs.items() if epoch_s(job.newest.ts) < now - self.history_s]
            for key in gone:
                del self._jobs[key]
                self._tables.pop(key, None)
                self._results_at.pop(key, None)
            return {key: job.newest for key, job in self._jobs.items()}

    def document(self, now: float | None = None) -> dict[str, Any]:
        """What /api/jobs answers: `streamlab status --json`'s document, from memory instead of the topics."""
        now = time.time() if now is None else now
        reports = self.reports(now)
        with self._lock:
            recent = [alert for alert in self._alerts if epoch_s(alert.ts) >= now - self.history_s]
            results_at = dict(self._results_at)
        return status.document_from(reports, recent, results_at, now)

    def points_after(self, sequence: int) -> tuple[dict[str, dict[str, list[list[Any]]]], int]:
        """{job: {"points": its envelope points, "freshness": its result ages}, of those numbered above
        sequence}, and the highest number given out so far."""
        with self._lock:
            found = {
                key: {
                    "points": [point for number, point in job.points if number > sequence],
                    "freshness": [point for number, point in job.freshness if number > sequence],
                }
                for key, job in self._jobs.items()
            }
            return {key: new for key, new in found.items() if new["points"] or new["freshness"]}, self._sequence

    def tables(self) -> tuple[int, dict[str, dict[str, Any]]]:
        with self._lock:
            return self.tables_version, dict(self._tables)
