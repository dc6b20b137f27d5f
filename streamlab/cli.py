"""`streamlab`: one entry point for the cluster, producers, jobs, results and checks."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from streamlab import cluster, display, jars, kafka_admin, paths, results, runner, workloads
from streamlab.cliargs import (
    key_value,
    non_negative_float,
    non_negative_int,
    output_path,
    positive_float,
    positive_int,
)
from streamlab.engines import RunningJob
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.settings import (
    AT_LEAST_ONCE,
    DEAD_LETTERS,
    DELIVERY_GUARANTEES,
    ENGINES,
    INPUT,
    OUTPUT,
    START_POSITIONS,
    Settings,
    bootstrap_from_env,
)
from streamlab.workloads import Job, Workload, input_topics

EMBEDDED = cluster.embedded_layout()  # .run/kafka, or $STREAMLAB_CLUSTER_DIR
DEMO_CATCH_UP_S = 180


# ---- arguments ---------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT[,...]",
        help="use this Kafka cluster (default: $KAFKA_BOOTSTRAP_SERVERS, else every node of the embedded one, "
        "localhost:9092 when it has one)",
    )


def _workload_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "workload",
        choices=list(workloads.WORKLOADS),
        metavar="WORKLOAD",
        help=f"one of: {', '.join(workloads.WORKLOADS)}",
    )


def _topic_flags(parser: argparse.ArgumentParser) -> None:
    topics = parser.add_argument_group("topics (default: the workload's own names)")
    topics.add_argument("--topic-prefix", default="", metavar="P", help="prefix every topic of the workload with P")
    topics.add_argument("--input-topic", help="the topic the main job reads")
    topics.add_argument("--output-topic", help="the topic the main job writes")
    topics.add_argument("--dead-letter-topic", help="where rejected records go")
    topics.add_argument(
        "--topic", action="append", default=[], metavar="ROLE=NAME", help="any other topic role, e.g. snapshots=T"
    )


def _file_flags(parser: argparse.ArgumentParser) -> None:
    files = parser.add_argument_group("files")
    files.add_argument("--input", type=Path, metavar="FILE", help="input file of a file-fed job (sales-batch)")
    files.add_argument(
        "--output-dir", "--output", type=output_path("--output-dir"), dest="output_dir", metavar="DIR",
        help="where a file-writing job writes (default: .run/WORKLOAD/ENGINE)",
    )  # fmt: skip


def _job_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--job", metavar="NAME", help="one of the workload's jobs (default: its main job)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streamlab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("workloads", help="list the workloads, their jobs, and what each reads and writes")
    _cluster_parser(commands)
    _produce_parser(commands)

    run = commands.add_parser("run", help="run a workload's job on one engine")
    run.add_argument("engine", choices=ENGINES)
    _workload_arg(run)
    _job_arg(run)
    run.add_argument("--bounded", action="store_true", help="read up to the end offsets present at start, then stop")
    run.add_argument(
        "--from",
        dest="start_from",
        choices=START_POSITIONS,
        default="earliest",
        help="where to start reading when there is no checkpoint (default earliest)",
    )
    run.add_argument(
        "--checkpoint-dir", type=output_path("--checkpoint-dir"), help="default: .run/checkpoints/ENGINE/WORKLOAD"
    )
    _engine_flags(run)
    run.add_argument(
        "--trigger", default="", metavar="KIND=DURATION",
        help="Spark only: processingTime=500ms, or realTime='10 seconds' (stateless queries); default: back to back",
    )  # fmt: skip
    _topic_flags(run)
    _file_flags(run)
    _common(run)

    demo = commands.add_parser(
        "demo",
        help="cluster + topics + producer + job + live table, in one go",
        description="Extra flags go to the workload's producer (see `streamlab produce WORKLOAD --help`).",
    )
    demo.add_argument("engine", choices=ENGINES)
    _workload_arg(demo)
    demo.add_argument("--parallelism", type=positive_int, default=1)
    _common(demo)

    results_cmd = commands.add_parser("results", help="print the result table of a workload's job")
    check = commands.add_parser(
        "check",
        help="run both engines on one seeded input and compare them with pandas, side by side",
        description="Without result flags: the workload's producer writes its demo input into fresh topics "
        "(--topic-prefix, default check_), each engine runs the job bounded in its own process into topics and "
        "folders of its own, and both results are shown beside the pandas oracle; non-zero exit on a difference. "
        "With --existing (or any topic, file or --engine flag): check a result a `run` already wrote.",
    )
    for sub in (results_cmd, check):
        _workload_arg(sub)
        _job_arg(sub)
        sub.add_argument("--engine", choices=ENGINES, help="whose files to read (default: the newest) for file results")
        _topic_flags(sub)
        _file_flags(sub)
        _common(sub)
    check.add_argument(
        "--parallelism", type=positive_int, default=1,
        help="for the engines' runs: Flink parallelism = Spark local cores (default 1)",
    )  # fmt: skip
    check.add_argument(
        "--existing", action="store_true",
        help="check the result a `run` already wrote (what any topic, file or --engine flag implies) instead",
    )  # fmt: skip
    check.set_defaults(topic_prefix=None)  # none given: check_ for a run of both engines, "" for --existing
    results_cmd.add_argument(
        "--plot", type=output_path("--plot"), metavar="FILE.png", help="also draw the result as a picture"
    )
    results_cmd.add_argument(
        "--limit", type=positive_int, default=runner.RESULT_ROWS, help="rows to print (default 20)"
    )

    commands.add_parser("versions", help="the Java, Kafka, Flink and Spark versions this checkout runs")
    _bench_parser(commands)
    _chaos_parser(commands)
    seed = commands.add_parser(
        "seed-json",
        help="what the seed's lenient JSON reader (json.ignore-parse-errors) makes of behavior-stats' input",
        description="Runs the seed's Flink source ('format' = 'json', 'json.ignore-parse-errors' = 'true') over "
        "the input topic and prints the rows it let through next to what this lab counts and dead-letters.",
    )
    _topic_flags(seed)
    _common(seed)

    explain = commands.add_parser("explain", help="print the engine's plan for a workload's job")
    explain.add_argument("engine", choices=ENGINES)
    _workload_arg(explain)
    _job_arg(explain)
    _file_flags(explain)
    _common(explain)
    return parser


def _bench_parser(commands: argparse._SubParsersAction) -> None:
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
    bench.add_argument(
        "--out", type=output_path("--out"), metavar="DIR", help="where results go (default benchmarks/results/TIME)"
    )
    bench.add_argument(
        "--only", action="append", default=[], choices=("ceiling", "drain", "latency", "sustainable"),
        help="run only these kinds of run (repeatable), e.g. --profile full --only sustainable",
    )  # fmt: skip
    bench.add_argument("--events", type=positive_int, metavar="N", help="events per drain and ceiling run")
    bench.add_argument("--repetitions", type=positive_int, metavar="N", help="runs of each measurement")
    _common(bench)


def _engine_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parallelism", type=positive_int, default=1,
        help="Flink parallelism = Spark local cores = shuffle partitions (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--conf", type=key_value, action="append", default=[], metavar="KEY=VALUE",
        help="engine configuration, e.g. execution.buffer-timeout.interval=5ms (Flink), spark.sql.shuffle.partitions=4",
    )  # fmt: skip
    parser.add_argument(
        "--delivery", choices=DELIVERY_GUARANTEES, default=AT_LEAST_ONCE,
        help="Flink only: exactly-once writes every Kafka sink of the job in transactions committed on checkpoints "
        "(readers see records once, after the checkpoint); Spark's Kafka sink is at-least-once (default)",
    )  # fmt: skip


def _chaos_parser(commands: argparse._SubParsersAction) -> None:
    chaos = commands.add_parser("chaos", help="crash a running job or a broker, then compare with pandas")
    actions = chaos.add_subparsers(dest="action", required=True, metavar="ACTION")
    kill = actions.add_parser(
        "kill-restart",
        help="SIGKILL the engine's process tree at seeded points while the producer writes, restart it each time",
        description="Runs the workload's job (a pipeline: all of its jobs) unbounded on fresh topics (deleted and "
        "created again) while its producer writes seeded events, some malformed; kills the engine's whole process "
        "tree --kills times, each after a checkpoint completed, restarts it from the same checkpoint folder, then "
        "compares the final result with pandas over every record produced. Exits non-zero when a record is lost or "
        "a value is wrong.",
    )
    _chaos_flags(kill)
    kill.add_argument("--kills", type=positive_int, default=3, help="how many times to kill the job (default 3)")
    kill.add_argument(
        "--broker-down", type=int, choices=(1, 2, 3), metavar="NODE",
        help="also SIGKILL this node of the embedded 3-broker cluster (`streamlab cluster up --brokers 3`) once the "
        "first run has completed a checkpoint; the job is killed and restarted while it is down, and it comes back "
        "(`cluster up`) once the last restart runs",
    )  # fmt: skip
    broker = actions.add_parser(
        "broker-down",
        help="SIGKILL one broker of the embedded 3-broker cluster while the job runs, then bring it back",
        description="Runs the workload's job (a pipeline: all of its jobs) on fresh topics of the embedded 3-broker "
        "cluster (`streamlab cluster up --brokers 3`) while its producer writes seeded events with acks=all; at a "
        "seeded record kills --node with SIGKILL, at a later one restarts it (`cluster up`, until every ISR is full "
        "again), then compares the final result with pandas over every record produced. Exits non-zero when the job "
        "ends, or a record is lost or a value is wrong.",
    )
    _chaos_flags(broker)
    broker.add_argument("--node", type=int, choices=(1, 2, 3), default=2, help="the node to kill (default 2)")


def _chaos_flags(parser: argparse.ArgumentParser) -> None:
    """The flags both chaos actions take: the run's input, topics and folders."""
    parser.add_argument("engine", choices=ENGINES)
    _workload_arg(parser)
    parser.add_argument("--seed", type=int, default=42, help="where the faults fall, and the producer's seed")
    parser.add_argument(
        "--count", type=positive_int, default=3000, help="events to produce, where the producer takes it"
    )
    parser.add_argument("--rate", type=non_negative_float, default=100.0, help="events per second (default 100)")
    parser.add_argument(
        "--bad-every", type=non_negative_int, default=50, metavar="N",
        help="every Nth event malformed, where the producer takes it (default 50)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=positive_float, default=180.0, metavar="S",
        help="longest wait for a checkpoint after a start, and for the job to read all input at the end (default 180)",
    )  # fmt: skip
    parser.add_argument(
        "--checkpoint-dir", type=output_path("--checkpoint-dir"), metavar="D",
        help="default .run/chaos/ENGINE/WORKLOAD/checkpoints; cleared first, the runs' logs go to D-logs beside it "
        "and file results (bike-rentals' Parquet) to D-output, also cleared first; a pipeline's stages each get a "
        "folder below D",
    )  # fmt: skip
    parser.add_argument(
        "--producer-args", default="", metavar="ARGS",
        help="more flags for the workload's producer, as `streamlab produce WORKLOAD` takes them; they win over "
        "--count, --rate and --bad-every, e.g. --producer-args '--stations 50 --hours 2' (bike-rentals)",
    )  # fmt: skip
    parser.add_argument(
        "--topic-prefix", default="chaos_", metavar="P",
        help="prefix of the run's topics, deleted and created again (default chaos_)",
    )  # fmt: skip
    _engine_flags(parser)
    _common(parser)


def _cluster_parser(commands: argparse._SubParsersAction) -> None:
    cluster_cmd = commands.add_parser("cluster", help="the embedded Apache Kafka cluster (KRaft)")
    cluster_actions = cluster_cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = cluster_actions.add_parser(
        "up", help="start broker(s); restarts only the nodes that are down, a no-op when all are up"
    )
    up.add_argument(
        "--brokers",
        type=int,
        choices=(1, 3),
        default=None,
        help="1 broker on 9092, or 3 on 9092-9094 with replication factor 3 (default: the size the "
        "cluster was created with, else 1)",
    )
    down = cluster_actions.add_parser("down", help="stop the brokers `up` started")
    down.add_argument("--wipe", action="store_true", help="also delete their data under .run/kafka")
    status = cluster_actions.add_parser(
        "status", help="nodes, brokers, topics with their in-sync replicas, and consumer-group lag"
    )
    kill = cluster_actions.add_parser(
        "kill", help="SIGKILL one embedded node, as a crash would (`cluster up` restarts it)"
    )
    kill.add_argument("--node", type=positive_int, required=True, metavar="N", help="the node id (1-3)")
    for sub in (up, down, status):
        _common(sub)


def _produce_parser(commands: argparse._SubParsersAction) -> None:
    """`produce WORKLOAD [its own flags]`: each producer declares its flags (see producers/)."""
    produce = commands.add_parser("produce", help="generate a workload's input (Kafka records or a file)")
    per_workload = produce.add_subparsers(dest="workload", required=True, metavar="WORKLOAD")
    for workload in workloads.WORKLOADS.values():
        sub = per_workload.add_parser(workload.name, help=workload.summary)
        if workload.built:
            workload.producer().add_arguments(sub)
        if workload.topics:
            _topic_flags(sub)
        _common(sub)


def producer_options(workload: Workload, argv: Sequence[str]) -> argparse.Namespace:
    """The producer's options parsed from argv, as `streamlab produce WORKLOAD argv` would parse them."""
    parser = argparse.ArgumentParser(prog=f"streamlab produce {workload.name}")
    workload.producer().add_arguments(parser)
    options = parser.parse_args(list(argv))
    report_output_paths(options)
    return options


# the flags that name where something is written (each parsed by cliargs.output_path), by argparse dest
OUTPUT_FLAGS = {"output_dir": "--output-dir", "checkpoint_dir": "--checkpoint-dir", "out": "--out",
                "plot": "--plot", "output": "--output"}  # fmt: skip


def report_output_paths(args: argparse.Namespace) -> None:
    """Where the output paths given lead, resolved: a '..' or a symlink in them shows here."""
    given = [f"{flag} {value}" for dest, flag in OUTPUT_FLAGS.items() if (value := getattr(args, dest, None))]
    if given:
        display.console.print(f"output paths: {', '.join(given)}", highlight=False, soft_wrap=True)


def settings_from(args: argparse.Namespace, workload: Workload, engine: str | None = None) -> Settings:
    engine = engine or getattr(args, "engine", None) or "flink"
    overrides = {INPUT: getattr(args, "input_topic", None), OUTPUT: getattr(args, "output_topic", None),
                 DEAD_LETTERS: getattr(args, "dead_letter_topic", None)}  # fmt: skip
    for pair in getattr(args, "topic", []):
        role, _, name = pair.partition("=")
        if not name:
            raise LabError(f"--topic takes ROLE=NAME, not {pair!r}")
        overrides[role] = name
    overrides = {role: name for role, name in overrides.items() if name}
    return Settings(
        workload=workload.name,
        engine=engine,
        job=getattr(args, "job", None) or (workload.job().name if workload.built else ""),
        bootstrap_servers=getattr(args, "bootstrap_servers", None) or _embedded_bootstrap(),
        topics=workload.topic_names(getattr(args, "topic_prefix", ""), overrides),
        input_path=getattr(args, "input", None) or workload.default_input_path(),
        output_dir=getattr(args, "output_dir", None) or workload.default_output_dir(engine),
        checkpoint_dir=getattr(args, "checkpoint_dir", None),
        start_from=getattr(args, "start_from", "earliest"),
        bounded=getattr(args, "bounded", False),
        parallelism=getattr(args, "parallelism", 1),
        engine_conf=dict(getattr(args, "conf", [])),
        spark_trigger=getattr(args, "trigger", ""),
        delivery=getattr(args, "delivery", AT_LEAST_ONCE),
    )


def reading_settings(args: argparse.Namespace, workload: Workload, job: Job) -> Settings:
    """Settings for reading a result back: for file results without --engine, the engine that wrote last."""
    if args.engine or args.output_dir or job.result.is_topic:
        return settings_from(args, workload)
    newest = results.newest_run_dir([job.result.directory(settings_from(args, workload, e)) for e in ENGINES])
    engine = next((e for e in ENGINES if newest and newest.is_relative_to(workload.default_output_dir(e))), "flink")
    return settings_from(args, workload, engine)


# ---- commands ----------------------------------------------------------------------------------


def cmd_workloads(args: argparse.Namespace) -> None:
    rows = []
    for workload in workloads.WORKLOADS.values():
        settings = settings_from(argparse.Namespace(), workload)
        for job in workload.jobs or (None,):
            rows.append(
                {
                    "workload": workload.name,
                    "job": (job.name + _stage_note(workload, job)) if job else "(not built yet)",
                    "what it does": job.summary if job else workload.summary,
                    "reads": "a CSV file (--input)"
                    if job and job.batch
                    else (", ".join(input_topics(job, settings)) if job else ""),
                    "writes": job.result.where(settings) if job else "",
                }
            )
    display.show(rows, title="workloads (`run` without --job runs the first job, or every stage of a pipeline)")


def _stage_note(workload: Workload, job: Job) -> str:
    if job.name not in workload.pipeline:
        return ""
    return f" (stage {workload.pipeline.index(job.name) + 1} of {len(workload.pipeline)})"


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
    elif args.action == "kill":
        cluster.kill_node(EMBEDDED, args.node)
    else:
        cluster_status(args.bootstrap_servers or _embedded_bootstrap())


def _embedded_bootstrap() -> str:
    """KAFKA_BOOTSTRAP_SERVERS when set; else every node of the embedded cluster, so that a command still
    finds the cluster with its first node down (a client needs one live address to learn the rest); else
    the default."""
    brokers = cluster.recorded_brokers(EMBEDDED)
    if brokers and not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return EMBEDDED.bootstrap_servers(brokers)
    return bootstrap_from_env(None)


def _show_nodes(embedded: list[cluster.NodeState], live_ids: list[int]) -> None:
    """Per embedded node: its process runs, and the cluster lists it as a broker (it has rejoined)."""
    if embedded:
        gone = [str(n.node_id) for n in embedded if not n.alive and n.node_id in live_ids]
        display.show(
            [{"node": n.node_id, "port": n.port, "pid": n.pid or "", "running": n.alive,
              "in cluster": n.node_id in live_ids} for n in embedded],
            title=f"embedded brokers ({RUN_DIR.name}/kafka)",
            # a crashed broker stays registered until its session times out (broker.session.timeout.ms)
            caption=f"node {', '.join(gone)}: process gone, the cluster drops it within about 10 s" if gone else "",
        )  # fmt: skip


def cluster_status(bootstrap: str) -> None:
    embedded = cluster.nodes(EMBEDDED)
    try:
        live_ids = kafka_admin.broker_ids(bootstrap)
    except LabError:
        _show_nodes(embedded, [])  # which nodes are down, even when no broker answers
        raise
    _show_nodes(embedded, live_ids)
    display.console.print(f"cluster at {bootstrap}: brokers {live_ids}")
    _show_topics(bootstrap)
    lag = kafka_admin.group_lag(bootstrap)
    display.show(
        lag,
        title="consumer-group lag",
        columns=["group", "topic", "partition", "committed", "end", "lag"],
        caption="Spark keeps its offsets in its checkpoint, not in a group; Flink commits on checkpoints",
    )


def _show_topics(bootstrap: str) -> None:
    """The user topics, each with its partitions' in-sync replicas: '3/3', or which partitions lag
    (a broker down, or one that has come back and is still catching up)."""
    partitions = kafka_admin.partition_replicas(bootstrap)
    in_sync = kafka_admin.in_sync_by_topic(partitions)
    topics = [{**row, "in-sync": in_sync.get(row["topic"], "")} for row in kafka_admin.describe_topics(bootstrap)]
    lagging = sorted({p.topic for p in partitions if p.topic.startswith("__") and p.under_replicated})
    internal = f"under-replicated internal topics: {', '.join(lagging)}" if lagging else "internal topics in sync"
    display.show(
        topics,
        title="topics",
        columns=["topic", "partitions", "replication", "compacted", "in-sync"],
        caption=f"in-sync: replicas in sync / replicas of each partition; {internal}",
    )


def cmd_produce(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    workload.producer()  # "not built yet" before anything else
    report = runner.produce(settings_from(args, workload), workload, args)
    display.console.print(report)


def cmd_run(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    settings = settings_from(args, workload)
    stages = runner.stages_of(settings, workload.stages(args.job))
    if settings.bounded or stages[0].job.batch:
        run_to_the_end(workload, stages)
    else:
        follow_live(workload, stages)


def run_to_the_end(workload: Workload, stages: list[runner.Stage]) -> None:
    """Each stage reads its input to the end and stops before the next one starts; then the results.
    A bounded run starts over, dead letters included (runner.clear_outputs): nothing to subtract."""
    started = time.monotonic()
    for stage in stages:
        settings, job = stage.settings, stage.job
        stage_started = time.monotonic()
        stage.running = runner.start_job(settings, workload, job, fresh=True)
        try:
            what = settings.input_path if job.batch else " + ".join(input_topics(job, settings))
            with display.console.status(f"{settings.engine} {job.name} is reading {what} to its end ..."):
                stage.running.wait()
        finally:
            stage.running.stop()
        done = f"{settings.engine} finished" + (f" {job.name}" if len(stages) > 1 else "")
        display.console.print(runner.describe_run(time.monotonic() - stage_started, done))
    if len(stages) > 1:
        display.console.print(runner.describe_run(time.monotonic() - started, "all stages finished"))
    for stage in stages:
        runner.show_results(stage.settings, workload, stage.job, running=stage.running)


def follow_live(workload: Workload, stages: list[runner.Stage]) -> None:
    """Start every stage (each once the one before it has caught up) and follow the last one's result."""
    last = stages[-1]
    rejects_before = runner.rejects_baseline(last.settings, last.job)
    running = runner.start_stages(workload, stages)
    try:
        display.console.print("following the output; Ctrl-C stops the job" + ("s" if len(stages) > 1 else ""))
        runner.follow(last.settings, workload, last.job, running, rejects_before=rejects_before)
    finally:
        running.stop()


def cmd_results(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    job = workload.job(args.job)
    if args.plot and not workload.plot:
        raise LabError(f"{workload.name} has no plot; --plot works for: {_plottable()}")
    settings = reading_settings(args, workload, job)
    runner.show_results(settings, workload, job, args.limit)
    if args.plot:
        from streamlab import plots

        getattr(plots, workload.plot)(results.read_result(job.result, settings), args.plot)
        display.console.print(f"wrote {args.plot}")


def _plottable() -> str:
    return ", ".join(w.name for w in workloads.WORKLOADS.values() if w.plot)


def cmd_check(args: argparse.Namespace) -> None:
    from streamlab import crosscheck

    workload = workloads.get(args.workload)
    existing = checks_existing(args)
    if args.topic_prefix is None:  # not given: the workload's own topics to read, the check's own to run engines
        args.topic_prefix = "" if existing else crosscheck.DEFAULT_PREFIX
    if not existing:
        options = producer_options(workload, workload.demo_args)
        settings = settings_from(args, workload)
        if not workload.batch:  # a file-fed job needs no Kafka: start none
            settings = settings.with_(bootstrap_servers=bootstrap_or_embedded(args))
        crosscheck.check_both_engines(settings, workload, workload.stages(args.job), options, args.topic_prefix)
        return
    for job in workload.stages(args.job):
        if job.batch:
            from streamlab import batch

            batch.check_all_engines(settings_from(args, workload), workload, job)
        else:
            check_stream_result(reading_settings(args, workload, job), job)


# flags that name a result a `run` wrote: with any of them, `check` reads that result (as before `check` ran engines)
RESULT_FLAGS = ("engine", "input_topic", "output_topic", "dead_letter_topic", "topic", "input", "output_dir")


def checks_existing(args: argparse.Namespace) -> bool:
    """`check --existing`, or a flag naming an existing result; else `check` runs both engines itself."""
    return args.existing or any(getattr(args, name, None) for name in RESULT_FLAGS)


def check_stream_result(settings: Settings, job: Job) -> None:
    table = results.read_result(job.result, settings)
    verdict = runner.oracle_check(settings, job, table)
    if not verdict.differences.empty:
        display.show(verdict.differences.head(runner.RESULT_ROWS), title=f"{job.name} vs pandas oracle: differences")
        hint = "; where an engine dropped late records without a trace (Spark), `run` and `demo` say how many"
        raise LabError(f"{len(verdict.differences):,} row(s) of {job.name} differ from the oracle{hint}")
    late = f"; {verdict.late:,} late record(s) in the dead letters, left out" if verdict.late else ""
    display.console.print(
        f"[green]{job.name}: {len(table):,} rows agree with pandas over {' + '.join(input_topics(job, settings))}[/] "
        f"({job.result.where(settings)}; the oracle rejects {len(verdict.expected_rejects):,} record(s){late})"
    )


def cmd_demo(args: argparse.Namespace, producer_argv: Sequence[str] = ()) -> None:
    workload = workloads.get(args.workload)
    job = workload.job()
    options = producer_options(workload, [*workload.demo_args, *producer_argv])
    if job.batch:
        from streamlab import batch

        # a file producer's --output is the file its job reads
        batch.demo(settings_from(args, workload, args.engine).with_(input_path=options.output), workload, job, options)
        return
    settings = settings_from(args, workload).with_(
        bootstrap_servers=bootstrap_or_embedded(args), checkpoint_dir=RUN_DIR / "demo" / args.engine / workload.name
    )
    # a demo starts over: its topics too, or a second demo would count the first one's events again
    deleted = kafka_admin.delete_topics(settings.bootstrap_servers, list(settings.topics.values()))
    if deleted:
        display.console.print(f"deleted the topics of the last demo: {', '.join(deleted)}")
    stages = runner.stages_of(settings, workload.stages())
    running = runner.start_stages(workload, stages, fresh=True)
    yours = f", then yours: {' '.join(producer_argv)}" if producer_argv else ""
    display.console.print(f"producing with the demo's {' '.join(workload.demo_args)}{yours}; Ctrl-C stops the demo")
    producer = runner.produce_in_background(settings, workload, options)
    try:
        runner.follow(
            stages[-1].settings,
            workload,
            stages[-1].job,
            running,
            producer=producer,
            # done when everything is in the result, or (event-time windows still open) when the job has read it all
            until=lambda progress: producer.done and (progress.accounted or running.caught_up()),
            timeout_s=DEMO_CATCH_UP_S,
        )
        with display.console.status(f"draining the {args.engine} job: the last open windows are written ..."):
            running.drain()
    finally:
        producer.stop.set()
        running.stop()
    for stage in stages:
        whose = settings.engine + (f" {stage.job.name}" if len(stages) > 1 else "")
        _demo_verdict(stage.settings, workload, stage.job, stage.running, whose)


def _demo_verdict(settings: Settings, workload: Workload, job: Job, running: RunningJob, whose: str) -> None:
    """The result table and how it compares with pandas (a demo starts over: every reject is this run's)."""
    display.console.print()
    table, progress = runner.show_results(settings, workload, job, limit=10, running=running)
    verdict = runner.oracle_check(settings, job, table, drops=runner.silent_drop_figures(running, progress))
    display.console.print(
        f"{whose} result {runner.verdict_words(verdict, settings.engine)} over all "
        f"{progress.input_records:,} records of {' + '.join(input_topics(job, settings))}"
        + ("  [all accounted for]" if progress.accounted else "")
    )


def cmd_explain(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    job = workload.job(args.job)
    plan = workload.engine_module(job, args.engine).explain(settings_from(args, workload))
    display.console.print(plan, markup=False, highlight=False)


def cmd_versions(args: argparse.Namespace) -> None:
    from streamlab import versions

    display.show([{"component": k, "version": v} for k, v in versions.components().items()], title="versions")


def cmd_bench(args: argparse.Namespace) -> None:
    from benchmarks import compare, harness, report
    from benchmarks.profiles import PROFILES

    wanted = {"run": 0, "compare": 2, "report": 1}[args.action]
    if len(args.folders) != wanted:
        raise LabError(f"`bench {args.action}` takes {wanted} result folder(s), not {len(args.folders)}")
    if args.action == "compare":
        table, title = compare.compare(*args.folders)
        display.show(table, title=title, caption="B/A above 1: B is faster (events/s) or slower (p99 ms)")
        return
    if args.action == "report":
        display.console.print(f"wrote {report.write(paths.output_path(args.folders[0], 'bench report DIR'))}")
        return
    for module in ("kafka", "flink", "spark"):  # a missing jar: "run make setup" before anything starts
        jars.verify(module)
    profile = harness.adjusted(PROFILES[args.profile], args.events, args.repetitions)
    folder = harness.bench(profile, bootstrap_or_embedded(args), args.out, tuple(args.only))
    written = report.write(folder)
    display.console.print(harness.summary(folder))
    display.console.print(f"wrote {folder / 'results.json'} and {written}")


def bootstrap_or_embedded(args: argparse.Namespace) -> str:
    """The cluster named by flag or environment; else the embedded one, started if it is not up."""
    bootstrap = args.bootstrap_servers or bootstrap_from_env(None)
    if not args.bootstrap_servers and bootstrap == EMBEDDED.bootstrap_servers(1):
        bootstrap = cluster.up(EMBEDDED, cluster.recorded_brokers(EMBEDDED) or 1)
    return bootstrap


def cmd_chaos(args: argparse.Namespace) -> None:
    from streamlab import chaos

    workload = workloads.get(args.workload)
    chaos.check_supported(workload)  # before a broker is started or asked
    try:
        producer_args = tuple(shlex.split(args.producer_args))
    except ValueError as error:  # an unclosed quote
        raise LabError(f"--producer-args {args.producer_args!r}: {error}") from error
    chaos.producer_options(workload, {}, producer_args)  # a flag the producer lacks: exit 2 before Kafka is asked
    if not args.topic_prefix:
        raise LabError(f"chaos {args.action} deletes and recreates its topics: give it a --topic-prefix of its own")
    checkpoint_dir = args.checkpoint_dir or RUN_DIR / "chaos" / args.engine / workload.name / "checkpoints"
    # the logs sit beside the checkpoint folder, not in it: Spark takes every folder in it for a query's
    log_dir = checkpoint_dir.parent / f"{checkpoint_dir.name}-logs"
    output_dir = checkpoint_dir.parent / f"{checkpoint_dir.name}-output"  # the run's own: cleared, like D
    options = chaos.ChaosOptions(
        kills=getattr(args, "kills", 0),  # broker-down: none
        seed=args.seed,
        topic_prefix=args.topic_prefix,
        producer_flags={"--count": args.count, "--rate": args.rate, "--bad-every": args.bad_every},
        producer_args=producer_args,
        timeout_s=args.timeout,
        log_dir=log_dir,
    )
    node = args.node if args.action == "broker-down" else args.broker_down
    settings = settings_from(args, workload).with_(checkpoint_dir=checkpoint_dir, output_dir=output_dir)
    if node is not None:
        if args.bootstrap_servers:
            raise LabError("a broker down kills a node of the embedded cluster: give no --bootstrap-servers")
        settings = settings.with_(bootstrap_servers=EMBEDDED.bootstrap_servers(chaos.BROKERS))
    else:
        settings = settings.with_(bootstrap_servers=bootstrap_or_embedded(args))
    broker = chaos.BrokerFault(EMBEDDED, node) if node is not None else None
    if args.action == "broker-down" and broker is not None:
        report = chaos.broker_down(settings, workload, options, broker)
        done = f"with node {node} down"
    else:
        report = chaos.kill_restart(settings, workload, options, broker)
        done = f"after {len(report.kills)} kill(s) of {args.engine}" + (f" with node {node} down" if broker else "")
    chaos.show(report)
    if not report.passed:
        raise LabError(
            f"{report.tally.lost:,} lost and {report.tally.wrong:,} wrong, {report.dead_letters.missing:,} rejected "
            f"record(s) missing from the dead letters {done}"
        )


SEED_READER = "flink_jobs.behavior_stats_seed"  # the seed's reader, a measurement and not a job of the lab's


def cmd_seed_json(args: argparse.Namespace) -> None:
    import importlib

    from streamlab import oracles

    settings = settings_from(args, workloads.get("behavior-stats"))
    records = kafka_admin.read_topic(settings.bootstrap_servers, settings.input_topic)
    if not records:
        raise LabError(f"{settings.input_topic} is empty: `streamlab produce behavior-stats --bad-every 50` first")
    display.console.print(f"reading {len(records):,} records of {settings.input_topic} with the seed's reader ...")
    seed = importlib.import_module(SEED_READER).rows(settings)
    counts, rejected = oracles.behavior_stats(records)
    reasons = ", ".join(f"{n:,} {reason}" for reason, n in rejected["reason"].value_counts().items())
    display.show(
        [
            {"reader": "this lab (Flink and Spark alike)", "counted": int(counts["behavior_count"].sum()),
             "with a NULL field": 0, "not counted": f"{len(rejected):,} dead letters, each with its reason"},
            {"reader": "the seed's json.ignore-parse-errors", "counted": seed["rows_read"],
             "with a NULL field": seed["rows_with_nulls"],
             "not counted": f"{len(records) - seed['rows_read']:,} dropped without a trace"},
        ],
        title=f"{len(records):,} records of {settings.input_topic}, read two ways",
    )  # fmt: skip
    display.console.print(f"the lab's dead letters: {reasons or 'none'}")
    display.console.print(
        f"in short: the seed's reader counted {seed['rows_read']:,} ({seed['rows_with_nulls']:,} with a NULL field) "
        f"and dropped {len(records) - seed['rows_read']:,} without a trace; this lab counted "
        f"{int(counts['behavior_count'].sum()):,} and dead-lettered {len(rejected):,}",
        soft_wrap=True,
    )
    display.console.print("the lab's counts are the pandas oracle's, which the jobs of both engines equal (make test)")


HANDLERS = {
    "workloads": cmd_workloads,
    "cluster": cmd_cluster,
    "produce": cmd_produce,
    "run": cmd_run,
    "results": cmd_results,
    "check": cmd_check,
    "explain": cmd_explain,
    "versions": cmd_versions,
    "bench": cmd_bench,
    "chaos": cmd_chaos,
    "seed-json": cmd_seed_json,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        # inside the try: an output path outside the output root is a LabError (cliargs.output_path)
        args, extra = parser.parse_known_args(argv)
        if extra and args.command != "demo":
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        report_output_paths(args)
        if args.command == "demo":
            cmd_demo(args, extra)
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
        display.console.print(f"[red]error:[/] the job failed: {_first_line(error)}", highlight=False, soft_wrap=True)
        return 1
    return 0


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    causes = [line for line in lines if "Caused by" in line or "Exception:" in line]
    return (causes[-1] if causes else lines[0] if lines else type(error).__name__)[:300]


if __name__ == "__main__":
    sys.exit(main())
