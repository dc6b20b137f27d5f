"""A live run of a workload, as `demo` runs it (one engine), `demo both` (the two at once) and the lessons: the
jobs started fresh, the workload's producer, the live view until every record is in each result (or each job
has read all of its input), the drain, and each result's verdict against pandas."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from streamlab import display, results
from streamlab.compare import Verdict
from streamlab.run import lifecycle, live, verdict
from streamlab.run.lifecycle import Stage
from streamlab.run.live import Progress
from streamlab.workloads import Workload, input_topics

CATCH_UP_S = 180  # after the producer is done: how long the jobs may take to account for every record


def run_live(
    workload: Workload,
    per_engine: list[list[Stage]],
    options: argparse.Namespace,
    producer_argv: Sequence[str] = (),
    catch_up_s: float = CATCH_UP_S,
) -> list[live.Followed]:
    """Start each engine's jobs (a pipeline's stages each), then the producer into the first engine's input
    topics (the engines share them); follow the results live until done, then drain every job."""
    running = [lifecycle.start_stages(workload, stages, fresh=True) for stages in per_engine]
    followed = [
        live.Followed(stages[-1].settings, stages[-1].job, job) for stages, job in zip(per_engine, running, strict=True)
    ]
    yours = f", then yours: {' '.join(producer_argv)}" if producer_argv else ""
    display.console.print(f"producing with the demo's {' '.join(workload.demo_args)}{yours}; Ctrl-C stops the demo")
    producer = lifecycle.produce_in_background(per_engine[0][0].settings, workload, options)
    try:

        def done(progresses: list[Progress]) -> bool:
            # everything is in the result, or (event-time windows still open) the job has read it all
            caught_up = [p.accounted or one.running.caught_up() for p, one in zip(progresses, followed, strict=True)]
            return producer.done and all(caught_up)

        live.follow_all(workload, followed, done, producer, timeout_s=catch_up_s)
        engines = " and ".join(one.settings.engine for one in followed)
        with display.console.status(f"draining the {engines} job(s): the last open windows are written ..."):
            for one in followed:
                one.running.drain()
    finally:
        producer.stop.set()
        for one in followed:
            one.running.stop()
    return followed


def verdict_of(stage: Stage, workload: Workload, whose: str) -> tuple[Verdict, Progress]:
    """The result table and how it compares with pandas (a live run starts over: every reject is this run's)."""
    settings, job, running = stage.settings, stage.job, stage.running
    assert running is not None
    display.console.print()
    table, progress = live.show_results(settings, workload, job, limit=10, running=running)
    drops = verdict.silent_drop_figures(running, progress.dropped)
    judged = verdict.judge(settings, job, table, drops=drops)
    source = (
        results.display_path(settings.required_input_path()) if job.batch else " + ".join(input_topics(job, settings))
    )
    over = f"over all {progress.input_records:,} records of {source}"
    accounted = "  [all accounted for]" if progress.accounted else ""
    display.console.print(f"{whose} result {verdict.verdict_words(judged, settings.engine, over)}{accounted}")
    return judged, progress
