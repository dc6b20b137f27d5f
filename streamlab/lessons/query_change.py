"""Lesson query-change: a stateful query stopped, its SQL changed, and restarted from the old query's state (seed
003: which code changes a restart from a checkpoint survives). behavior-stats counts events per (category,
behavior). The original query reads 300 events and is stopped (Ctrl-C) after a checkpoint; 300 more arrive while
it is down. Then each change restarts from that same state in a process of its own (`streamlab run ... --sql
query=FILE`, a variant from sql/lessons/query-change/), and writes an output topic of its own:

- Flink: from the original job's retained checkpoint (`--from-savepoint`, Flink's execution.state-recovery.path,
  what `flink run -s` takes), with no restart strategy, so a refused restore ends the job at once.
- Spark: from a copy of the original query's checkpoint folder (Spark has no savepoints).

A change the engine accepts is held to pandas over the records it kept: what the original counted, then the
records of the changed query. Its view is the original's rows overwritten by the rows it wrote (an upsert topic's
latest per key). A change the engine refuses is shown by the engine's own error."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import pandas as pd
from kafka.errors import KafkaError

from streamlab import compare, display, jobparts, kafka_admin, ownership, results, workloads
from streamlab.engines.checkpoints import latest_flink_checkpoint, spark_checkpoints
from streamlab.errors import LabError
from streamlab.lessons.common import Lesson, LessonRun, Outcome
from streamlab.paths import SQL_DIR
from streamlab.processes import StreamlabProcess
from streamlab.run import lifecycle
from streamlab.settings import Settings

WORKLOAD = "behavior-stats"
VARIANTS = SQL_DIR / "lessons" / "query-change"
PHASE = ("--count", "300", "--rate", "0", "--bad-every", "0")  # as fast as it goes; seeds 1 and 2 differ
CHECKPOINT_EVERY = "execution.checkpointing.interval=1 s"  # the stop needs one with every record of phase 1
NO_RESTARTS = "restart-strategy.type=none"  # a refused restore is retried forever under Flink's default
ALLOW_NON_RESTORED = "execution.state-recovery.ignore-unclaimed-state=true"  # `flink run --allowNonRestoredState`
EXPLICIT_UIDS = "table.exec.uid.generation=ALWAYS"  # the planner's uids, as a compiled plan's operators get
RUN_TIMEOUT_S = 180  # for a run to read what it should, or to be refused (a cold JVM on 2 busy cores)
MATCHES, DIFFERS = "matches", "differs"  # what an accepted change's result should do against pandas


@dataclass(frozen=True)
class Change:
    """One change to the query, and what each engine should do with it: MATCHES or DIFFERS (it starts, and its
    result against pandas), a refusal's words (a piece of the engine's error), or "" (not run on that engine)."""

    slug: str
    label: str
    flink: str
    spark: str
    query: str = ""  # the variant's file in VARIANTS; "" keeps the workload's own query
    flink_sink: str = ""  # Flink: a sink table with the variant's columns
    flink_conf: tuple[str, ...] = ()
    dropped_behavior: str = ""  # a filter's: the behavior the new query no longer counts
    new_column: str = ""

    def expected(self, engine: str) -> str:
        return self.flink if engine == "flink" else self.spark

    def accepted(self, engine: str) -> bool:
        return self.expected(engine) in (MATCHES, DIFFERS)


FLINK_STATE = "StateMigrationException"
CHANGES = (
    Change("new_filter", "new filter (behavior <> 'view')", MATCHES, MATCHES, "new_filter.sql",
           dropped_behavior="view"),
    Change("extra_column", "extra column (last_event_day)", MATCHES, MATCHES, "extra_column.sql",
           "flink_sink_extra_column.sql", new_column="last_event_day"),
    Change("new_key", "new grouping key (+ user_id)", FLINK_STATE, "STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE",
           "new_key.sql", "flink_sink_new_key.sql", (ALLOW_NON_RESTORED,)),
    Change("new_aggregate", "new aggregate (MIN(ts))", FLINK_STATE, "STATE_STORE_VALUE_SCHEMA_NOT_COMPATIBLE",
           "new_aggregate.sql", "flink_sink_new_aggregate.sql"),
    Change("new_uids", "same SQL, operator uids changed (table.exec.uid.generation=ALWAYS)",
           "Cannot map checkpoint/savepoint state", "", flink_conf=(EXPLICIT_UIDS,)),
    Change("new_uids_allowed", "operator uids changed, with --allowNonRestoredState", DIFFERS, "",
           flink_conf=(EXPLICIT_UIDS, ALLOW_NON_RESTORED)),
)  # fmt: skip


@dataclass
class Restart:
    """One change's run: its process, and what came of it."""

    change: Change
    process: StreamlabProcess
    settings: Settings
    started: float
    seconds: float = 0.0
    refusal: str = ""  # the engine's error, trimmed to what matters
    rows: compare.Rows | None = None
    new_column_rows: int = 0


def run(lesson: LessonRun) -> Outcome:
    workload = workloads.get(WORKLOAD)
    settings = lesson.settings(WORKLOAD)
    changes = [change for change in CHANGES if change.expected(lesson.engine)]
    outputs = [output_topic(lesson, change) for change in changes]
    ownership.clear(lesson.bootstrap, outputs)  # the changed queries' topics of the last run
    forget_group(settings)
    started = time.monotonic()
    lifecycle.produce(settings, workload, workload.producer_options([*PHASE, "--seed", "1"]), show_progress=False)
    original = settings.with_(checkpoint_dir=settings.checkpoint_dir / "original")
    resume_from = run_original(lesson, original)
    first_s = time.monotonic() - started
    stopped_at = kafka_admin.end_offsets(lesson.bootstrap, settings.input_topic)
    lifecycle.produce(settings, workload, workload.producer_options([*PHASE, "--seed", "2"]), show_progress=False)
    restarts = []
    for batch in batches(changes, lesson.engine):
        restarts += run_batch(lesson, original, resume_from, batch)
    table = results.read_result(workload.job().result, original)
    for restart in restarts:
        if not restart.refusal:
            judge(restart, table, stopped_at)
    said = [
        f"original query: {len(table)} keys, {int(table['behavior_count'].sum()):,} events counted in {first_s:.0f} s; "
        f"stopped after {describe_point(lesson.engine, resume_from)}; 300 more events arrived while it was down",
        *(describe(restart) for restart in restarts),
    ]
    held = all(bore_out(restart, lesson.engine) for restart in restarts)
    return Outcome("query-change", lesson.engine, tuple(said), EXPECTED[lesson.engine], held)


EXPECTED = {
    "flink": "a new filter or an extra column resumes with every count kept; a new grouping key or aggregate is "
    "refused (state serializer), --allowNonRestoredState or not; operators with other uids are refused, and "
    "with --allowNonRestoredState start without the old state",
    "spark": "a new filter or an extra column resumes with every count kept; a new grouping key or aggregate is "
    "refused (state schema check)",
}


def output_topic(lesson: LessonRun, change: Change) -> str:
    return f"{lesson.prefix()}behavior_stats_{change.slug}"


def batches(changes: list[Change], engine: str) -> list[list[Change]]:
    """Two runs at a time: an accepted change beside a refused one. Flink's accepted runs commit their offsets
    to the one consumer group of the job, whose lag says when a run has read everything: one at a time."""
    accepted = [change for change in changes if change.accepted(engine)]
    refused = [change for change in changes if not change.accepted(engine)]
    return [[change for change in pair if change] for pair in zip_longest(accepted, refused)]


# --- the runs -----------------------------------------------------------------------------------------------


def run_args(
    lesson: LessonRun, settings: Settings, conf: tuple[str, ...] = (), sql: dict[str, str] | None = None
) -> list[str]:
    """`streamlab run` as a user types it, on the lesson's topics and folder."""
    args = [
        "run", lesson.engine, WORKLOAD, "--checkpoint-dir", str(settings.resolved_checkpoint_dir),
        "--topic-prefix", lesson.prefix(), "--output-topic", settings.output_topic,
        "--bootstrap-servers", lesson.bootstrap, "--from", settings.start_from,
    ]  # fmt: skip
    if lesson.engine == "flink":
        conf = (CHECKPOINT_EVERY, NO_RESTARTS, *conf)
    for setting in conf:
        args += ["--conf", setting]
    for name, file in (sql or {}).items():
        args += ["--sql", f"{name}={VARIANTS / file}"]
    return args


def run_original(lesson: LessonRun, settings: Settings) -> Path:
    """The original query until a checkpoint holds every record produced so far, then Ctrl-C; what the changed
    queries restart from (Flink: the retained chk-N; Spark: the checkpoint folder)."""
    process = StreamlabProcess(run_args(lesson, settings), settings.resolved_checkpoint_dir.parent / "original.log")
    started = time.monotonic()
    try:
        with display.console.status("the original query is counting the first 300 events ..."):
            while not read_everything(lesson.engine, settings):
                process.alive()
                if time.monotonic() - started > RUN_TIMEOUT_S:
                    raise LabError(f"the original query did not checkpoint its input within {RUN_TIMEOUT_S} s: "
                                   f"see {process.log}")  # fmt: skip
                time.sleep(0.5)
        process.interrupt()
    finally:
        process.kill_tree()
    if lesson.engine == "spark":
        return settings.resolved_checkpoint_dir
    newest = latest_flink_checkpoint(settings.resolved_checkpoint_dir)
    if newest is None:
        raise LabError(f"the original Flink job left no completed checkpoint: see {process.log}")
    return newest.path


def run_batch(lesson: LessonRun, original: Settings, resume_from: Path, batch: list[Change]) -> list[Restart]:
    """The batch's changes at once, each from the original's state, until each has read everything (accepted)
    or ended with the engine's error (refused)."""
    forget_group(original)
    restarts = [start_restart(lesson, original, resume_from, change) for change in batch]
    try:
        with display.console.status(f"restarting with: {', '.join(c.label for c in batch)} ...") as shown:
            while pending := [restart for restart in restarts if not restart.seconds]:
                for restart in pending:
                    check(lesson.engine, restart)
                shown.update(f"restarting with: {', '.join(r.change.label for r in pending)} "
                             f"({time.monotonic() - restarts[0].started:.0f} s)")  # fmt: skip
                time.sleep(0.5)
    finally:
        for restart in restarts:
            restart.process.kill_tree()
    return restarts


def start_restart(lesson: LessonRun, original: Settings, resume_from: Path, change: Change) -> Restart:
    folder = original.resolved_checkpoint_dir.parent / change.slug
    topics = {**original.topics, "output": output_topic(lesson, change)}
    settings = original.with_(topics=topics, checkpoint_dir=folder, start_from="latest")
    sql = {"query": change.query} if change.query else {}
    if lesson.engine == "flink" and change.flink_sink:
        sql["flink_sink"] = change.flink_sink
    if lesson.engine == "flink":  # the original job's retained checkpoint, as `flink run -s` takes it
        args = [*run_args(lesson, settings, change.flink_conf, sql), "--from-savepoint", str(resume_from)]
    else:  # Spark resumes from the folder itself: a copy of the original's, marked as this run's topics'
        shutil.copytree(resume_from, folder)
        lifecycle.remember_topics(settings)
        args = run_args(lesson, settings, sql=sql)
    process = StreamlabProcess(args, folder.parent / f"{change.slug}.log")
    return Restart(change, process, settings, time.monotonic())


def check(engine: str, restart: Restart) -> None:
    """Whether the run is done: ended by itself (refused, with the engine's words), or read everything."""
    code = restart.process.process.poll()
    elapsed = time.monotonic() - restart.started
    if code is not None:
        restart.refusal = refusal(restart.process.output) or f"ended by itself (exit {code}): see {restart.process.log}"
        restart.seconds = elapsed
    elif read_everything(engine, restart.settings):
        restart.process.kill_tree()  # its output is written (flushed with the checkpoint): nothing more to keep
        restart.seconds = elapsed
    elif elapsed > RUN_TIMEOUT_S:
        raise LabError(f"{restart.change.label}: neither refused nor caught up in {RUN_TIMEOUT_S} s: "
                       f"see {restart.process.log}")  # fmt: skip


def read_everything(engine: str, settings: Settings) -> bool:
    """Whether the run's state holds every record of the input: Flink commits its offsets to its group when a
    checkpoint completes; Spark's newest committed batch ends at the topic's end."""
    ends = kafka_admin.end_offsets(settings.bootstrap_servers, settings.input_topic)
    if engine == "flink":
        try:
            lag = kafka_admin.committed_lag(settings.bootstrap_servers, group(settings), (settings.input_topic,))
        except KafkaError:
            return False
        return lag == 0
    return spark_batch_end(settings.resolved_checkpoint_dir, settings.input_topic) == ends


def spark_batch_end(folder: Path, topic: str) -> dict[int, int]:
    """Where the newest committed batch of the query folder under `folder` ends in `topic`: the last line of
    its offset log, offsets/N (a version line, the batch's metadata, then one JSON line per source)."""
    for point in spark_checkpoints(folder):
        log = point.path / "offsets" / str(point.number)
        if point.number >= 0 and log.is_file():
            ends = json.loads(log.read_text(encoding="utf-8").splitlines()[-1]).get(topic, {})
            return {int(partition): int(offset) for partition, offset in ends.items()}
    return {}


def group(settings: Settings) -> str:
    return jobparts.flink_group_id(settings.with_(job=settings.job or workloads.get(WORKLOAD).job().name))


def forget_group(settings: Settings) -> None:
    """Flink's consumer group forgets its offsets, so that its lag says what the next run has read (offsets are
    restored from the checkpoint, not from the group: the group only reports them)."""
    # no such group yet: nothing to forget
    with kafka_admin.admin_client(settings.bootstrap_servers) as admin, contextlib.suppress(KafkaError):
        admin.delete_consumer_groups([group(settings)])


# --- what happened ------------------------------------------------------------------------------------------

FAILED = re.compile(r"error: the job failed: (.*)$")
CLI_CAP = 300  # streamlab.cli prints that much of an engine's error
PACKAGE = re.compile(r"\b(?:[a-z_][a-z0-9_]*\.)+([A-Z]\w*)")  # org.apache.flink.util.X -> X
SPARK_SCHEMA = re.compile(r"Existing (\w+)_schema=(.*?) and new \1_schema=(.*?)\.\s")
FIELD = re.compile(r"StructField\((\w+),")


def refusal(output: str) -> str:
    """The line of the engine's error that matters, from `streamlab run`'s last words (whitespace joined)."""
    found = FAILED.search(output)
    if not found:
        return ""
    text = re.sub(r"Caused by: |\[STREAM_FAILED\] Query\s+terminated with exception: ", "", found[1])
    text = re.sub(r"Failed to rollback to checkpoint/savepoint \S+\. ", "", text)
    text = PACKAGE.sub(r"\1", text)
    if len(found[1]) >= CLI_CAP and not text.endswith("."):  # `streamlab run` prints 300 characters of it
        text = text.rsplit(" ", 1)[0] + " ..."
    schema = SPARK_SCHEMA.search(output)
    if schema:  # Spark names both schemas in the lines before: the fields say what changed
        old, new = (", ".join(FIELD.findall(part)) for part in schema.group(2, 3))
        text += f" (existing {schema[1]} schema: {old}; new: {new})"
    return text


def judge(restart: Restart, original: pd.DataFrame, stopped_at: dict[int, int]) -> None:
    """The view after the change (the original's rows, overwritten by the rows the changed query wrote) against
    pandas over what the change kept: every record the original counted, then the ones the new query counts."""
    workload = workloads.get(WORKLOAD)
    job = workload.job()
    written = results.read_result(job.result, restart.settings)
    keys = list(job.result.key_columns)
    view = pd.concat([original, written], ignore_index=True).drop_duplicates(keys, keep="last")
    kept = [record for record in workloads.read_inputs(job, restart.settings)[0] if keeps(restart.change, record,
            stopped_at)]  # fmt: skip
    expected, _rejects = job.oracle_function()(kept)
    restart.rows = compare.compare_rows(view, expected, job.result)
    if restart.change.new_column and restart.change.new_column in written:
        restart.new_column_rows = int(written[restart.change.new_column].notna().sum())


def keeps(change: Change, record: object, stopped_at: dict[int, int]) -> bool:
    """Whether the changed query counts the record: the original counted all it read before the stop."""
    if record.offset < stopped_at.get(record.partition, 0):  # type: ignore[attr-defined]
        return True
    if not change.dropped_behavior:
        return True
    return json.loads(record.value).get("behavior") != change.dropped_behavior  # type: ignore[attr-defined]


def bore_out(restart: Restart, engine: str) -> bool:
    expected = restart.change.expected(engine)
    if expected == MATCHES:
        agrees = restart.rows is not None and restart.rows.agrees
        return agrees and (not restart.change.new_column or restart.new_column_rows > 0)
    if expected == DIFFERS:
        return restart.rows is not None and not restart.rows.agrees
    return expected in restart.refusal


def describe(restart: Restart) -> str:
    allowed = restart.settings.engine == "flink" and ALLOW_NON_RESTORED in restart.change.flink_conf
    also = ", with --allowNonRestoredState" if allowed and "allowNonRestored" not in restart.change.label else ""
    label = f"{restart.change.label}{also} ({restart.seconds:.0f} s)"
    if restart.refusal:
        return f"{label}: refused: {restart.refusal}"
    assert restart.rows is not None
    verdict = "matches" if restart.rows.agrees else "differs from"
    column = (f"; {restart.change.new_column} in {restart.new_column_rows} of the rows it wrote"
              if restart.change.new_column else "")  # fmt: skip
    return f"{label}: accepted; {verdict} pandas over the records it kept: {restart.rows.words('keys')}{column}"


def describe_point(engine: str, point: Path) -> str:
    if engine == "flink":
        return f"checkpoint {point.name} (retained on cancel)"
    return f"batch {max(spark_checkpoints(point)[0].number, 0)} of its checkpoint folder"


LESSON = Lesson(
    name="query-change",
    question="which changes to a running query can resume from its checkpoint or savepoint?",
    page="docs/lessons/query-change.md",
    run=run,
)
