"""Lesson falling-behind: input faster than the job drains it (seed 003 §3, input rate against processing rate).
behavior-stats runs live while its producer writes as fast as it can, several times what either engine drains
on this machine, then stops. The lesson reads the job's own progress reports from streaming-metrics (the
engine's input and processing rates and its lag, once a second: docs/monitoring.md), holds them to the lab's
alert rules (streamlab.monitoring.alerts, with a short window), and waits for the job to catch up."""

from __future__ import annotations

import time

from streamlab import display, kafka_admin, monitoring, workloads
from streamlab.engines import ACTIVE_STATES, RunningJob
from streamlab.errors import LabError
from streamlab.lessons.common import Lesson, LessonRun, Outcome
from streamlab.monitoring.alerts import FIRING, Rules, Thresholds
from streamlab.monitoring.envelope import Envelope
from streamlab.producing import ProduceStats
from streamlab.run import lifecycle

WORKLOAD = "behavior-stats"
# as fast as the producer goes (about 60,000/s here): faster than either engine drains
PRODUCER = ("--count", "400000", "--rate", "0", "--bad-every", "0", "--seed", "42")
# the alert rules with a short window: the flood lasts seconds, not the minutes a production alert waits
RULES = Thresholds(alert_after_s=3.0, lag_growth=10_000)
CATCH_UP_S = 300
REPORTS_S = 15  # how long the stopped job's last report may take to arrive
# Spark: without a cap, each micro-batch takes everything that has arrived, so its lag reads 0 and a backlog
# shows only as ever longer batches; capped, as production jobs are, the backlog stays in Kafka as lag
SPARK_CAP = {"source.maxOffsetsPerTrigger": "20000"}


def run(lesson: LessonRun) -> Outcome:
    workload = workloads.get(WORKLOAD)
    settings = lesson.settings(WORKLOAD)
    if lesson.engine == "spark":
        settings = settings.with_(engine_conf=SPARK_CAP)
    job = workload.job()
    started_ms = time.time() * 1000
    running = lifecycle.start_job(settings, workload, job, fresh=True)
    try:
        stats = lifecycle.produce_in_background(settings, workload, workload.producer_options(PRODUCER))
        caught_up_s = wait_for_catch_up(running, stats)
    finally:
        running.stop()
    reports = own_reports(settings.bootstrap_servers, f"{lesson.engine}/{WORKLOAD}/{job.name}", started_ms)
    rules, fired = Rules(RULES), []
    for report in reports:
        fired += [alert for alert in rules.observe(report) if alert.state == FIRING]
    rows = report_rows(reports)
    display.show(rows, title=f"{lesson.engine}'s own progress reports (streaming-metrics), every 2nd")
    peak = max((report.lag_records or 0 for report in reports), default=0)
    behind = [r for r in reports if (r.input_rate or 0) > (r.processing_rate or 0) * (1 + RULES.behind_margin)]
    said = (
        f"{len(reports)} reports; lag peaked at {peak:,} records; input above processing in {len(behind)} of them",
        "alerts fired: " + ("; ".join(f"{a.rule} ({a.message})" for a in fired) or "none"),
        f"caught up {caught_up_s:.0f} s after the producer stopped" if caught_up_s is not None
        else f"not caught up within {CATCH_UP_S} s of the producer's end",
    )  # fmt: skip
    expected = (
        "while the input outruns the job its lag grows and an alert fires (falling-behind or lag-growing); "
        "once the input stops, the job catches up"
    )
    held = peak > RULES.lag_growth and bool(fired) and caught_up_s is not None
    return Outcome("falling-behind", lesson.engine, said, expected, held)


def wait_for_catch_up(running: RunningJob, stats: ProduceStats) -> float | None:
    """Seconds from the producer's end until the job has read everything; None at the timeout."""
    with display.console.status("flooding the input ...") as shown:
        while not stats.done:
            if stats.error:
                raise LabError(f"producing failed: {stats.error}")
            shown.update(f"flooding the input: {stats.sent:,}/{stats.target:,} sent")
            time.sleep(0.5)
        ended = time.monotonic()
        while time.monotonic() - ended < CATCH_UP_S:
            if running.caught_up():
                return time.monotonic() - ended
            shown.update(f"the producer is done; the job is catching up ({time.monotonic() - ended:.0f} s)")
            time.sleep(1.0)
    return None


def own_reports(bootstrap: str, key: str, since_ms: float) -> list[Envelope]:
    """The job's own reports since it started, in order (this process's run: monitoring.RUN_ID), read once its
    last one, the status it ended with, is in the topic (or after REPORTS_S, with what has come)."""
    deadline = time.monotonic() + REPORTS_S
    while True:
        records = kafka_admin.read_topic(bootstrap, monitoring.METRICS_TOPIC, since_ms=int(since_ms))
        reports = [Envelope.from_json(record.value) for record in records if record.value]
        ours = sorted((r for r in reports if r.key == key and r.run_id == monitoring.RUN_ID), key=lambda r: r.ts)
        if (ours and ours[-1].status not in ACTIVE_STATES) or time.monotonic() > deadline:
            return ours
        time.sleep(0.5)


def report_rows(reports: list[Envelope]) -> list[dict[str, object]]:
    """Every second report: its time, the engine's input and processing rates, and its lag."""
    return [
        {"at": report.ts[11:19], "input /s": round(report.input_rate or 0), "processing /s":
         round(report.processing_rate or 0), "lag (records)": report.lag_records if report.lag_records is not None
         else "-", "status": report.status}
        for report in reports[::2]
    ]  # fmt: skip


LESSON = Lesson(
    name="falling-behind",
    question="what does a job show when its input outruns it, and does it catch up?",
    page="docs/lessons/falling-behind.md",
    run=run,
)
