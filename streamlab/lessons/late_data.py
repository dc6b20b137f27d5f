"""Lesson late-data: the same late records on either engine (seed 003's watermarks). windowed-messages counts
messages per event-time minute, with a watermark 1 minute behind the newest event; the producer adds events 3-4
minutes behind the others. Flink compares each record with its watermark as it arrives and routes a record
whose window has closed to its dead letters, with a reason. Spark moves its watermark between micro-batches
and drops what is behind it, so whether a late record counts depends on where the batch boundaries fall; the
only trace is a counter in its progress (numRowsDroppedByWatermark). Either way the result must match pandas
over the records the engine kept (streamlab.run.verdict)."""

from __future__ import annotations

from streamlab import deadletters, workloads
from streamlab.lessons.common import Lesson, LessonRun, Outcome
from streamlab.run import demo, lifecycle

WORKLOAD = "windowed-messages"
# 300 on-time messages over 10 s (5 minutes of event time), about 5% late ones, every 50th malformed
PRODUCER = ("--count", "300", "--rate", "30", "--late-fraction", "0.05", "--bad-every", "50", "--seed", "42")
LATE = "late"  # the reason Flink's dead letters give a late record starts with it


def run(lesson: LessonRun) -> Outcome:
    workload = workloads.get(WORKLOAD)
    stages = lifecycle.stages_of(lesson.settings(WORKLOAD), workload.stages())
    options = workload.producer_options(PRODUCER)
    demo.run_live(workload, [stages], options)
    judged, progress = demo.verdict_of(stages[-1], workload, lesson.engine)
    settings, job, running = stages[-1].settings, stages[-1].job, stages[-1].running
    assert running is not None
    letters = deadletters.read(settings, job, reason=LATE)
    reasons = sorted(set(letters.records["reason"])) if not letters.records.empty else []
    said = [
        f"{progress.input_records:,} records read; {progress.counted:,} counted in {len(progress.table):,} windows, "
        f"{progress.rejected:,} dead letters",
        f"dead letters for lateness: {len(letters.records):,}" + (f" ({'; '.join(reasons)})" if reasons else ""),
    ]
    if running.drops_late_silently:
        said.append(
            f"dropped without a trace: {progress.dropped:,} record(s) (read, but neither counted nor dead letters)"
        )
        said.append(f"Spark's progress: {running.dropped_by_watermark():,} row(s) dropped by the watermark "
                    f"(numRowsDroppedByWatermark, after partial aggregation); final watermark "
                    f"{running.final_watermark() or '-'}")  # fmt: skip
        expected = (
            "a late record is counted or dropped, by where its micro-batch fell; a dropped one leaves no record, "
            "only the counter; the result matches pandas over what it kept"
        )
        held = judged.passed and letters.records.empty
    else:
        expected = "every record behind the watermark is in the dead letters with its reason; the rest matches pandas"
        held = judged.passed and len(letters.records) == judged.dead_letters.late > 0
    return Outcome("late-data", lesson.engine, tuple(said), expected, held)


LESSON = Lesson(
    name="late-data",
    question="what happens to records that arrive after their window has closed?",
    page="docs/lessons/late-data.md",
    run=run,
)
