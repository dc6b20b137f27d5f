"""Lesson delivery: one kill under at-least-once and one under exactly-once (seed 003's delivery guarantees).
behavior-stats writes an upsert topic: its final view (the latest value per key) is right after a restart
either way, and the raw topic shows the difference. An at-least-once sink writes again what it wrote since
the last checkpoint; Flink's exactly-once sink writes in Kafka transactions committed with the checkpoint, so
a read_committed reader sees each record once. Spark's Kafka sink is at-least-once only.

Each run is `streamlab chaos kill-restart ENGINE behavior-stats --kills 1` in a process of its own (a Flink
job per process: FLINK-23020), whose figures come back as JSON (--report-json)."""

from __future__ import annotations

import json
import time

from streamlab import display
from streamlab.errors import LabError
from streamlab.lessons.common import Lesson, LessonRun, Outcome
from streamlab.processes import StreamlabProcess
from streamlab.settings import AT_LEAST_ONCE, EXACTLY_ONCE, Settings

WORKLOAD = "behavior-stats"
PRODUCER = "--count 500 --rate 80 --bad-every 50"  # 6 s of input: a checkpoint, a kill, a restart
FLINK_CHECKPOINTS = ("--conf", "execution.checkpointing.interval=2 s")  # commits every 2 s, not 10
RUN_TIMEOUT_S = 600


def run(lesson: LessonRun) -> Outcome:
    guarantees = [AT_LEAST_ONCE, EXACTLY_ONCE] if lesson.engine == "flink" else [AT_LEAST_ONCE]
    figures = {guarantee: chaos_run(lesson, guarantee) for guarantee in guarantees}
    said = [describe(guarantee, figures[guarantee]) for guarantee in guarantees]
    if lesson.engine == "spark":
        said.append(f"exactly-once: not offered. {refusal()}")
        expected = "after a kill the final view is right; the raw topic may hold records written twice (at-least-once)"
        return Outcome("delivery", "spark", tuple(said), expected, figures[AT_LEAST_ONCE]["passed"])
    expected = (
        "after a kill the final view is right under both; at-least-once may write records twice in the raw topic, "
        "exactly-once writes none twice"
    )
    held = all(f["passed"] for f in figures.values()) and figures[EXACTLY_ONCE]["raw_duplicates"] == 0
    return Outcome("delivery", "flink", tuple(said), expected, held)


def chaos_run(lesson: LessonRun, guarantee: str) -> dict:
    """One kill and restart under the guarantee, in a process of its own; its figures."""
    folder = lesson.folder / guarantee
    report = folder / "report.json"
    report.unlink(missing_ok=True)
    args = [
        "chaos", "kill-restart", lesson.engine, WORKLOAD, "--kills", "1", "--delivery", guarantee,
        "--producer-args", PRODUCER, "--checkpoint-dir", str(folder / "checkpoints"), "--report-json", str(report),
        "--topic-prefix", f"lesson_delivery_{lesson.engine}_{guarantee.replace('-', '_')}_",
        "--bootstrap-servers", lesson.bootstrap, *(FLINK_CHECKPOINTS if lesson.engine == "flink" else ()),
    ]  # fmt: skip
    process = StreamlabProcess(args, folder / "chaos.log")
    started = time.monotonic()
    with display.console.status(f"{guarantee}: `streamlab chaos kill-restart {lesson.engine} {WORKLOAD}` ...") as shown:
        while process.process.poll() is None:
            if time.monotonic() - started > RUN_TIMEOUT_S:
                process.kill_tree()
                raise LabError(f"the {guarantee} run took longer than {RUN_TIMEOUT_S} s: see {process.log}")
            shown.update(f"{guarantee}: one kill and a restart ({time.monotonic() - started:.0f} s; log {process.log})")
            time.sleep(0.5)
    if not report.is_file():
        raise LabError(f"the {guarantee} run ended without its figures: see {process.log}")
    return json.loads(report.read_text(encoding="utf-8"))


def describe(guarantee: str, figures: dict) -> str:
    kills = ", ".join(f"{record:,}" for record in figures["kill_records"])
    return (
        f"{guarantee}: killed at record {kills} of {figures['produced']:,}, resumed from its checkpoint; final view "
        f"{figures['correct']:,} of {figures['expected']:,} keys right, {figures['missing']} missing, "
        f"{figures['wrong']} wrong; raw topic: {figures['raw_duplicates']:,} record(s) written twice"
    )


def refusal() -> str:
    """The lab's own refusal of exactly-once on Spark, as `run --delivery exactly-once` prints it."""
    try:
        Settings(workload=WORKLOAD, engine="spark", delivery=EXACTLY_ONCE)
    except LabError as error:
        return str(error)
    return ""


LESSON = Lesson(
    name="delivery",
    question="does a crash lose or double anything, and what does exactly-once change?",
    page="docs/lessons/delivery.md",
    run=run,
)
