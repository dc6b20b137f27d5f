"""What the CLI commands do, as plain functions: topics, producing, running, following, checking."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
from rich.console import Group
from rich.live import Live
from rich.text import Text

from streamlab import display, kafka_admin, oracles, results
from streamlab.engines import RunningJob
from streamlab.errors import LabError
from streamlab.producing import send_all
from streamlab.settings import Settings
from streamlab.workloads import Workload

ACTIVE_STATES = ("RUNNING", "CREATED", "INITIALIZING", "RESTARTING", "PARTIAL")


def topic_specs(settings: Settings, workload: Workload) -> list[kafka_admin.TopicSpec]:
    specs = [
        kafka_admin.TopicSpec(settings.input_topic, settings.partitions),
        kafka_admin.TopicSpec(settings.output_topic, settings.partitions, compacted=workload.output_compacted),
    ]
    if settings.dead_letter_topic:
        specs.append(kafka_admin.TopicSpec(settings.dead_letter_topic, settings.partitions))
    return specs


def ensure_topics(settings: Settings, workload: Workload) -> None:
    created = kafka_admin.ensure_topics(settings.bootstrap_servers, topic_specs(settings, workload))
    if created:
        display.console.print(f"created topics: {', '.join(created)} ({settings.partitions} partitions)")


@dataclass
class ProduceStats:
    """Shared between a producer thread and the live view."""

    target: int
    sent: int = 0
    done: bool = False
    error: Exception | None = None
    stop: threading.Event = field(default_factory=threading.Event)


def produce(
    settings: Settings,
    workload: Workload,
    count: int,
    rate: float,
    seed: int,
    bad_every: int = 0,
    show_progress: bool = True,
    stats: ProduceStats | None = None,
) -> int:
    """Generate the workload's records and send them to settings.input_topic."""
    stats = stats or ProduceStats(count)
    records = workload.producer().records(count, seed=seed, rate=rate, bad_every=bad_every)

    def counted(source):  # the live view shows progress while a demo produces in the background
        for record in source:
            if stats.stop.is_set():
                return
            yield record
            stats.sent += 1

    try:
        return send_all(
            settings.bootstrap_servers,
            settings.input_topic,
            counted(records),
            count,
            rate=rate,
            show_progress=show_progress,
        )
    finally:
        stats.done = True


def produce_in_background(
    settings: Settings, workload: Workload, count: int, rate: float, seed: int, bad_every: int
) -> ProduceStats:
    stats = ProduceStats(count)

    def work() -> None:
        try:
            produce(settings, workload, count, rate, seed, bad_every, show_progress=False, stats=stats)
        except Exception as error:  # reported by the live view, which owns the terminal
            stats.error = error
            stats.done = True

    threading.Thread(target=work, name="producer", daemon=True).start()
    return stats


def dead_letter_baseline(settings: Settings) -> int:
    """Taken before a job starts: a job re-reading its input re-emits old rejects on top of it."""
    return (
        results.topic_size(settings.bootstrap_servers, settings.dead_letter_topic) if settings.dead_letter_topic else 0
    )


def start_job(settings: Settings, workload: Workload) -> RunningJob:
    job_module = workload.job(settings.engine)  # "not built yet" before touching Kafka
    ensure_topics(settings, workload)
    with display.console.status(f"starting the {settings.engine} job for {workload.name} ..."):
        return job_module.run(settings)


def fresh_checkpoints(settings: Settings) -> None:
    """Demos start over: a checkpoint from an earlier run would resume instead of recounting."""
    shutil.rmtree(settings.resolved_checkpoint_dir, ignore_errors=True)


@dataclass
class Progress:
    """One refresh of the live view: what the job has produced and how it adds up."""

    table: pd.DataFrame
    input_records: int
    dead_letters: int
    count_column: str  # the column whose sum is the number of input records the table counts

    @property
    def counted(self) -> int:
        return int(self.table[self.count_column].sum()) if self.count_column in self.table else 0

    @property
    def accounted(self) -> bool:
        return self.input_records > 0 and self.counted + self.dead_letters == self.input_records

    def newest_event_age_s(self) -> float | None:
        if "last_event_ts" not in self.table or self.table.empty:
            return None
        newest = pd.Timestamp(self.table["last_event_ts"].max())
        return (pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)) - newest).total_seconds()


def follow(
    settings: Settings,
    workload: Workload,
    job: RunningJob,
    until: Callable[[Progress], bool] | None = None,
    producer: ProduceStats | None = None,
    refresh_s: float = 1.0,
    timeout_s: float | None = None,
    dead_letters_before: int = 0,
) -> Progress:
    """Show the output table as it changes until `until` holds, the job ends, or Ctrl-C.

    dead_letters_before is the dead-letter topic's size from before the job started (see
    dead_letter_baseline): records this run rejects are counted against what it read.
    """
    view = results.CompactedView(settings.bootstrap_servers, settings.output_topic)
    deadline = time.monotonic() + timeout_s if timeout_s else None
    try:
        with Live(console=display.console, refresh_per_second=4, transient=False) as live:
            while True:
                view.refresh()
                progress = Progress(
                    view.frame(list(workload.key_columns)),
                    results.topic_size(settings.bootstrap_servers, settings.input_topic),
                    results.topic_size(settings.bootstrap_servers, settings.dead_letter_topic) - dead_letters_before,
                    workload.count_column,
                )
                status = job.status()
                live.update(_render(settings, workload, progress, status, producer))
                if producer and producer.error:
                    raise LabError(f"producing failed: {producer.error}")
                if until and until(progress):
                    return progress
                if status not in ACTIVE_STATES:
                    job.wait()  # raises the job's own error if it failed
                    return progress
                if deadline and time.monotonic() > deadline:
                    raise LabError(
                        f"the {settings.engine} job did not account for every input record "
                        f"within {timeout_s:.0f} s (status {status})"
                    )
                time.sleep(refresh_s)
    finally:
        view.close()


def _render(
    settings: Settings, workload: Workload, progress: Progress, status: str, producer: ProduceStats | None
) -> Group:
    title = f"{settings.output_topic} on {settings.engine} (latest value per key)"
    lines = [f"job: {status}"]
    if producer:
        lines.append(f"produced {producer.sent:,}/{producer.target:,}" + (" (done)" if producer.done else ""))
    lines.append(
        f"input topic {progress.input_records:,} records = counted {progress.counted:,}"
        f" + dead letters {progress.dead_letters:,}" + ("  [all accounted for]" if progress.accounted else "")
    )
    age = progress.newest_event_age_s()
    if age is not None:
        lines.append(f"newest event counted was created {age:.1f} s ago (refreshed every second)")
    return Group(
        display.table(progress.table, title=title, columns=workload.table_columns),
        Text("  ".join(lines[:2])),
        Text("\n".join(lines[2:])),
    )


def oracle_check(settings: Settings, workload: Workload, table: pd.DataFrame) -> pd.DataFrame:
    """Differences between the engine's table and pandas over the input topic (empty = agree)."""
    records = kafka_admin.read_topic(settings.bootstrap_servers, settings.input_topic)
    expected, _ = workload.oracle()(records)
    return oracles.differences(table, expected, list(workload.key_columns), list(workload.value_columns))
