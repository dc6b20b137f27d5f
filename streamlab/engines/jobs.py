"""What the CLI and the tests need from a submitted job, whichever engine runs it; a pipeline of jobs;
and where an engine's own console output goes (its log file, not the lab's tables)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from streamlab.paths import RUN_DIR

LOOPBACK = "127.0.0.1"  # every listener of both engines binds here (tests/integration/test_listeners.py)
ENGINE_OUTPUT_ENV = "STREAMLAB_ENGINE_OUTPUT"  # "terminal": leave the engines' own output on the terminal
ENGINE_LOGS = RUN_DIR / "logs"
engine_log: Path | None = None  # the log file of the engine this process started, for error messages


@contextlib.contextmanager
def output_to_log(engine: str, workload: str) -> Iterator[None]:
    """While an engine's JVM starts, this process's stderr (fd 2) is its log file: the JVM, a child
    process, keeps it, so its console output (Spark's "Using incubator modules", its default log level
    lines, log4j's console warnings) lands in .run/logs/ENGINE-WORKLOAD.log instead of among the lab's
    tables on the terminal. Where stderr is no terminal (a process of `check`, `chaos`, the bench or a
    test, whose output goes to its own log), the JVM's output goes there with it.
    $STREAMLAB_ENGINE_OUTPUT=terminal leaves it on the terminal."""
    global engine_log
    if os.environ.get(ENGINE_OUTPUT_ENV) == "terminal" or not os.isatty(2):
        yield
        return
    engine_log = ENGINE_LOGS / f"{engine}-{workload}.log"
    engine_log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with engine_log.open("ab") as log:
            os.dup2(log.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


ACTIVE_STATES = ("RUNNING", "CREATED", "INITIALIZING", "RESTARTING", "PARTIAL")  # a job in these has not ended


class RunningJob:
    """What the CLI and the tests need from a submitted job, whichever engine runs it."""

    engine = ""
    drops_late_silently = False  # Flink's jobs route late rows to their dead letters; Spark drops them
    plan = ""  # the plan of what was submitted, where the engine gives it before the run (see executed_plan)

    def executed_plan(self) -> str:
        """The plan the engine ran, in its own words ('' where it gave none): `run --plan-out` writes it."""
        return self.plan

    def wait(self) -> None:
        """Block until the job ends (bounded runs); raises if it failed."""
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def status(self) -> str:
        raise NotImplementedError

    def caught_up(self) -> bool:
        """True once the job has read everything in its input topics (as far as the engine tells)."""
        return False

    def ui_url(self) -> str:
        """The engine's own web UI for this job, on loopback; '' where there is none."""
        return ""

    def prometheus_url(self) -> str:
        """The engine's own Prometheus endpoint for this job, on loopback; '' where there is none."""
        return ""

    def drain(self) -> None:
        """Process what has been read to the end and stop: the last open windows are emitted too."""
        self.stop()

    def dropped_by_watermark(self) -> int:
        """Input rows a stateful operator dropped as late, without a trace (Flink's jobs route them instead)."""
        return 0

    def final_watermark(self) -> str:
        """The newest event-time watermark of an engine that reports it per micro-batch (Spark), else ''."""
        return ""

    def time_breakdown(self) -> dict[str, dict[str, float]]:
        """Where the time of an engine that reports it per micro-batch (Spark) goes; {} otherwise."""
        return {}


class Pipeline(RunningJob):
    """Jobs that feed one another, running at the same time: the stages of a workload's pipeline, in
    order. Late-data figures are those of the last stage, the one whose result is followed."""

    def __init__(self, stages: list[RunningJob]) -> None:
        self.stages = stages
        self.engine = stages[-1].engine
        self.drops_late_silently = stages[-1].drops_late_silently

    def wait(self) -> None:
        """Stages that have ended first: a failed stage raises its error without waiting for the others."""
        ended = [stage for stage in self.stages if stage.status() not in ACTIVE_STATES]
        for stage in ended + [stage for stage in self.stages if stage not in ended]:
            stage.wait()

    def stop(self) -> None:
        for stage in self.stages:
            stage.stop()

    def status(self) -> str:
        """A stage's end state (FAILED, say) as soon as it is in one; FINISHED when every stage is."""
        states = [stage.status() for stage in self.stages]
        if all(state == "FINISHED" for state in states):
            return "FINISHED"
        ended = [state for state in states if state not in ACTIVE_STATES and state != "FINISHED"]
        if ended:
            return ended[0]
        return "RUNNING" if all(state == "RUNNING" for state in states) else "PARTIAL"

    def caught_up(self) -> bool:
        return all(stage.caught_up() for stage in self.stages)

    def drain(self) -> None:
        """Stage by stage: each has read all that the one before it wrote before it stops in turn."""
        for stage in self.stages:
            stage.drain()

    def dropped_by_watermark(self) -> int:
        return self.stages[-1].dropped_by_watermark()

    def final_watermark(self) -> str:
        return self.stages[-1].final_watermark()


class FinishedJob(RunningJob):
    """A batch run that was complete when run() returned (Spark's batch writes block until done)."""

    def __init__(self, engine: str) -> None:
        self.engine = engine

    def wait(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def status(self) -> str:
        return "FINISHED"
