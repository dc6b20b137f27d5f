"""Lesson checkpoint-lost: a deleted checkpoint means starting over (seed 003). behavior-stats counts 300 events
and checkpoints; it is stopped, its checkpoint folder deleted, and it is started again twice, each time with
nothing to resume from, so the source starts where --from says and the counts start from zero:

- with --from latest, while 200 more events arrive: it reads only those, from empty state, so each key's count
  is the new events' alone. What the first run had counted is lost from the view;
- with --from earliest: it reads all 500 again from empty state. The view is right again, and the topics hold
  every update and every dead letter a second time.

Each run is `streamlab run ENGINE behavior-stats` in a process of its own (a Flink job per process: FLINK-23020),
stopped with Ctrl-C as a user stops it. The lesson waits for each run's view to account for every record, or for
run 2, on the engine's own word that it has read to the end (Flink: the offsets its source commits once a
checkpoint has completed; Spark: its offset and commit logs), and judges the view against pandas
(streamlab.run.verdict)."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from streamlab import compare, display, engines, jobparts, kafka_admin, ownership, results, workloads
from streamlab.compare import Rows, Verdict
from streamlab.errors import LabError
from streamlab.lessons.common import Lesson, LessonRun, Outcome
from streamlab.processes import StreamlabProcess
from streamlab.run import lifecycle, live
from streamlab.run.verdict import judge
from streamlab.settings import Settings
from streamlab.workloads import Job, read_inputs

WORKLOAD = "behavior-stats"
FIRST = ("--count", "300", "--rate", "0", "--bad-every", "50", "--seed", "1")
SECOND = ("--count", "200", "--rate", "0", "--bad-every", "50", "--seed", "2")
# Flink's upsert sink flushes, and its source commits its offsets, on each checkpoint: every 2 s, not 10
FLINK_CHECKPOINTS = ("--conf", "execution.checkpointing.interval=2 s")
WAIT_S = 180

Offsets = dict[str, dict[int, int]]  # {topic: {partition: next offset}}


@dataclass(frozen=True)
class Lab:
    """What the three runs share: the lesson's run, its topics and folder, the job and Flink's consumer group."""

    lesson: LessonRun
    settings: Settings
    job: Job
    group: str  # as `streamlab run` names it: its stage's settings

    def produce(self, options: tuple[str, ...]) -> None:
        workload = workloads.get(WORKLOAD)
        sent = lifecycle.produce(self.settings, workload, workload.producer_options(options))
        display.console.print(sent, highlight=False)

    def written(self) -> int:
        """Records in the result topic: every update any run wrote (compaction removes old ones only now and then)."""
        return results.topic_size(self.settings.bootstrap_servers, self.settings.output_topic)


@dataclass(frozen=True)
class Latest:
    """Run 2: where it started, what Spark wrote about it, and its view against pandas over all or the new only."""

    start: Offsets
    spark_start: Offsets
    lost: Verdict
    alone: Rows
    accounting: live.Progress  # the lab's: the topic's records = counted in the view + dead letters of run 2 + the rest


def run(lesson: LessonRun) -> Outcome:
    settings, job = lesson.settings(WORKLOAD), workloads.get(WORKLOAD).job()
    lab = Lab(lesson, settings, job, jobparts.flink_group_id(lifecycle.stages_of(settings, (job,))[0].settings))
    lab.produce(FIRST)
    counted, checkpoint = count_everything(lab, 1), checkpoint_words(settings)
    written = [lab.written()]
    forget(settings)
    latest = count_from_latest(lab)
    written.append(lab.written() - sum(written))
    forget(settings)
    recounted = count_everything(lab, 3, rejects_before=lifecycle.count_rejects(settings, job))
    written.append(lab.written() - sum(written))
    said = describe(lab, counted, checkpoint, latest, recounted, written)
    expected = (
        "without its checkpoint a job starts over from empty state: from latest it counts only what arrives after "
        "its start and loses what it had counted; from earliest it counts everything again and is right"
    )
    held = counted.passed and latest.alone.agrees and latest.lost.rows.missing > 0 and recounted.passed
    return Outcome("checkpoint-lost", lesson.engine, said, expected, held)


def describe(
    lab: Lab, counted: Verdict, checkpoint: str, latest: Latest, recounted: Verdict, written: list[int]
) -> tuple[str, ...]:
    """The three runs in the engine's figures and pandas' verdicts; `written`: result records each run wrote."""
    accounting = latest.accounting
    total = results.topic_size(lab.settings.bootstrap_servers, lab.settings.input_topic)
    first, new = offsets_total(latest.start), total - offsets_total(latest.start)
    spark_said = (
        ("; Spark's sources/0/0 says the same" if latest.spark_start == latest.start
         else f"; Spark's sources/0/0 says {offsets_words(latest.spark_start)}") if latest.spark_start else ""
    )  # fmt: skip
    return (
        f"run 1 (--from earliest): counted the {first:,} events and wrote {written[0]:,} result records: "
        f"{counted.rows.words('keys')} against pandas; its checkpoint folder held {checkpoint}",
        f"deleted {results.display_path(lab.settings.resolved_checkpoint_dir)}: no state and no offsets to resume from",
        f"run 2 (--from latest): started at the topic's end, {offsets_words(latest.start)}{spark_said}; then {new:,} "
        f"more events came, and from empty state it wrote {written[1]:,} result records: "
        f"{latest.alone.words('keys')} against pandas over those {new:,} alone",
        f"  against pandas over all {total:,}: {latest.lost.rows.words('keys')}; the view counts "
        f"{accounting.counted:,} of the {total:,} events and run 2 dead-lettered {accounting.rejected:,}: the other "
        f"{accounting.pending:,}, run 1's, are not in the view",
        f"run 3 (--from earliest): from empty state again, it wrote {written[2]:,} result records: "
        f"{recounted.rows.words('keys')} against pandas over all {total:,}; dead letters: "
        f"{recounted.dead_letters.words()}",
    )


def count_everything(lab: Lab, number: int, rejects_before: int = 0) -> Verdict:
    """A run --from earliest, stopped once it has counted every record; its view against pandas. A later one
    writes every dead letter again (`rejects_before` were there): those are reported, not failures."""
    with running(lab, "earliest", number) as process:
        ready = lambda: accounted(lab.settings, lab.job, rejects_before) and checkpointed(lab)  # noqa: E731
        wait(ready, process, f"run {number} to count every record and checkpoint")
    return judge(lab.settings, lab.job, restarted=number > 1)


def count_from_latest(lab: Lab) -> Latest:
    """A run --from latest while new events arrive, stopped once it has read them."""
    settings = lab.settings
    rejects_before = lifecycle.count_rejects(settings, lab.job)  # run 1's dead letters: not run 2's
    with running(lab, "latest", 2) as process:
        # "latest" is fixed when the source first asks Kafka for its end offsets, seconds after the process starts:
        # events sent before then would be skipped too. A resume point of its own shows it has asked: Spark writes
        # the answer to sources/0/0 before its first batch; Flink's enumerator asks as it assigns the partitions, as
        # the job starts, and its first checkpoint comes 2 s after. Were it later, run 2 would read fewer than the
        # new events, and pandas over the new events alone would say so: NOT as expected, never a false "as expected"
        wait(lambda: bool(engines.resume_points(settings)), process, "run 2 to fix where latest is")
        topic = settings.input_topic
        start_offsets = {topic: kafka_admin.end_offsets(settings.bootstrap_servers, topic)}
        spark_start = spark_start_offsets(settings)
        lab.produce(SECOND)
        wait(lambda: read_to_the_end(lab), process, "run 2 to read the new events")
    lost = judge(settings, lab.job)
    alone = rows_over_records_after(settings, lab.job, lost.table, start_offsets)
    return Latest(start_offsets, spark_start, lost, alone, live.measure(settings, lab.job, lost.table, rejects_before))


@contextmanager
def running(lab: Lab, start_from: str, number: int) -> Iterator[StreamlabProcess]:
    """A run, stopped with Ctrl-C when the block is done; killed if the block fails (the lesson's own Ctrl-C
    among them: the run is in a session of its own, so it would not get it and go on running)."""
    process = start(lab, start_from, number)
    try:
        yield process
    except BaseException:
        process.kill_tree()
        raise
    process.interrupt()


def start(lab: Lab, start_from: str, number: int) -> StreamlabProcess:
    """`streamlab run` with the lesson's topics and checkpoint folder, in a process of its own."""
    lesson = lab.lesson
    flags = ["--from", start_from, *(FLINK_CHECKPOINTS if lesson.engine == "flink" else ())]
    display.console.print(
        f"run {number}: `streamlab run {lesson.engine} {WORKLOAD} {shlex.join(flags)}`", highlight=False
    )
    args = [
        "run", lesson.engine, WORKLOAD, *flags, "--checkpoint-dir", str(lab.settings.resolved_checkpoint_dir),
        "--topic-prefix", lesson.prefix(), "--bootstrap-servers", lesson.bootstrap,
    ]  # fmt: skip
    return StreamlabProcess(args, lesson.folder / f"run-{number}.log")


def wait(ready: Callable[[], bool], process: StreamlabProcess, what: str) -> None:
    """Until ready() holds, with progress shown; the run must not end meanwhile."""
    started = time.monotonic()
    with display.console.status(f"waiting for {what} ...") as shown:
        while not ready():
            process.alive()
            if time.monotonic() - started > WAIT_S:
                process.kill_tree()
                raise LabError(f"timed out after {WAIT_S} s waiting for {what}: see {process.log}")
            shown.update(f"waiting for {what} ({time.monotonic() - started:.0f} s; log {process.log})")
            time.sleep(0.5)


def accounted(settings: Settings, job: Job, rejects_before: int = 0) -> bool:
    """Every input record counted or in the dead letters (those written before `rejects_before` left out). A key's
    count only grows, and no earlier run's value of a key is above its final one, so the sum of the view reaches
    the records counted only once every key shows its final count."""
    return live.measure(settings, job, results.read_result(job.result, settings), rejects_before).accounted


def checkpointed(lab: Lab) -> bool:
    """A checkpoint to show once the view is complete: Flink's newest completed chk-N (its source commits the
    offsets up to 10 s later, when its idle consumer's poll returns: not worth waiting for); Spark's newest
    committed batch, once it has read to the end."""
    if lab.settings.engine == "flink":
        return bool(engines.resume_points(lab.settings))
    return read_to_the_end(lab)


def read_to_the_end(lab: Lab) -> bool:
    """The engine's own word that it has read the input topic to its end and written what it read. Flink commits
    its source's offsets to its consumer group once a checkpoint has completed, after its sinks flushed; the group
    is the job's on every run, so it may still hold an earlier run's offsets. A Spark batch writes its result,
    then commits (commits/N): the newest committed batch must end at the topic's end offsets (offsets/N)."""
    settings, topic = lab.settings, lab.settings.input_topic
    if settings.engine == "flink":
        return kafka_admin.committed_lag(settings.bootstrap_servers, lab.group, (topic,)) == 0
    ends = kafka_admin.end_offsets(settings.bootstrap_servers, topic)
    queries = engines.spark_checkpoints(settings.resolved_checkpoint_dir)
    return bool(queries) and all(spark_batch_end(query).get(topic) == ends for query in queries)


def spark_batch_end(query: engines.Checkpoint) -> Offsets:
    """Where a Spark query's newest committed batch ended: its offset log entry (offsets/N) is a version line, a
    line of metadata, then each source's offsets. {} before it has committed a batch."""
    if query.number < 0:
        return {}
    lines = (query.path / "offsets" / str(query.number)).read_text(encoding="utf-8").splitlines()
    return merged_offsets(lines[2:])


def spark_start_offsets(settings: Settings) -> Offsets:
    """Where a Spark query's Kafka source started when it had no checkpoint: it writes the offsets --from gave it
    to sources/0/0 (a version line, then the offsets) before its first batch. {} for Flink."""
    if settings.engine != "spark":
        return {}
    started: Offsets = {}
    for query in engines.spark_checkpoints(settings.resolved_checkpoint_dir):
        for entry in sorted(query.path.glob("sources/*/0")):
            started |= merged_offsets(entry.read_text(encoding="utf-8").splitlines()[1:])
    return started


def merged_offsets(lines: list[str]) -> Offsets:
    """Spark's JSON offsets of a Kafka source, {"topic": {"0": 77, ...}}, one line per source, as one mapping."""
    offsets: Offsets = {}
    for line in lines:
        if line.strip().startswith("{"):
            for topic, partitions in json.loads(line).items():
                offsets[topic] = {int(partition): int(offset) for partition, offset in partitions.items()}
    return offsets


def offsets_total(offsets: Offsets) -> int:
    return sum(sum(partitions.values()) for partitions in offsets.values())


def offsets_words(offsets: Offsets) -> str:
    """'offset 300 (partitions 0: 77, 1: 91, 2: 132)': the records before the start."""
    parts = ", ".join(f"{p}: {o:,}" for partitions in offsets.values() for p, o in sorted(partitions.items()))
    return f"offset {offsets_total(offsets):,} (partitions {parts})"


def rows_over_records_after(settings: Settings, job: Job, view: pd.DataFrame, start: Offsets) -> Rows:
    """The view against pandas over the input records at or after `start` alone: what a run from there with
    empty state counts."""
    inputs = [
        [r for r in records if r.offset >= start.get(r.topic, {}).get(r.partition, 0)]
        for records in read_inputs(job, settings)
    ]
    expected, _ = job.oracle_function()(*inputs)
    return compare.compare_rows(view, expected, job.result)


def checkpoint_words(settings: Settings) -> str:
    """What the stopped run left to resume from, in the engine's terms."""
    points = engines.resume_points(settings)
    if not points:
        return "nothing"
    if settings.engine == "flink":
        return f"completed checkpoint {points[0].path.name}"
    return ", ".join(f"committed batch {point.number} (query {point.query})" for point in points)


def forget(settings: Settings) -> None:
    """The checkpoint folder deleted (the lab's own), as a user who deletes it to "start clean" does."""
    folder: Path = settings.resolved_checkpoint_dir
    ownership.clear(folders=[folder])
    display.console.print(f"deleted the checkpoint folder {results.display_path(folder)}")


LESSON = Lesson(
    name="checkpoint-lost",
    question="what is recounted or lost when a job's checkpoint folder is deleted?",
    page="docs/lessons/checkpoint-lost.md",
    run=run,
)
