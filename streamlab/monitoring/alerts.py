"""Alerts on the jobs of both engines, raised by ONE component that reads the `streaming-metrics` topic (not by
each engine): the Alerter follows every job's envelopes and writes each alert, and its clearing, to the
`streaming-alerts` topic. `streamlab status` and the dashboard show them. Rules (docs/monitoring.md):

- failed: a job reported FAILED. Clears when the job runs again.
- silent: a job still running has not reported for --silent-s. Clears with its next report.
- falling-behind: its processing rate stayed below its input rate (by --behind-margin) for --alert-after s.
- lag-growing: its lag grew by more than --lag-growth records over --alert-after s, never falling back to
  where the rise began, nor by more than --lag-growth at once. Clears once the lag is below where it was
  when the alert fired: the job is catching up.
- dead-letters: dead letters over input records, over the last --alert-after s, above --dead-letter-share.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from streamlab import kafka_admin, ownership, results, workloads
from streamlab.engines import ACTIVE_STATES
from streamlab.errors import LabError
from streamlab.kafka_admin import TopicSpec
from streamlab.monitoring.envelope import Envelope, epoch_s, iso_ms
from streamlab.monitoring.publish import METRICS_TOPIC

ALERTS_TOPIC = "streaming-alerts"  # one per cluster, like streaming-metrics
FIRING, CLEARED = "FIRING", "CLEARED"
TICK_S = 1.0  # how often silence is looked for
DEAD_LETTER_CHECK_S = 5.0  # how often each running job's topics are sized (two ListOffsets per topic)


@dataclass(frozen=True)
class Thresholds:
    """When an alert fires; each is a flag of `streamlab alerts` and `streamlab dashboard`."""

    silent_s: float = 10.0  # a running job silent this long has stopped reporting (status says NOT REPORTING)
    alert_after_s: float = 30.0  # how long falling behind or a growing lag must last; the dead-letter window
    behind_margin: float = 0.1  # processing below input by more than this share counts as behind
    lag_growth: int = 1000  # records the lag must grow by over alert_after_s
    dead_letter_share: float = 0.05  # of the input records in the window
    min_input: int = 100  # input records the window must hold before its dead-letter share is judged


# flag -> (Thresholds field, its type, what it sets)
THRESHOLD_FLAGS = {
    "--silent-s": ("silent_s", float, "a running job silent this long (s) has stopped reporting"),
    "--alert-after": ("alert_after_s", float, "how long (s) falling behind or a growing lag lasts before an "
                      "alert; also the dead-letter window"),
    "--behind-margin": ("behind_margin", float, "processing below input by more than this share is behind"),
    "--lag-growth": ("lag_growth", int, "records the lag must grow by over --alert-after to alert"),
    "--dead-letter-share": ("dead_letter_share", float, "dead letters per input record that alert"),
}  # fmt: skip


def add_threshold_flags(parser: argparse.ArgumentParser) -> None:
    defaults = Thresholds()
    flags = parser.add_argument_group("alert thresholds")
    for flag, (name, kind, what) in THRESHOLD_FLAGS.items():
        default = getattr(defaults, name)
        what += f" (default {default:g})"
        flags.add_argument(flag, type=kind, default=default, dest=name, metavar="N", help=what)


def thresholds_from(args: argparse.Namespace) -> Thresholds:
    return Thresholds(**{name: getattr(args, name) for name, _kind, _what in THRESHOLD_FLAGS.values()})


@dataclass(frozen=True)
class Alert:
    job: str  # ENGINE/WORKLOAD/JOB, the key of the job's envelopes
    run_id: str
    rule: str
    state: str  # FIRING or CLEARED
    ts: str  # when the alerter decided, ISO 8601 UTC
    message: str
    value: float | None = None  # what was measured
    threshold: float | None = None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), allow_nan=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, value: bytes | str) -> Alert:
        document = json.loads(value)
        return cls(**{name: document.get(name) for name in cls.__dataclass_fields__})

    def as_row(self) -> dict[str, Any]:
        return {"job": self.job, "rule": self.rule, "state": self.state, "since": self.ts[:19].replace("T", " "),
                "message": self.message}  # fmt: skip


def active(alerts: list[Alert]) -> list[Alert]:
    """Of alerts in the order they were raised, the newest per job and rule that has not cleared."""
    newest = {(alert.job, alert.rule): alert for alert in alerts}
    return [alert for alert in newest.values() if alert.state == FIRING]


def recent_alerts(bootstrap_servers: str, since_s: float) -> list[Alert]:
    """The alerts and clearings of the last since_s seconds, in order; none if no alerter ever ran here."""
    since_ms = int((time.time() - since_s) * 1000)
    try:
        records = kafka_admin.read_topic(bootstrap_servers, ALERTS_TOPIC, since_ms=since_ms)
    except LabError as error:
        if "does not exist" in str(error):
            return []
        raise
    return [Alert.from_json(record.value) for record in sorted(records, key=lambda r: (r.partition, r.offset))]


# --- the rules, over one job's envelopes ----------------------------------------------------------------


def seconds(envelope: Envelope) -> float:
    return epoch_s(envelope.ts)


@dataclass
class JobWatch:
    """What the alerter remembers of one job: its newest report, the streaks the rules time, and the sizes of
    its input and dead-letter topics over the window."""

    newest: Envelope
    behind_since: float | None = None  # start of the current streak of reports that are behind
    lag_start: tuple[float, int] | None = None  # (when, lag) where the current rise began
    lag_fired_at: int | None = None  # the lag when lag-growing fired
    lag_previous: int | None = None  # the lag of the report before
    sizes: deque[tuple[float, int, int]] = field(default_factory=deque)  # (when, input records, dead letters)
    firing: dict[str, Alert] = field(default_factory=dict)  # rule -> the alert now firing


class Rules:
    """Pure: envelopes and topic sizes in, alert changes out (tests/test_alerts.py drives it directly)."""

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self.jobs: dict[str, JobWatch] = {}

    def observe(self, envelope: Envelope) -> list[Alert]:
        watch = self.jobs.get(envelope.key)
        if watch is None or watch.newest.run_id != envelope.run_id and envelope.status == "RUNNING":
            watch = self._new_run(envelope, watch)
        watch.newest = envelope
        changes = self._set(watch, "silent", False, "")
        changes += self._set(watch, "failed", envelope.status == "FAILED", f"the job failed: {_error(envelope)}")
        if envelope.status not in ACTIVE_STATES:  # ended: nothing more to fall behind on
            for rule in ("falling-behind", "lag-growing", "dead-letters"):
                changes += self._set(watch, rule, False, "")
            return changes
        return changes + self._behind(watch, envelope) + self._lag(watch, envelope)

    def _new_run(self, envelope: Envelope, before: JobWatch | None) -> JobWatch:
        """A job seen for the first time, or run again: its old run's alerts carry over until they clear."""
        watch = JobWatch(envelope)
        if before is not None:
            watch.firing = before.firing
        self.jobs[envelope.key] = watch
        return watch

    def _behind(self, watch: JobWatch, envelope: Envelope) -> list[Alert]:
        if envelope.input_rate is None or envelope.processing_rate is None:
            return []
        now, limit = seconds(envelope), self.thresholds.alert_after_s
        if envelope.processing_rate >= envelope.input_rate * (1 - self.thresholds.behind_margin):
            watch.behind_since = None
            return self._set(watch, "falling-behind", False, "")
        watch.behind_since = watch.behind_since if watch.behind_since is not None else now
        message = (f"processing {envelope.processing_rate:,.0f}/s below input {envelope.input_rate:,.0f}/s "
                   f"for {now - watch.behind_since:.0f} s")  # fmt: skip
        share = envelope.processing_rate / max(envelope.input_rate, 1e-9)
        lasted = now - watch.behind_since >= limit
        return self._set(watch, "falling-behind", lasted, message, share, 1 - self.thresholds.behind_margin)

    def _lag(self, watch: JobWatch, envelope: Envelope) -> list[Alert]:
        if envelope.lag_records is None:
            return []
        now, lag = seconds(envelope), envelope.lag_records
        previous, watch.lag_previous = watch.lag_previous, lag
        if "lag-growing" in watch.firing:
            fired_at = watch.lag_fired_at if watch.lag_fired_at is not None else lag
            if lag < fired_at:
                watch.lag_start = (now, lag)
                return self._set(watch, "lag-growing", False, f"lag back to {lag:,} records")
            return []
        fell_back = watch.lag_start is not None and lag <= watch.lag_start[1]
        fell_far = previous is not None and lag < previous - self.thresholds.lag_growth
        if watch.lag_start is None or fell_back or fell_far:
            watch.lag_start = (now, lag)  # back to where the rise began, or a big fall: it starts again here
            return []
        since, start = watch.lag_start
        grown = lag - start
        if now - since >= self.thresholds.alert_after_s and grown > self.thresholds.lag_growth:
            watch.lag_fired_at = lag
            message = f"lag grew from {start:,} to {lag:,} records in {now - since:.0f} s"
            return self._set(watch, "lag-growing", True, message, grown, self.thresholds.lag_growth)
        return []

    def silence(self, now: float) -> list[Alert]:
        """Jobs still running by their newest report that have not reported for silent_s."""
        changes: list[Alert] = []
        for watch in self.jobs.values():
            quiet = now - seconds(watch.newest)
            if watch.newest.status in ACTIVE_STATES and quiet > self.thresholds.silent_s:
                changes += self._set(watch, "silent", True, f"no report for {quiet:.0f} s", quiet,
                                     self.thresholds.silent_s)  # fmt: skip
        return changes

    def dead_letters(self, key: str, now: float, input_records: int, dead_letters: int) -> list[Alert]:
        """The topics' sizes now; the share is judged over the window's oldest sizes against these."""
        watch = self.jobs[key]
        watch.sizes.append((now, input_records, dead_letters))
        while len(watch.sizes) > 2 and now - watch.sizes[1][0] >= self.thresholds.alert_after_s:
            watch.sizes.popleft()
        _when, first_input, first_dead = watch.sizes[0]
        arrived, rejected = input_records - first_input, dead_letters - first_dead
        if arrived < self.thresholds.min_input:
            return self._set(watch, "dead-letters", False, "too little input in the window to judge")
        share = rejected / arrived
        message = f"{rejected:,} dead letters for {arrived:,} input records ({share:.1%})"
        firing = share > self.thresholds.dead_letter_share
        return self._set(watch, "dead-letters", firing, message, share, self.thresholds.dead_letter_share)

    def _set(self, watch: JobWatch, rule: str, firing: bool, message: str, value: float | None = None,
             threshold: float | None = None) -> list[Alert]:  # fmt: skip
        """An alert when a rule starts firing, a clearing when it stops; nothing while it stays as it is."""
        if firing == (rule in watch.firing):
            return []
        envelope = watch.newest
        if not firing:
            message = message or f"{rule} ended"
        alert = Alert(envelope.key, envelope.run_id, rule, FIRING if firing else CLEARED,
                      iso_ms(time.time() * 1000), message, value, threshold)  # fmt: skip
        if firing:
            watch.firing[rule] = alert
        else:
            del watch.firing[rule]
        return [alert]


def _error(envelope: Envelope) -> str:
    return str(envelope.raw.get("error", "")).strip().splitlines()[0] if envelope.raw.get("error") else "no error text"


# --- the component: follows streaming-metrics, writes streaming-alerts -------------------------------------


def topic_sizes(bootstrap_servers: str, envelope: Envelope) -> tuple[int, int] | None:
    """(records in the job's input topics, in its dead-letter topic), None for a job without dead letters."""
    try:
        job = workloads.get(envelope.workload).job(envelope.job)
    except (LabError, KeyError):
        return None
    inputs = [envelope.topics.get(role) for role in job.input_roles]
    dead = envelope.topics.get(job.rejects) if job.rejects else None
    if job.batch or dead is None or None in inputs:
        return None
    input_records = sum(results.topic_size(bootstrap_servers, topic) for topic in inputs if topic)
    return input_records, results.topic_size(bootstrap_servers, dead)


class Alerter(threading.Thread):
    """Follows streaming-metrics from now on and writes each alert change to streaming-alerts."""

    def __init__(self, bootstrap_servers: str, thresholds: Thresholds | None = None) -> None:
        super().__init__(name="alerter", daemon=True)
        self.bootstrap_servers = bootstrap_servers
        self.rules = Rules(thresholds or Thresholds())
        self.raised: list[Alert] = []  # every change this alerter made, in order
        self._stopping = threading.Event()
        ownership.ensure_topics(bootstrap_servers, [TopicSpec(METRICS_TOPIC, 1), TopicSpec(ALERTS_TOPIC, 1)])

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        self.join(timeout_s)

    def run(self) -> None:
        from confluent_kafka import OFFSET_END, Consumer, Producer
        from confluent_kafka import TopicPartition as Partition

        consumer = Consumer({"bootstrap.servers": self.bootstrap_servers, "group.id": "streamlab-alerter",
                             "enable.auto.commit": False})  # fmt: skip
        producer = Producer({"bootstrap.servers": self.bootstrap_servers, "linger.ms": 5})
        consumer.assign([Partition(METRICS_TOPIC, 0, OFFSET_END)])
        next_tick = next_sizes = time.monotonic()
        try:
            while not self._stopping.is_set():
                changes: list[Alert] = []
                for message in consumer.consume(num_messages=500, timeout=0.5):
                    if not message.error() and message.value():
                        changes += self.rules.observe(Envelope.from_json(message.value()))
                if time.monotonic() >= next_tick:
                    next_tick += TICK_S
                    changes += self.rules.silence(time.time())
                if time.monotonic() >= next_sizes:
                    next_sizes += DEAD_LETTER_CHECK_S
                    changes += self._dead_letters()
                for alert in changes:
                    self.raised.append(alert)
                    producer.produce(ALERTS_TOPIC, key=alert.job.encode(), value=alert.to_json())
                producer.poll(0)
        finally:
            producer.flush(5)
            consumer.close()

    def _dead_letters(self) -> list[Alert]:
        changes: list[Alert] = []
        for key, watch in list(self.rules.jobs.items()):
            if watch.newest.status != "RUNNING":
                continue
            try:
                sizes = topic_sizes(self.bootstrap_servers, watch.newest)
            except LabError as error:  # a topic gone, the broker away: this check waits for the next round
                print(f"warning: alerts: {error}", file=sys.stderr)
                continue
            if sizes is not None:
                changes += self.rules.dead_letters(key, time.time(), *sizes)
        return changes
