"""`streamlab`: one entry point for the cluster, producers, jobs, results and checks."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from streamlab import cluster, display, jars, kafka_admin, results, runner, workloads
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.settings import ENGINES, START_POSITIONS, Settings, bootstrap_from_env

EMBEDDED = cluster.ClusterLayout()
DEMO_CATCH_UP_S = 180


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT[,...]",
        help="use this Kafka cluster (default: $KAFKA_BOOTSTRAP_SERVERS, else localhost:9092)",
    )


def _workload_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "workload",
        choices=list(workloads.WORKLOADS),
        metavar="WORKLOAD",
        help=f"one of: {', '.join(workloads.WORKLOADS)}",
    )


def _job_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input-topic", help="source topic (default: the workload's)")
    parser.add_argument("--output-topic", help="result topic (default: the workload's)")
    parser.add_argument("--dead-letter-topic", help="where rejected records go (default: the workload's)")
    parser.add_argument(
        "--parallelism",
        type=int,
        default=1,
        help="Flink parallelism = Spark local cores = shuffle partitions (default 1)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streamlab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("workloads", help="list the workloads and which are built")

    cluster_cmd = commands.add_parser("cluster", help="the embedded Apache Kafka cluster (KRaft)")
    cluster_actions = cluster_cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = cluster_actions.add_parser("up", help="start broker(s); a no-op when already up")
    up.add_argument(
        "--brokers",
        type=int,
        choices=(1, 3),
        default=1,
        help="1 broker on 9092, or 3 on 9092-9094 with replication factor 3",
    )
    down = cluster_actions.add_parser("down", help="stop the brokers `up` started")
    down.add_argument("--wipe", action="store_true", help="also delete their data under .run/kafka")
    status = cluster_actions.add_parser("status", help="brokers, topics and consumer-group lag")
    for sub in (up, down, status):
        _common(sub)

    produce = commands.add_parser("produce", help="send a workload's generated events to Kafka")
    _workload_arg(produce)
    produce.add_argument("--count", type=int, default=1000, help="events to send (default 1000)")
    produce.add_argument("--rate", type=float, default=10.0, help="events per second, 0 = as fast as possible")
    produce.add_argument("--seed", type=int, default=42, help="random seed: same seed, same events")
    produce.add_argument("--topic", help="target topic (default: the workload's input topic)")
    produce.add_argument(
        "--bad-every",
        type=int,
        default=0,
        metavar="N",
        help="make every Nth record malformed, to exercise the dead-letter path",
    )
    _common(produce)

    run = commands.add_parser("run", help="run a workload's job on one engine")
    run.add_argument("engine", choices=ENGINES)
    _workload_arg(run)
    _job_flags(run)
    run.add_argument("--checkpoint-dir", type=Path, help="default: .run/checkpoints/ENGINE/WORKLOAD")
    run.add_argument(
        "--from",
        dest="start_from",
        choices=START_POSITIONS,
        default="earliest",
        help="where to start reading when there is no checkpoint (default earliest)",
    )
    run.add_argument("--bounded", action="store_true", help="read up to the end offsets present at start, then stop")
    _common(run)

    demo = commands.add_parser("demo", help="cluster + topics + producer + job + live table, in one go")
    demo.add_argument("engine", choices=ENGINES)
    _workload_arg(demo)
    demo.add_argument("--count", type=int, help="events to send (default: the seed's sample)")
    demo.add_argument("--rate", type=float, help="events per second (default: the seed's)")
    demo.add_argument(
        "--bad-every",
        type=int,
        default=50,
        metavar="N",
        help="every Nth record is malformed and must reach the dead-letter topic (0 = none)",
    )
    demo.add_argument("--parallelism", type=int, default=1)
    _common(demo)

    for name, text in (
        ("results", "print the result table of a workload"),
        ("check", "compare the result table with pandas over the input topic"),
    ):
        sub = commands.add_parser(name, help=text)
        _workload_arg(sub)
        sub.add_argument("--input-topic")
        sub.add_argument("--output-topic")
        _common(sub)

    commands.add_parser("versions", help="the Java, Kafka, Flink and Spark versions this checkout runs")

    explain = commands.add_parser("explain", help="print the engine's plan for a workload")
    explain.add_argument("engine", choices=ENGINES)
    _workload_arg(explain)
    _common(explain)
    return parser


def settings_from(args: argparse.Namespace, engine: str = "flink") -> Settings:
    workload = workloads.get(args.workload)
    return Settings(
        workload=workload.name,
        engine=getattr(args, "engine", engine),
        bootstrap_servers=bootstrap_from_env(args.bootstrap_servers),
        input_topic=getattr(args, "input_topic", None) or workload.input_topic,
        output_topic=getattr(args, "output_topic", None) or workload.output_topic,
        dead_letter_topic=getattr(args, "dead_letter_topic", None) or workload.dead_letter_topic,
        checkpoint_dir=getattr(args, "checkpoint_dir", None),
        start_from=getattr(args, "start_from", "earliest"),
        bounded=getattr(args, "bounded", False),
        parallelism=getattr(args, "parallelism", 1),
    )


def cmd_workloads(args: argparse.Namespace) -> None:
    display.show(
        [
            {
                "workload": w.name,
                "built": "yes" if w.built else "not yet",
                "what it does": w.summary,
                "input topic": w.input_topic,
                "output topic": w.output_topic,
            }
            for w in workloads.WORKLOADS.values()
        ],
        title="workloads",
    )


def cmd_cluster(args: argparse.Namespace) -> None:
    if args.action == "up":
        if args.bootstrap_servers:
            brokers = kafka_admin.broker_ids(args.bootstrap_servers)
            display.console.print(
                f"using the existing cluster at {args.bootstrap_servers} ({len(brokers)} broker(s)); nothing to start"
            )
        else:
            cluster.up(EMBEDDED, args.brokers)
    elif args.action == "down":
        cluster.down(EMBEDDED, wipe=args.wipe)
    else:
        cluster_status(bootstrap_from_env(args.bootstrap_servers))


def cluster_status(bootstrap: str) -> None:
    embedded = cluster.nodes(EMBEDDED)
    if embedded:
        display.show(
            [{"node": n.node_id, "port": n.port, "pid": n.pid or "", "running": n.alive} for n in embedded],
            title=f"embedded brokers ({RUN_DIR.name}/kafka)",
        )
    live_ids = kafka_admin.broker_ids(bootstrap)
    display.console.print(f"cluster at {bootstrap}: brokers {live_ids}")
    display.show(
        kafka_admin.describe_topics(bootstrap),
        title="topics",
        columns=["topic", "partitions", "replication", "compacted"],
    )
    lag = kafka_admin.group_lag(bootstrap)
    display.show(
        lag,
        title="consumer-group lag",
        columns=["group", "topic", "partition", "committed", "end", "lag"],
        caption="Spark keeps its offsets in its checkpoint, not in a group; Flink commits on checkpoints",
    )


def cmd_produce(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    if args.count < 0 or args.rate < 0:
        raise LabError("--count and --rate must not be negative")
    settings = settings_from(args).with_(input_topic=args.topic or workload.input_topic)
    kafka_admin.ensure_topics(settings.bootstrap_servers, runner.topic_specs(settings, workload)[:1])
    sent = runner.produce(settings, workload, args.count, args.rate, args.seed, args.bad_every)
    display.console.print(f"sent {sent:,} records to {settings.input_topic}")


def cmd_run(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    settings = settings_from(args)
    dead_letters_before = runner.dead_letter_baseline(settings)
    job = runner.start_job(settings, workload)
    try:
        if settings.bounded:
            with display.console.status(
                f"{settings.engine} is reading {settings.input_topic} up to its current end offsets ..."
            ):
                job.wait()
            show_results(settings, workload)
        else:
            display.console.print("following the output; Ctrl-C stops the job")
            runner.follow(settings, workload, job, dead_letters_before=dead_letters_before)
    finally:
        job.stop()


def show_results(settings: Settings, workload: workloads.Workload) -> None:
    table = results.read_compacted(settings.bootstrap_servers, settings.output_topic, list(workload.key_columns))
    dead = (
        results.topic_size(settings.bootstrap_servers, settings.dead_letter_topic) if settings.dead_letter_topic else 0
    )
    caption = f"{settings.output_topic}: latest value per key"
    if settings.dead_letter_topic:
        caption += f"; {settings.dead_letter_topic} holds {dead:,} rejected record(s)"
    display.show(table, title=f"{workload.name} results", caption=caption, columns=workload.table_columns)


def cmd_results(args: argparse.Namespace) -> None:
    show_results(settings_from(args), workloads.get(args.workload))


def cmd_check(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    settings = settings_from(args)
    table = results.read_compacted(settings.bootstrap_servers, settings.output_topic, list(workload.key_columns))
    diff = runner.oracle_check(settings, workload, table)
    if not diff.empty:
        display.show(diff, title="engine output vs pandas oracle: differences")
        raise LabError(f"{len(diff)} key(s) differ from the oracle")
    display.console.print(f"[green]{len(table)} keys agree with pandas over {settings.input_topic}[/]")


def cmd_demo(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    bootstrap = args.bootstrap_servers or bootstrap_from_env(None)
    if not args.bootstrap_servers and bootstrap == EMBEDDED.bootstrap_servers(1):
        bootstrap = cluster.up(EMBEDDED, cluster.recorded_brokers(EMBEDDED) or 1)
    settings = settings_from(args).with_(
        bootstrap_servers=bootstrap, checkpoint_dir=RUN_DIR / "demo" / args.engine / workload.name
    )
    runner.fresh_checkpoints(settings)
    dead_letters_before = runner.dead_letter_baseline(settings)
    job = runner.start_job(settings, workload)
    count = workload.demo_count if args.count is None else args.count
    rate = workload.demo_rate if args.rate is None else args.rate
    pace = f"at {rate:g}/s" if rate > 0 else "as fast as possible"
    spoiled = f", every {args.bad_every}th malformed" if args.bad_every else ""
    display.console.print(f"producing {count:,} events {pace}{spoiled}; Ctrl-C stops the demo")
    producer = runner.produce_in_background(settings, workload, count, rate, seed=42, bad_every=args.bad_every)
    try:
        final = runner.follow(
            settings,
            workload,
            job,
            producer=producer,
            until=lambda progress: producer.done and progress.accounted,
            # the producer's own time plus a generous catch-up: a job that never catches up is an error
            timeout_s=(count / rate if rate > 0 else 0) + DEMO_CATCH_UP_S,
            dead_letters_before=dead_letters_before,
        )
    finally:
        producer.stop.set()
        job.stop()
    diff = runner.oracle_check(settings, workload, final.table)
    display.console.print()
    verdict = "[green]matches[/]" if diff.empty else f"[red]differs from[/] ({len(diff)} keys)"
    display.console.print(
        f"{args.engine} result {verdict} the pandas oracle over all "
        f"{final.input_records:,} records of {settings.input_topic}"
    )


HANDLERS = {
    "workloads": cmd_workloads,
    "cluster": cmd_cluster,
    "produce": cmd_produce,
    "run": cmd_run,
    "results": cmd_results,
    "check": cmd_check,
    "demo": cmd_demo,
}


def cmd_explain(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    display.console.print(workload.job(args.engine).explain(settings_from(args)), markup=False, highlight=False)


HANDLERS["explain"] = cmd_explain


def cmd_versions(args: argparse.Namespace) -> None:
    from importlib.metadata import version

    java = subprocess.run([cluster.java_executable(), "-version"], capture_output=True, text=True).stderr
    rows = [
        {"component": "Java", "version": java.splitlines()[0] if java else "?"},
        {"component": "Python", "version": sys.version.split()[0]},
        {"component": "Apache Kafka broker", "version": jars.artifact_version("kafka", "kafka_2.13")},
        {"component": "Apache Flink (apache-flink)", "version": version("apache-flink")},
        {
            "component": "flink-sql-connector-kafka",
            "version": jars.artifact_version("flink", "flink-sql-connector-kafka"),
        },
        {"component": "Apache Spark (pyspark)", "version": version("pyspark")},
        {
            "component": "spark-sql-kafka-0-10_2.13",
            "version": jars.artifact_version("spark", "spark-sql-kafka-0-10_2.13"),
        },
        {
            "component": "Kafka clients: Flink / Spark / Python",
            "version": f"{jars.artifact_version('flink', 'kafka-clients', shaded_in='flink-sql-connector-kafka')} / "
            f"{jars.artifact_version('spark', 'kafka-clients')} / kafka-python {version('kafka-python')}",
        },
    ]
    display.show(rows, title="versions")


HANDLERS["versions"] = cmd_versions


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        HANDLERS[args.command](args)
    except LabError as error:
        display.console.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        return error.exit_code
    except KeyboardInterrupt:
        display.console.print("stopped")
        return 130
    except Exception as error:  # an engine's own failure: one line here, the full trace in its log
        if type(error).__module__.split(".")[0] not in ("py4j", "pyspark", "pyflink"):
            raise
        display.console.print(f"[red]error:[/] the job failed: {_first_line(error)}", highlight=False, soft_wrap=True)
        return 1
    return 0


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    causes = [line for line in lines if "Caused by" in line or "Exception:" in line]
    return (causes[-1] if causes else lines[0] if lines else type(error).__name__)[:300]


if __name__ == "__main__":
    sys.exit(main())
