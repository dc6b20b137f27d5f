"""One engine job in a process of its own, so the harness can measure its whole process tree and
start every run on a cold, equal footing (and FLINK-23020 never bites: one job per process).

    python -m benchmarks.engine_job '{"workload": "behavior-stats", "engine": "flink", ...Settings fields}'

It starts the workload's job exactly as `streamlab run` does (lifecycle.start_job: fresh checkpoint,
topics as the workload declares them) and prints JSON lines prefixed with BENCH_EVENT for the harness:
"submitted" once start_job returned, then "finished" (bounded runs) or "stopped" (live runs, which
run until the harness closes stdin). Everything else the engines print goes to stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

from streamlab import workloads
from streamlab.run import lifecycle
from streamlab.settings import Settings

PREFIX = "BENCH_EVENT "


def emit(event: str, **details: object) -> None:
    print(PREFIX + json.dumps({"event": event, "at": time.time(), **details}), file=sys.__stdout__, flush=True)


def settings_from(spec: dict) -> Settings:
    paths = {name: Path(spec[name]) for name in ("checkpoint_dir", "output_dir") if spec.get(name)}
    return Settings(**{**spec, **paths})


def main(argv: list[str]) -> int:
    # bench jobs report their progress to streaming-metrics as every job does (STREAMLAB_PROGRESS_REPORTS=off
    # for an A/B without them, docs/monitoring.md); the Spark UI stays off: nobody looks at it mid-measurement
    os.environ.setdefault("STREAMLAB_SPARK_UI", "false")
    settings = settings_from(json.loads(argv[1]))
    workload = workloads.get(settings.workload)
    job = workload.job(settings.job or None)
    with contextlib.redirect_stdout(sys.stderr):  # the engines' chatter must not mix with our events
        running = lifecycle.start_job(settings, workload, job, fresh=True)
        emit("submitted")
        try:
            if settings.bounded:
                running.wait()
                emit("finished", status=running.status())
            else:
                sys.stdin.read()  # the harness closes stdin when the measurement is over
                emit("stopping", time_breakdown=running.time_breakdown())
        finally:
            running.stop()
    emit("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
