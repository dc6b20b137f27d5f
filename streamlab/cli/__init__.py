"""`streamlab`: the command line. parser.py builds it from one module per command group; main() runs a
command and turns every failure a user can fix into one line and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from streamlab import display, engines
from streamlab.cli import bench, chaos, check, cluster, compare, dashboard, info, lesson, letters, run, status
from streamlab.cli.parser import build_parser
from streamlab.errors import LabError

HANDLERS: dict[str, Callable] = {
    "workloads": info.cmd_workloads,
    "versions": info.cmd_versions,
    "explain": info.cmd_explain,
    "seed-json": info.cmd_seed_json,
    "cluster": cluster.cmd_cluster,
    "produce": run.cmd_produce,
    "run": run.cmd_run,
    "results": run.cmd_results,
    "check": check.cmd_check,
    "bench": bench.cmd_bench,
    "chaos": chaos.cmd_chaos,
    "rescale": chaos.cmd_rescale,
    "status": status.cmd_status,
    "alerts": status.cmd_alerts,
    "dashboard": dashboard.cmd_dashboard,
    "dead-letters": letters.cmd_dead_letters,
    "lesson": lesson.cmd_lesson,
    "compare": compare.cmd_compare,
}

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "demo":  # a demo passes what it does not know to the producer
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command == "demo":
            run.cmd_demo(args, extra)
        else:
            HANDLERS[args.command](args)
    except LabError as error:
        display.console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        return error.exit_code
    except KeyboardInterrupt:
        display.console.print("stopped")
        return 130
    except Exception as error:  # an engine's (or a Kafka client's) own failure: one line here
        source = type(error).__module__.split(".")[0]
        if source in ("kafka", "confluent_kafka"):
            message = f"Kafka failed: {_first_line(error)}; is the broker still up? (`make cluster-status`)"
            display.console.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)
            return 2
        if source not in ("py4j", "pyspark", "pyflink"):
            raise
        log = f" (the engine's own log: {engines.jobs.engine_log})" if engines.jobs.engine_log else ""
        display.console.print(
            f"[red]error:[/] the job failed: {_first_line(error)}{log}", highlight=False, soft_wrap=True
        )
        return 1
    return 0


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    causes = [line for line in lines if "Caused by" in line or "Exception:" in line]
    return (causes[-1] if causes else lines[0] if lines else type(error).__name__)[:300]


if __name__ == "__main__":
    sys.exit(main())
