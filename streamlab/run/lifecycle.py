"""A job's life: its topics, its input, starting it (over, or resuming from its checkpoint), the stages of a
pipeline, and the dead-letter count it started with. Outputs are cleared only through streamlab.ownership:
what the lab did not create stays untouched."""

from __future__ import annotations

import argparse
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamlab import display, engines, kafka_admin, monitoring, ownership, results, sqlfiles
from streamlab.engines import ACTIVE_STATES, Pipeline, RunningJob
from streamlab.errors import LabError
from streamlab.producing import ProduceStats
from streamlab.results import APPEND_TOPIC, UPSERT_TOPIC
from streamlab.settings import EXACTLY_ONCE, Settings
from streamlab.workloads import Job, Workload


def ensure_topics(settings: Settings, workload: Workload) -> None:
    if not workload.topics:
        return
    created = ownership.ensure_topics(settings.bootstrap_servers, workload.topic_specs(settings))
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
    job_module = workload.engine_module(job, settings.engine)
    if job.batch:
        settings.required_input_path()
    if fresh or job.batch or not can_resume(settings, job):
        clear_outputs(settings, workload, job, dead_letters=fresh)
    remember_topics(settings)
    for folder in output_folders(settings, job):
        ownership.make_folder(folder)  # the lab's from now on: a rerun may replace what it holds
    ensure_topics(settings, workload)
    if not job.batch:  # a restarted job resumes from its checkpoint whatever --from says: say which it does
        whose = f"{job.name}: " if job.name in workload.pipeline else ""
        display.console.print(f"{whose}{engines.describe_start(settings)}", highlight=False, soft_wrap=True)
        if not engines.resume_points(settings):
            remember_rejects_baseline(settings, job)
    starting = display.console.status(f"starting the {settings.engine} job {workload.name}/{job.name} ...")
    with starting, sqlfiles.replacing(workload.name, settings.sql_files):  # `run --sql NAME=FILE`
        running = job_module.run(settings)
    whose = f"{job.name}: " if job.name in workload.pipeline else ""
    if report_progress(settings, workload, job, running):
        display.console.print(
            f"{whose}progress every second to the {monitoring.METRICS_TOPIC} topic (run {monitoring.RUN_ID})",
            highlight=False,
        )
    engine = settings.engine.capitalize()
    for what, url in ((f"{engine} web UI", running.ui_url()), (f"{engine} Prometheus", running.prometheus_url())):
        if url:
            display.console.print(f"{whose}{what}: {url}", highlight=False, soft_wrap=True)
    return running


REPORTS_ENV = "STREAMLAB_PROGRESS_REPORTS"  # "off": no progress reports (the bench sets it, see engine_job)
_publishers: dict[str, monitoring.Publisher] = {}  # one per cluster this process reports to


def report_progress(settings: Settings, workload: Workload, job: Job, running: RunningJob) -> bool:
    """The job's progress to the streaming-metrics topic while it runs (streamlab.monitoring); False for a
    batch job, which has ended by now."""
    if job.batch or os.environ.get(REPORTS_ENV) == "off":
        return False
    if settings.bootstrap_servers not in _publishers:
        _publishers[settings.bootstrap_servers] = monitoring.Publisher(settings.bootstrap_servers)
    output_dir = str(settings.output_dir) if settings.output_dir else None
    links = {name: url for name, url in (("ui", running.ui_url()), ("prometheus", running.prometheus_url())) if url}
    identity = monitoring.JobIdentity(
        settings.engine, workload.name, job.name, monitoring.RUN_ID, dict(settings.topics), output_dir, links
    )
    monitoring.follow(running, identity, _publishers[settings.bootstrap_servers])
    return True


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


def later_stage_folders(settings: Settings, workload: Workload, job: Job) -> list[Path]:
    """A stage that starts over recreates the topics the next stage reads: that stage's checkpoint, which
    holds offsets into the old topics, can no longer be resumed from (Spark would fail on the lost data)."""
    if job.name not in workload.pipeline:
        return []
    later = workload.pipeline[workload.pipeline.index(job.name) + 1 :]
    if settings.checkpoint_dir is None:
        return [settings.with_(job=name).resolved_checkpoint_dir for name in later]
    if settings.checkpoint_dir.name == job.name:  # one folder per stage below the user's (stages_of)
        return [settings.checkpoint_dir.parent / name for name in later]
    return []  # a folder the user named for this job alone: the others are wherever the user put them


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
    folder = ownership.make_folder(settings.resolved_checkpoint_dir)
    (folder / CHECKPOINT_TOPICS).write_text(json.dumps(_topics_read(settings), sort_keys=True), encoding="utf-8")


def _topics_read(settings: Settings) -> dict[str, Any]:
    return {"bootstrap_servers": settings.bootstrap_servers, "topics": dict(sorted(settings.topics.items()))}


def output_folders(settings: Settings, job: Job) -> list[Path]:
    """The folders a job writes files into: its result's and its rejected lines' (file results only)."""
    specs = [spec for spec in (job.result, job.rejects_spec) if spec is not None and not spec.is_topic]
    return [spec.directory(settings) for spec in specs]


def clear_outputs(settings: Settings, workload: Workload, job: Job, dead_letters: bool = False) -> None:
    """Forget an earlier run: its checkpoint (and the later stages' of a pipeline), the files it wrote, an
    append-only result topic and, for a run that starts over, its dead letters (whose late records would
    be taken for this run's; such a run counts its rejects from 0). All of it the lab's, or nothing goes
    (streamlab.ownership)."""
    folders = [settings.resolved_checkpoint_dir, *later_stage_folders(settings, workload, job)]
    folders += output_folders(settings, job)
    specs = [job.result] + ([job.rejects_spec] if dead_letters and job.rejects_spec else [])
    topics = [topic for spec in specs if spec.kind == APPEND_TOPIC for topic in spec.topics(settings)]
    ownership.clear(settings.bootstrap_servers, topics, folders)  # a batch job names no topic: no Kafka
