"""`streamlab bench`: latency and throughput of both engines on one cluster (see benchmarks/)."""

from __future__ import annotations

import argparse
from pathlib import Path

from streamlab import display, engine_clusters, jars
from streamlab.cli.common import EMBEDDED, bootstrap_or_embedded
from streamlab.cli.flags import bootstrap_flag, cluster_flag
from streamlab.cliargs import path, positive_int
from streamlab.errors import LabError
from streamlab.settings import ENGINES


def add_parser(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser(
        "bench",
        help="latency and throughput of Flink and Spark on one Kafka cluster (see benchmarks/)",
        description="`bench` runs a profile and writes benchmarks/results/<time>/{results.json,report.md}; "
        "`bench compare A B` prints two result sets side by side; `bench report DIR` redraws a report.",
    )
    bench.add_argument("action", nargs="?", default="run", choices=("run", "compare", "report"))
    bench.add_argument("folders", nargs="*", type=Path, metavar="DIR", help="result folders (compare, report)")
    bench.add_argument(
        "--profile",
        default="short",
        choices=("tiny", "short", "full"),
        help="short (default, under 15 minutes on 2 cores), full (about an hour), tiny (the test)",
    )
    bench.add_argument("--out", type=path, metavar="DIR", help="where results go (default benchmarks/results/TIME)")
    bench.add_argument(
        "--only", action="append", default=[], choices=("ceiling", "drain", "latency", "sustainable"),
        help="run only these kinds of run (repeatable), e.g. --profile full --only sustainable",
    )  # fmt: skip
    bench.add_argument("--events", type=positive_int, metavar="N", help="events per drain and ceiling run")
    bench.add_argument("--repetitions", type=positive_int, metavar="N", help="runs of each measurement")
    cluster_flag(bench)
    bootstrap_flag(bench)


def cmd_bench(args: argparse.Namespace) -> None:
    from benchmarks import compare, harness, report
    from benchmarks.profiles import PROFILES

    wanted = {"run": 0, "compare": 2, "report": 1}[args.action]
    if len(args.folders) != wanted:
        raise LabError(f"`bench {args.action}` takes {wanted} result folder(s), not {len(args.folders)}")
    if args.action == "compare":
        table, title, machine = compare.compare(*args.folders)
        display.show(table, title=title, caption="B/A above 1: B is faster (events/s) or slower (p99 ms)")
        if machine:
            display.console.print(f"note: {machine}")
        if regressed := compare.regressions(table):
            raise compare.Regressed(
                f"B is slower than A (a drain down more than {compare.DRAIN_FALL:.0%}, a p99 up more than "
                f"{compare.P99_RISE:.0%}): " + "; ".join(regressed)
            )
        return
    if args.action == "report":
        display.console.print(f"wrote {report.write(args.folders[0])}")
        return
    for module in ("kafka", "flink", "spark"):  # a missing jar: "run make setup" before anything starts
        jars.verify(module)
    profile = harness.adjusted(PROFILES[args.profile], args.events, args.repetitions)
    clusters = bench_clusters(args.cluster)
    folder = harness.bench(profile, bootstrap_or_embedded(args), args.out, tuple(args.only), clusters,
                           engine_clusters.engine_layout(EMBEDDED))  # fmt: skip
    written = report.write(folder)
    display.console.print(harness.summary(folder))
    display.console.print(f"wrote {folder / 'results.json'} and {written}")


def bench_clusters(flag: str) -> dict[str, str]:
    """--cluster alone: both engines on the lab's clusters (`cluster up --engines`); --cluster URL: the engine
    whose cluster it names (spark://... or Flink's http://...), the other in local mode."""
    if not flag:
        return {}
    if flag == engine_clusters.EMBEDDED_ENGINES:
        return {engine: engine_clusters.cluster_url(flag, engine, EMBEDDED) for engine in ENGINES}
    return {"spark" if flag.startswith("spark://") else "flink": flag}
