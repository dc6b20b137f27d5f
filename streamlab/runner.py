"""What the CLI commands do, as plain functions: topics, producing, running, following, checking.

Everything here works from a workload's declarations (streamlab.workloads): which topic or file
a job reads, what result it writes and where its rejected input goes. No workload is named here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from confluent_kafka import KafkaException
from kafka.errors import KafkaError
from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from streamlab import display, engines, kafka_admin, oracles, results
from streamlab.engines import ACTIVE_STATES, Pipeline, RunningJob
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.producing import ProduceStats
from streamlab.results import APPEND_TOPIC, UPSERT_TOPIC
from streamlab.settings import EXACTLY_ONCE, Settings
from streamlab.workloads import Job, Workload, input_size, input_topics, read_inputs

LIVE_ROWS = 15  # rows of the result the live view shows; the rest is summarised below the table
RESULT_ROWS = 20  # rows `results` prints


def ensure_topics(settings: Settings, workload: Workload) -> None:
    if not workload.topics:
        return
    created = kafka_admin.ensure_topics(settings.bootstrap_servers, workload.topic_specs(settings))
    if created:
        display.console.print(f"created topics: {', '.join(created)} ({settings.partitions} partitions)")


def produce(
    settings: Settings,
    workload: Workload,
    options: argparse.Namespace,
    stats: ProduceStats | None = None,
    show_progress: bool = True,
) -> str:
    """Run the workload's producer with its parsed options; returns its one-line report."""
    producer = workload.producer()
    ensure_topics(settings, workload)
    return producer.produce(settings, options, stats=stats, show_progress=show_progress)


def produce_in_background(
    settings: Settings, workload: Workload, options: argparse.Namespace, stats: ProduceStats | None = None
) -> ProduceStats:
    stats = stats or ProduceStats(0)

    def work() -> None:
        try:
            produce(settings, workload, options, stats=stats, show_progress=False)
        except Exception as error:  # reported by the live view, which owns the terminal
            stats.error = error
        finally:
            stats.done = True

    threading.Thread(target=work, name="producer", daemon=True).start()
    return stats


REJECTS_BASELINE = "streamlab-rejects-baseline.json"  # dead letters there were when a checkpoint's first run began


def rejects_baseline(settings: Settings, job: Job) -> int:
    """Taken before a job starts: a job re-reading its input re-emits old rejects on top of it. A job that
    resumes from its checkpoint re-emits none of what it read before (but what it read after the last
    checkpoint: the sinks are at-least-once), so its rejects count from where its first run began."""
    if not job.rejects or job.batch:
        return 0
    recorded = settings.resolved_checkpoint_dir / REJECTS_BASELINE
    if recorded.is_file() and checkpoint_matches_topics(settings) and engines.resume_points(settings):
        return int(json.loads(recorded.read_text(encoding="utf-8"))["dead_letters"])
    return dead_letters_in(settings, settings.topic(job.rejects))


def dead_letters_in(settings: Settings, topic: str) -> int:
    """Records in a dead-letter topic, each second of the live view. An exactly-once Flink sink leaves a commit
    marker per transaction and partition at an offset of its own, so its records are counted by reading the
    topic (read_committed); an at-least-once topic holds one record per offset, so its end offsets say it."""
    if settings.delivery == EXACTLY_ONCE:
        return results.committed_records(settings.bootstrap_servers, topic)
    return results.topic_size(settings.bootstrap_servers, topic)


def remember_rejects_baseline(settings: Settings, job: Job) -> None:
    """Written when a job starts without a checkpoint to resume from, for its later runs that resume."""
    if job.rejects and not job.batch:
        baseline = {"dead_letters": rejects_baseline(settings, job)}
        (settings.resolved_checkpoint_dir / REJECTS_BASELINE).write_text(json.dumps(baseline), encoding="utf-8")


def count_rejects(settings: Settings, job: Job, baseline: int = 0) -> int:
    """Rejected input records this run: dead letters since the baseline, or rejected lines of a file job."""
    spec = job.rejects_spec
    if spec is None:
        return 0
    if spec.is_topic:
        return sum(dead_letters_in(settings, topic) for topic in spec.topics(settings)) - baseline
    return len(results.read_result(spec, settings))


def start_job(settings: Settings, workload: Workload, job: Job, fresh: bool = False) -> RunningJob:
    """Submit a job. fresh=True (bounded runs, demos, batch jobs) starts over: no checkpoint, no old files."""
    job_module = workload.engine_module(job, settings.engine)  # "not built yet" before touching Kafka
    if job.batch:
        settings.required_input_path()
    if fresh or job.batch or not can_resume(settings, job):
        clear_outputs(settings, job, dead_letters=fresh)
        forget_later_stages(settings, workload, job)
    remember_topics(settings)
    ensure_topics(settings, workload)
    if not job.batch:  # a restarted job resumes from its checkpoint whatever --from says: say which it does
        whose = f"{job.name}: " if job.name in workload.pipeline else ""
        display.console.print(f"{whose}{engines.describe_start(settings)}", highlight=False, soft_wrap=True)
        if not engines.resume_points(settings):
            remember_rejects_baseline(settings, job)
    with display.console.status(f"starting the {settings.engine} job {workload.name}/{job.name} ..."):
        return job_module.run(settings)


STAGE_CATCH_UP_S = 600  # how long a pipeline stage may take to read its backlog before the next one starts


@dataclass
class Stage:
    """One job of a run, with the settings it runs with (its own checkpoints and consumer group)."""

    job: Job
    settings: Settings
    running: RunningJob | None = None


def stages_of(settings: Settings, jobs: tuple[Job, ...]) -> list[Stage]:
    """The settings of each job: its name (checkpoints, consumer group) and, where the user named one
    checkpoint folder for several jobs, a folder of its own below it."""
    stages = []
    for job in jobs:
        checkpoint_dir = settings.checkpoint_dir
        if checkpoint_dir is not None and len(jobs) > 1:
            checkpoint_dir = checkpoint_dir / job.name
        stages.append(Stage(job, settings.with_(job=job.name, checkpoint_dir=checkpoint_dir)))
    return stages


def start_stages(workload: Workload, stages: list[Stage], fresh: bool = False) -> RunningJob:
    """Start the jobs of a pipeline at once, as a stream: each after the one before it has read its
    backlog, so a join does not hold the whole backlog of one side in state while the other side is
    still being written (both engines hold the watermark at the slower input, so nothing is lost)."""
    try:
        for index, stage in enumerate(stages):
            if index:
                _wait_for_catch_up(stages[index - 1], stage)
            stage.running = start_job(stage.settings, workload, stage.job, fresh=fresh)
    except BaseException:
        for stage in stages:
            if stage.running is not None:
                stage.running.stop()
        raise
    if len(stages) == 1:
        return stages[0].running
    return Pipeline([stage.running for stage in stages])


def _wait_for_catch_up(before: Stage, after: Stage) -> None:
    """Until `before` has read its backlog; if it ends instead (it failed), its error."""
    running = before.running

    def caught_up_or_ended() -> bool:
        return running.status() not in ACTIVE_STATES or running.caught_up()

    with display.console.status(f"waiting for {before.job.name} to catch up before {after.job.name} starts"):
        kafka_admin.wait_until(caught_up_or_ended, STAGE_CATCH_UP_S, f"{before.job.name} to catch up")
    if running.status() not in ACTIVE_STATES:
        running.wait()  # raises the stage's own error
        raise LabError(f"{before.job.name} stopped before {after.job.name} could start")


def forget_later_stages(settings: Settings, workload: Workload, job: Job) -> None:
    """A stage that starts over recreates the topics the next stage reads: that stage's checkpoint, which
    holds offsets into the old topics, can no longer be resumed from (Spark would fail on the lost data)."""
    if job.name not in workload.pipeline:
        return
    later = workload.pipeline[workload.pipeline.index(job.name) + 1 :]
    if settings.checkpoint_dir is None:
        folders = [settings.with_(job=name).resolved_checkpoint_dir for name in later]
    elif settings.checkpoint_dir.name == job.name:  # one folder per stage below the user's (stages_of)
        folders = [settings.checkpoint_dir.parent / name for name in later]
    else:
        return  # a folder the user named for this job alone: the others are wherever the user put them
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def can_resume(settings: Settings, job: Job) -> bool:
    """Whether a run can go on from what an earlier run wrote. Files, and an append-only topic, belong
    to the checkpoint that wrote them: a run that starts over would add a second copy, so they are kept
    only when the engine will resume from that checkpoint (engines.resume_points: Flink's newest
    completed chk-N, a Spark query that has started). An upsert topic needs no care: rewriting a key's
    latest value changes nothing, and a checkpoint not completed yet is kept for the engine to ignore."""
    if not checkpoint_matches_topics(settings):
        return False
    if job.result.kind == UPSERT_TOPIC:
        return True
    return bool(engines.resume_points(settings))


CHECKPOINT_TOPICS = "streamlab-topics.json"  # which cluster and topics a checkpoint folder has read


def checkpoint_matches_topics(settings: Settings) -> bool:
    """A checkpoint holds offsets into the topics it read: a run over other topics (another
    --topic-prefix, another cluster) cannot resume from it, whatever the folder is called."""
    folder = settings.resolved_checkpoint_dir
    if not folder.is_dir() or not any(folder.iterdir()):
        return True  # nothing to resume from: nothing to contradict
    marker = folder / CHECKPOINT_TOPICS  # a checkpoint without one is of unknown topics: start over
    return marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == _topics_read(settings)


def remember_topics(settings: Settings) -> None:
    folder = settings.resolved_checkpoint_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CHECKPOINT_TOPICS).write_text(json.dumps(_topics_read(settings), sort_keys=True), encoding="utf-8")


def _topics_read(settings: Settings) -> dict[str, Any]:
    return {"bootstrap_servers": settings.bootstrap_servers, "topics": dict(sorted(settings.topics.items()))}


def clear_outputs(settings: Settings, job: Job, dead_letters: bool = False) -> None:
    """Forget an earlier run: its checkpoint, the files it wrote, an append-only result topic and, for a
    run that starts over, its dead letters (whose late records would be taken for this run's, see
    late_positions; such a run counts its rejects from 0)."""
    shutil.rmtree(settings.resolved_checkpoint_dir, ignore_errors=True)
    for spec in (job.result, job.rejects_spec):
        if spec is not None and not spec.is_topic:
            _remove_output_dir(spec.directory(settings))
    topics = [job.result] + ([job.rejects_spec] if dead_letters and job.rejects_spec else [])
    appended = [topic for spec in topics if spec.kind == APPEND_TOPIC for topic in spec.topics(settings)]
    if appended:  # a batch job touches no Kafka
        kafka_admin.delete_topics(settings.bootstrap_servers, appended)


def _remove_output_dir(directory: Path) -> None:
    if not directory.exists():
        return
    inside_run_dir = directory.resolve().is_relative_to(RUN_DIR.resolve())
    if not inside_run_dir and any(directory.iterdir()):
        raise LabError(
            f"{directory} already holds files and a fresh run would add to them: "
            "choose an empty --output-dir, or delete it first"
        )
    shutil.rmtree(directory)


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
    result lacks are taken for the dropped ones, and oracle_check holds that claim to Spark's own
    figures (see Verdict.drops_explain_differences)."""
    if not progress.one_to_one or not running.drops_late_silently:
        return progress  # a join's rows are not its input records: nothing to take the missing ones for
    if not running.caught_up() or not running.dropped_by_watermark():
        return progress
    return replace(progress, dropped=max(progress.pending, 0))


KAFKA_OUTAGE_S = 60  # how long the live view keeps trying while Kafka reads fail (see follow)


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
    view = results.open_view(job.result, settings)
    deadline = None
    outage_since: float | None = None  # when the view's Kafka reads began to fail, after one had worked
    shown = False
    try:
        with Live(console=display.console, refresh_per_second=4, transient=False) as live:
            while True:
                try:
                    view.refresh()
                    progress = with_silent_drops(running, measure(settings, job, view.frame(), rejects_before))
                except (KafkaError, KafkaException, LabError):
                    # a broker down: reads fail until its partitions' leadership has moved (about 10 s),
                    # while the job itself keeps running; only an outage that lasts ends the view (and the job)
                    outage_since = outage_since or time.monotonic()
                    if not shown or time.monotonic() - outage_since > KAFKA_OUTAGE_S:
                        raise
                    time.sleep(refresh_s)
                    continue
                outage_since, shown = None, True
                status = running.status()
                live.update(render(settings, workload, job, progress, status, producer))
                if producer and producer.error:
                    raise LabError(f"producing failed: {producer.error}")
                if until and until(progress):
                    return progress
                if status not in ACTIVE_STATES:
                    running.wait()  # raises the job's own error if it failed
                    return progress
                if timeout_s and deadline is None and (producer is None or producer.done):
                    deadline = time.monotonic() + timeout_s  # the job's catch-up time starts when input ends
                if deadline and time.monotonic() > deadline:
                    raise LabError(
                        f"the {settings.engine} job did not account for every input record "
                        f"within {timeout_s:.0f} s (status {status})"
                    )
                time.sleep(refresh_s)
    finally:
        view.close()


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
    order = f"top {len(shown)} by {' + '.join(spec.rank_by)}" if spec.rank_by else "by key"
    title = f"{workload.name}/{job.name} on {settings.engine}: {spec.where(settings)} ({order})"
    lines = [f"job: {status}"]
    if producer:
        lines.append(f"produced {producer.sent:,}/{producer.target:,}" + (" (done)" if producer.done else ""))
    return Group(
        display.table(shown, title=title, columns=spec.shown_columns),
        Text("  ".join(lines)),
        Text("\n".join(summary_lines(settings, job, progress))),
    )


def summary_lines(settings: Settings, job: Job, progress: Progress) -> list[str]:
    """The result's size and the accounting line: input = counted + rejected (+ not written yet)."""
    table = progress.table
    lines = [f"{len(table):,} result row(s)" + _partitions_note(table, job.result.partition_by)]
    source = "input file" if job.batch else describe_topics("input topic", input_topics(job, settings))
    if not progress.input_records and (job.batch or progress.counted):
        missing = f"input file {settings.input_path} is not there" if job.batch else f"{source} cannot be read"
        lines.append(f"{missing}: nothing to account against")
        return lines
    rejected = "malformed lines" if job.batch else "dead letters"
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


LATE = "late"  # a dead-letter reason starting with it: the engine's watermark had passed the record


@dataclass(frozen=True)
class Drops:
    """What an engine that drops late rows silently (Spark) says about them, to check its result against."""

    records: int  # input records missing from the result once everything was read (with_silent_drops)
    rows: int  # rows its stateful operator reported dropped (after partial aggregation: <= records)
    watermark: str  # its final watermark, yyyy-MM-dd HH:mm:ss


@dataclass
class Verdict:
    """An engine's result compared with the oracle over the same input, less what the engine called late."""

    differences: pd.DataFrame
    expected: pd.DataFrame
    expected_rejects: pd.DataFrame
    rejected: int  # what the engine rejected as malformed (its late dead letters are in `late`)
    late: int = 0  # records the engine routed to its dead letters as late; the oracle left them out
    drops: Drops | None = None  # late records the engine dropped without saying which (Spark)
    count_column: str = ""
    window_end: str = ""  # the key column holding a window's end, for results per event-time window

    @property
    def dropped(self) -> int:
        return self.drops.records if self.drops else 0

    @property
    def drops_explain_differences(self) -> bool:
        """Whether the differences are what dropping late rows does, by the engine's own figures: every
        window short (none over), together by the missing records; at least one dropped row per short
        window and no more rows than records (a row stands for one window's records of one batch);
        and every short window closed by the final watermark."""
        drops, diff = self.drops, self.differences
        if not (drops and drops.records and self.count_column) or diff.empty:
            return False
        engine = diff[f"{self.count_column}_engine"].fillna(0)
        oracle = diff[f"{self.count_column}_oracle"].fillna(0)
        closed = not self.window_end or bool((diff[self.window_end] <= drops.watermark).all())
        return (
            bool((engine < oracle).all())
            and int((oracle - engine).sum()) == drops.records
            and len(diff) <= drops.rows <= drops.records
            and closed
        )

    @property
    def agrees(self) -> bool:
        same = self.differences.empty or self.drops_explain_differences
        return same and self.rejected == len(self.expected_rejects)


def late_positions(settings: Settings, job: Job) -> set[tuple[str, int, int]]:
    """(topic, partition, offset) of every input record the engine dead-lettered as late."""
    if job.batch or not job.rejects:
        return set()
    sources = set(input_topics(job, settings))
    positions = set()
    for record in kafka_admin.read_topic(settings.bootstrap_servers, settings.topic(job.rejects)):
        try:
            letter = json.loads(record.value or b"{}")
            if letter.get("source_topic") in sources and str(letter.get("reason", "")).startswith(LATE):
                positions.add((letter["source_topic"], int(letter["source_partition"]), int(letter["source_offset"])))
        except (ValueError, AttributeError, KeyError, TypeError):
            continue  # not one of ours (someone else wrote to the topic): it names no input record
    return positions


def oracle_answer(
    settings: Settings, job: Job, distinct: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, pd.DataFrame, set[tuple[str, int, int]]]:
    """(the oracle's result, its rejects, the positions the engine dead-lettered as late) over exactly the
    input the job read: what the engine's watermark called late is left out of the oracle's input.
    `distinct` names input roles whose records count once per value: an earlier stage's output, which an
    at-least-once sink writes again after a crash (streamlab chaos)."""
    inputs = read_inputs(job, settings)
    if distinct and not job.batch:
        inputs = [
            _first_of_each_value(records) if role in distinct else records
            for role, records in zip(job.input_roles, inputs, strict=True)
        ]
    late = late_positions(settings, job)
    if late:
        inputs = [[r for r in records if (r.topic, r.partition, r.offset) not in late] for records in inputs]
    expected, expected_rejects = job.oracle_function()(*inputs)
    return expected, expected_rejects, late


def _first_of_each_value(records: list[Any]) -> list[Any]:
    """Records in order, each value's first one only: the copies a restart wrote again left out."""
    firsts: dict[bytes | None, Any] = {}
    for record in records:
        firsts.setdefault(record.value, record)
    return list(firsts.values())


def oracle_check(
    settings: Settings, job: Job, table: pd.DataFrame, rejects_before: int = 0, drops: Drops | None = None
) -> Verdict:
    """The engine's table against pandas over exactly the input it read (topic records or file).

    What the engine's watermark called late is not in its result, by design: records it dead-lettered
    as late are left out of the oracle's input too; rows it dropped (Spark says how many, not which)
    must account for every difference, each a window with fewer records than pandas counts."""
    expected, expected_rejects, late = oracle_answer(settings, job)
    spec = job.result
    diff = oracles.differences(
        table, expected, list(spec.key_columns), list(spec.value_columns), rel_tolerance=spec.rel_tolerance
    )
    rejected = count_rejects(settings, job, rejects_before) - len(late)
    return Verdict(diff, expected, expected_rejects, rejected, len(late), drops, spec.count_column, spec.window_end)


def malformed_note(settings: Settings, job: Job, limit: int = 5) -> str:
    """'N malformed line(s) skipped (first: lines 3, 17)' for a file job, from its rejected/ output."""
    spec = job.rejects_spec
    if spec is None or spec.is_topic:
        return ""
    rejected = results.read_result(spec, settings)
    if rejected.empty:
        return "0 malformed lines skipped"
    if not (settings.input_path and settings.input_path.is_file()):
        return f"{len(rejected):,} malformed line(s) skipped"
    numbers = oracles.first_line_numbers(settings.input_path, set(rejected["raw_line"]), limit)
    reasons = ", ".join(f"{count:,} {reason}" for reason, count in rejected["reason"].value_counts().items())
    return (
        f"{len(rejected):,} malformed line(s) skipped ({reasons}); "
        f"first at line(s) {', '.join(str(n) for n in numbers)} of {results.display_path(settings.input_path)}"
    )


def show_results(
    settings: Settings,
    workload: Workload,
    job: Job,
    limit: int = RESULT_ROWS,
    rejects_before: int = 0,
    running: RunningJob | None = None,
) -> tuple[pd.DataFrame, Progress]:
    """Print a job's result as a table, with its accounting line and (file jobs) the malformed lines.
    With the job that wrote it, late rows it dropped silently are accounted for too."""
    table = results.read_result(job.result, settings)
    progress = measure(settings, job, table, rejects_before)
    if running is not None:
        progress = with_silent_drops(running, progress)
    shown = results.top_rows(table, job.result, limit)
    order = f"the top {len(shown)} by {' + '.join(job.result.rank_by)}" if job.result.rank_by else "by key"
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


def silent_drop_figures(running: RunningJob, progress: Progress) -> Drops | None:
    """What a job that ended (or was drained) says about the late rows it dropped silently, if any."""
    if not progress.dropped:
        return None
    return Drops(progress.dropped, running.dropped_by_watermark(), running.final_watermark())


def verdict_words(verdict: Verdict, engine: str) -> str:
    """How an engine's result compares with pandas, in a few words (rich markup)."""
    late = f" ({verdict.late:,} late record(s) routed to the dead letters and left out)" if verdict.late else ""
    if verdict.differences.empty:
        return f"[green]matches[/] the pandas oracle{late}"
    if verdict.drops and verdict.drops_explain_differences:
        return (
            f"[green]matches[/] the pandas oracle but for the {verdict.dropped:,} late record(s) {engine} dropped "
            f"({len(verdict.differences)} window(s) short by those, all closed by its final watermark "
            f"{verdict.drops.watermark}; it reported {verdict.drops.rows:,} dropped row(s) after pre-aggregation)"
        )
    return f"[red]differs from[/] ({len(verdict.differences)} rows) the pandas oracle{late}"


def describe_topics(what: str, topics: list[str]) -> str:
    """'input topic T', or 'input topics T1 + T2' for a job that reads several."""
    return f"{what}{'s' if len(topics) > 1 else ''} {' + '.join(topics)}"


def describe_run(seconds: float, what: str, extra: dict[str, Any] | None = None) -> str:
    details = ", ".join(f"{name} {value}" for name, value in (extra or {}).items())
    return f"{what} in {seconds:.1f} s" + (f" ({details})" if details else "")
