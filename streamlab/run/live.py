"""Following a job's result: the live view while it runs, the result table once it is done, and the
accounting line under both (input records = counted + rejected + dropped as late + not in the result yet)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from confluent_kafka import KafkaException
from kafka.errors import KafkaError
from rich.columns import Columns
from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from streamlab import display, results
from streamlab.engines import ACTIVE_STATES, RunningJob
from streamlab.errors import LabError
from streamlab.oracles.common import first_line_numbers
from streamlab.producing import ProduceStats
from streamlab.results import ResultSpec
from streamlab.run.lifecycle import count_rejects
from streamlab.settings import Settings
from streamlab.workloads import Job, Workload, input_size, input_topics

LIVE_ROWS = 15  # rows of the result the live view shows; the rest is summarised below the table

RESULT_ROWS = 20  # rows `results` prints


@dataclass
class Progress:
    """One refresh of the live view: what the job has produced and how it adds up."""

    table: pd.DataFrame
    input_records: int
    counted: int
    rejected: int

    one_to_one: bool = True  # does every input record end in a row or a reject (see ResultSpec.not_one_to_one)
    newest_event: str = ""  # the column with the newest event time a row includes (ResultSpec.newest_event)
    dropped: int = 0  # late rows the engine dropped without a trace, as it reports them (Spark)

    @property
    def accounted(self) -> bool:
        return self.one_to_one and self.input_records > 0 and self.pending == 0

    @property
    def pending(self) -> int:
        return self.input_records - self.counted - self.rejected - self.dropped

    def newest_event_age_s(self) -> float | None:
        if not self.newest_event or self.newest_event not in self.table or self.table.empty:
            return None
        newest = pd.Timestamp(self.table[self.newest_event].max())
        return (pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)) - newest).total_seconds()


def measure(settings: Settings, job: Job, table: pd.DataFrame, rejects_before: int = 0) -> Progress:
    input_gone = job.batch and not (settings.input_path and settings.input_path.is_file())
    return Progress(
        table,
        0 if input_gone else input_size(job, settings),
        job.result.counted(table),
        count_rejects(settings, job, rejects_before),
        one_to_one=not job.result.not_one_to_one,
        newest_event=job.result.newest_event,
    )


def with_silent_drops(running: RunningJob, progress: Progress) -> Progress:
    """Late records an engine dropped without a trace. Spark reports dropped rows only after its partial
    aggregation (RunningJob.dropped_by_watermark): once it has read all of its input, the records its
    result lacks are taken for the dropped ones, and the verdict holds that claim to Spark's own figures
    (streamlab.compare.explained_by_drops). Only once the job has ended or been drained: before that, the
    records its open windows hold are missing from its result too."""
    if not progress.one_to_one or not running.drops_late_silently:
        return progress  # a join's rows are not its input records: nothing to take the missing ones for
    if not running.caught_up() or not running.dropped_by_watermark():
        return progress
    return replace(progress, dropped=max(progress.pending, 0))


KAFKA_OUTAGE_S = 60  # how long the live view keeps trying while Kafka reads fail (see follow)


@dataclass
class Followed:
    """One job the live view follows, and the ages of its newest counted event, sampled each refresh while the
    producer ran (freshness: how soon an event shows in the result)."""

    settings: Settings
    job: Job
    running: RunningJob
    rejects_before: int = 0
    ages_s: list[float] = field(default_factory=list)


def follow(
    settings: Settings,
    workload: Workload,
    job: Job,
    running: RunningJob,
    until: Callable[[Progress], bool] | None = None,
    producer: ProduceStats | None = None,
    refresh_s: float = 1.0,
    timeout_s: float | None = None,
    rejects_before: int = 0,
) -> Progress:
    """Show the job's result as it changes until `until` holds, the job ends, or Ctrl-C.

    rejects_before is the dead-letter topic's size from before the job started (see
    rejects_baseline): records this run rejects are counted against what it read. timeout_s
    counts from the moment the producer is done (or from the start without one).
    """
    followed = [Followed(settings, job, running, rejects_before)]
    every = (lambda progresses: until(progresses[0])) if until else None
    return follow_all(workload, followed, every, producer, refresh_s, timeout_s)[0]


def follow_all(
    workload: Workload,
    followed: list[Followed],
    until: Callable[[list[Progress]], bool] | None = None,
    producer: ProduceStats | None = None,
    refresh_s: float = 1.0,
    timeout_s: float | None = None,
) -> list[Progress]:
    """follow() for one job or several side by side (`demo both`): until `until` holds for all of their
    progress, a job ends (its error, if it failed), the timeout, or Ctrl-C."""
    views = [results.open_view(one.job.result, one.settings) for one in followed]
    deadline = None
    outage_since: float | None = None  # when the view's Kafka reads began to fail, after one had worked
    shown = False
    try:
        with Live(console=display.console, refresh_per_second=4, transient=False) as live:
            while True:
                try:
                    progresses = [_refresh(view, one) for view, one in zip(views, followed, strict=True)]
                except (KafkaError, KafkaException, LabError):
                    # a broker down: reads fail until its partitions' leadership has moved (about 10 s),
                    # while the job itself keeps running; only an outage that lasts ends the view (and the job)
                    outage_since = outage_since or time.monotonic()
                    if not shown or time.monotonic() - outage_since > KAFKA_OUTAGE_S:
                        raise
                    time.sleep(refresh_s)
                    continue
                outage_since, shown = None, True
                statuses = [one.running.status() for one in followed]
                panels = [render(one.settings, workload, one.job, progress, status, producer)
                          for one, progress, status in zip(followed, progresses, statuses, strict=True)]  # fmt: skip
                live.update(panels[0] if len(panels) == 1 else Columns(panels, equal=True))
                if producer and producer.error:
                    raise LabError(f"producing failed: {producer.error}")
                if until and until(progresses):
                    return progresses
                if any(status not in ACTIVE_STATES for status in statuses):
                    for one in followed:
                        if one.running.status() not in ACTIVE_STATES:
                            one.running.wait()  # raises the job's own error if it failed
                    return progresses
                if timeout_s and deadline is None and (producer is None or producer.done):
                    deadline = time.monotonic() + timeout_s  # the job's catch-up time starts when input ends
                if deadline and time.monotonic() > deadline:
                    engines = " and ".join(one.settings.engine for one in followed)
                    raise LabError(
                        f"the {engines} job did not account for every input record within {timeout_s:.0f} s "
                        f"(status {', '.join(statuses)})"
                    )
                for one, progress in zip(followed, progresses, strict=True):
                    if producer and not producer.done and (age := progress.newest_event_age_s()) is not None:
                        one.ages_s.append(age)
                time.sleep(refresh_s)
    finally:
        for view in views:
            view.close()


def _refresh(view: results.ResultView, one: Followed) -> Progress:
    view.refresh()
    return measure(one.settings, one.job, view.frame(), one.rejects_before)


def render(
    settings: Settings,
    workload: Workload,
    job: Job,
    progress: Progress,
    status: str,
    producer: ProduceStats | None = None,
) -> Group:
    spec = job.result
    shown = results.top_rows(progress.table, spec, LIVE_ROWS)
    rows = which_rows(spec, shown, progress.table)
    title = f"{workload.name}/{job.name} on {settings.engine}: {spec.where(settings)} ({rows})"
    lines = [f"job: {status}"]
    if producer:
        lines.append(f"produced {producer.sent:,}/{producer.target:,}" + (" (done)" if producer.done else ""))
    return Group(
        display.table(shown, title=title, columns=spec.shown_columns),
        Text("  ".join(lines)),
        Text("\n".join(summary_lines(settings, job, progress))),
    )


def which_rows(spec: ResultSpec, shown: pd.DataFrame, table: pd.DataFrame) -> str:
    """Which rows a table shows of the result: 'all 20, by key', 'the top 15 of 20 by rent_cnt (5 more not shown)'."""
    if spec.rank_by and len(shown) < len(table):
        order = f"the top {len(shown):,} of {len(table):,} by {' + '.join(spec.rank_by)}"
        return f"{order} ({len(table) - len(shown):,} more not shown)"
    if spec.rank_by:
        return f"all {len(table):,}, by {' + '.join(spec.rank_by)}"
    return f"{display.first_of(len(shown), len(table))}, by key"


def summary_lines(settings: Settings, job: Job, progress: Progress) -> list[str]:
    """The result's size and the accounting line: input = counted + rejected (+ not written yet)."""
    table = progress.table
    lines = [f"{len(table):,} result row(s)" + _partitions_note(table, job.result.partition_by)]
    source = "input file" if job.batch else describe_topics("input topic", input_topics(job, settings))
    if not progress.input_records and (job.batch or progress.counted):
        missing = f"input file {settings.input_path} is not there" if job.batch else f"{source} cannot be read"
        lines.append(f"{missing}: nothing to account against")
        return lines
    rejected = "lines set aside" if job.batch else "dead letters"
    if not progress.one_to_one:
        lines.append(
            f"{source}: {progress.input_records:,} records read; {rejected} {progress.rejected:,} "
            f"({job.result.not_one_to_one})"
        )
        return lines
    accounting = (
        f"{source}: {progress.input_records:,} records = counted {progress.counted:,}"
        f" + {rejected} {progress.rejected:,}"
    )
    if progress.dropped:
        accounting += f" + dropped as late by {settings.engine} {progress.dropped:,}"
    if progress.accounted:
        accounting += "  [all accounted for]"
    elif progress.pending < 0:
        accounting += f"; {-progress.pending:,} more than the input: the result holds records twice"
    elif progress.pending and job.batch:
        accounting += f"; {progress.pending:,} line(s) unaccounted for"
    elif progress.pending > 0:
        accounting += f" + {progress.pending:,} not in the result yet"
    lines.append(accounting)
    age = progress.newest_event_age_s()
    if age is not None:
        lines.append(f"newest event counted was created {age:.1f} s ago (refreshed every second)")
    return lines


def _partitions_note(table: pd.DataFrame, partition_by: tuple[str, ...]) -> str:
    if not partition_by or table.empty or not all(name in table for name in partition_by):
        return ""
    partitions = table[list(partition_by)].drop_duplicates().sort_values(list(partition_by))
    first, last = ("/".join(row) for row in (partitions.iloc[0], partitions.iloc[-1]))
    return f" in {len(partitions):,} partition(s) {'/'.join(partition_by)}, {first} .. {last}"


def malformed_note(settings: Settings, job: Job, limit: int = 5) -> str:
    """'N line(s) set aside (2 price is not a number, 1 header line); first at line(s) 1, 3, 17' for a file job,
    from its rejected/ output: every reason with its count, a header line among them."""
    spec = job.rejects_spec
    if spec is None or spec.is_topic:
        return ""
    rejected = results.read_result(spec, settings)
    if rejected.empty:
        return "0 lines set aside: every line counted"
    reasons = ", ".join(f"{count:,} {reason}" for reason, count in rejected["reason"].value_counts().items())
    note = f"{len(rejected):,} line(s) set aside in {results.display_path(spec.directory(settings))} ({reasons})"
    if not (settings.input_path and settings.input_path.is_file()):
        return note
    numbers = first_line_numbers(settings.input_path, set(rejected["raw_line"]), limit)
    where = f"first at line(s) {', '.join(str(n) for n in numbers)} of {results.display_path(settings.input_path)}"
    return f"{note}; {where}"


def show_results(
    settings: Settings,
    workload: Workload,
    job: Job,
    limit: int = RESULT_ROWS,
    rejects_before: int = 0,
    running: RunningJob | None = None,
) -> tuple[pd.DataFrame, Progress]:
    """Print a job's result as a table, with its accounting line and (file jobs) the lines set aside.
    With the job that wrote it, late rows it dropped silently are accounted for too."""
    table = results.read_result(job.result, settings)
    progress = measure(settings, job, table, rejects_before)
    if running is not None:
        progress = with_silent_drops(running, progress)
    shown = results.top_rows(table, job.result, limit)
    order = which_rows(job.result, shown, table)
    display.show(
        shown,
        title=f"{workload.name}/{job.name} results ({settings.engine}): {job.result.where(settings)}",
        caption=escape(f"{order}; " + "; ".join(summary_lines(settings, job, progress))),
        columns=job.result.shown_columns,
    )
    note = malformed_note(settings, job)
    if note:
        display.console.print(note)
    return table, progress


def describe_topics(what: str, topics: list[str]) -> str:
    """'input topic T', or 'input topics T1 + T2' for a job that reads several."""
    return f"{what}{'s' if len(topics) > 1 else ''} {' + '.join(topics)}"


def describe_run(seconds: float, what: str, extra: dict[str, Any] | None = None) -> str:
    details = ", ".join(f"{name} {value}" for name, value in (extra or {}).items())
    return f"{what} in {seconds:.1f} s" + (f" ({details})" if details else "")
