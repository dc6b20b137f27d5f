"""`streamlab chaos kill-restart|broker-down|kill-worker`: crash a running job, a broker or a worker, then compare with
pandas."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from streamlab import engine_clusters, workloads
from streamlab.cli.common import EMBEDDED, bootstrap_or_embedded, settings_from
from streamlab.cli.flags import bootstrap_flag, engine_flags, workload_arg
from streamlab.cliargs import non_negative_float, non_negative_int, path, positive_float, positive_int
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.settings import ENGINES, Settings
from streamlab.workloads import Workload

if TYPE_CHECKING:
    from streamlab.chaos import ChaosOptions, ChaosReport


def add_parser(commands: argparse._SubParsersAction) -> None:
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
    worker = actions.add_parser(
        "kill-worker",
        help="run the job on the engine's own cluster, SIGKILL a worker under it mid-run, then start it again",
        description="Runs the workload's job on the lab's Flink session cluster or Spark standalone cluster "
        "(`streamlab cluster up --engines`) on fresh topics while its producer writes seeded events; at a seeded "
        "record SIGKILLs the Flink TaskManager running the job's source, or the Spark worker with its executor, at "
        "a later one starts it again, then compares the final result with pandas over every record produced and "
        "says what the engine did meanwhile (from its REST API).",
    )
    _chaos_flags(worker)
    rescale = commands.add_parser(
        "rescale",
        help="stop a job on the engine's cluster with its state kept, resume it at another parallelism, compare",
        description="Runs the workload's job on the lab's Flink session cluster or Spark standalone cluster "
        "(`streamlab cluster up --engines`) at --parallelism on fresh topics while its producer writes seeded events; "
        "once it has checkpointed, stops it at a seeded record (Flink: with a savepoint; Spark: Ctrl-C, its checkpoint "
        "holds the state), resumes it at --to, then compares the final result with pandas over every record produced "
        "and says what the engine kept and what it pinned (Flink's max parallelism, Spark's shuffle partitions).",
    )
    _chaos_flags(rescale, "rescale")
    rescale.add_argument(
        "--to", type=positive_int, required=True, metavar="N",
        help="the parallelism it resumes at: Flink tasks per operator, Spark executor cores",
    )  # fmt: skip


def _chaos_flags(parser: argparse.ArgumentParser, command: str = "chaos") -> None:
    """The flags every chaos action and rescale take: the run's input, topics and folders."""
    parser.add_argument("engine", choices=ENGINES)
    workload_arg(parser)
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
        "--checkpoint-dir", type=path, metavar="D",
        help=f"default .run/{command}/ENGINE/WORKLOAD/checkpoints; cleared first, the runs' logs go to D-logs beside "
        "it and file results (bike-rentals' Parquet) to D-output, also cleared first; a pipeline's stages each get a "
        "folder below D",
    )  # fmt: skip
    parser.add_argument(
        "--producer-args", default="", metavar="ARGS",
        help="more flags for the workload's producer, as `streamlab produce WORKLOAD` takes them; they win over "
        "--count, --rate and --bad-every, e.g. --producer-args '--stations 50 --hours 2' (bike-rentals)",
    )  # fmt: skip
    parser.add_argument(
        "--report-json", type=path, metavar="FILE", help="also write the run's figures to FILE, as JSON"
    )
    parser.add_argument(
        "--topic-prefix", default=f"{command}_", metavar="P",
        help=f"prefix of the run's topics, deleted and created again (default {command}_)",
    )  # fmt: skip
    engine_flags(parser)
    bootstrap_flag(parser)


def cmd_chaos(args: argparse.Namespace) -> None:
    from streamlab import chaos
    from streamlab.chaos.worker import WorkerFault

    workload = workloads.get(args.workload)
    chaos.check_supported(workload)  # before a broker is started or asked
    if args.cluster and args.action != "kill-worker":  # a crash of the client leaves the job running
        raise LabError(
            f"chaos {args.action} crashes the process that runs the job; with --cluster that process is only the "
            "client, and the job runs on. Run it without --cluster, or lose a cluster's worker: `chaos kill-worker`"
        )
    node = getattr(args, "node", None) if args.action == "broker-down" else getattr(args, "broker_down", None)
    if args.action == "kill-worker":  # the job runs on the lab's cluster of the engine: the client here
        args.cluster = args.cluster or engine_clusters.EMBEDDED_ENGINES
    options, settings = _options_and_settings(args, workload, f"chaos {args.action}")
    if node is not None:
        if args.bootstrap_servers:
            raise LabError("a broker down kills a node of the embedded cluster: give no --bootstrap-servers")
        settings = settings.with_(bootstrap_servers=EMBEDDED.bootstrap_servers(chaos.BROKERS))
    else:
        settings = settings.with_(bootstrap_servers=bootstrap_or_embedded(args))
    broker = chaos.BrokerFault(EMBEDDED, node) if node is not None else None
    if args.action == "kill-worker":
        worker = WorkerFault(engine_clusters.engine_layout(EMBEDDED), args.engine)
        report = chaos.node_down(settings, workload, options, worker)
        done = f"with {worker.node} down"
    elif args.action == "broker-down" and broker is not None:
        report = chaos.node_down(settings, workload, options, broker)
        done = f"with node {node} down"
    else:
        report = chaos.kill_restart(settings, workload, options, broker)
        done = f"after {len(report.kills)} kill(s) of {args.engine}" + (f" with node {node} down" if broker else "")
    show_and_judge(report, done, args.report_json)


def show_and_judge(report: ChaosReport, done: str, json_file: Path | None = None) -> None:
    """The report's tables (and its figures as JSON, if asked), then one error line (exit 1) when the result is
    not the oracle's."""
    from streamlab import chaos
    from streamlab.chaos.report import figures

    chaos.show(report)
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(figures(report), indent=2), encoding="utf-8")
    if not report.passed:
        rows, letters = report.verdict.rows, report.verdict.dead_letters
        raise LabError(
            f"{rows.missing:,} missing, {rows.extra:,} extra and {rows.wrong:,} wrong, {letters.missing:,} rejected "
            f"record(s) missing from the dead letters and {letters.unexpected:,} unexpected {done}"
        )


def _options_and_settings(args: argparse.Namespace, workload: Workload, command: str) -> tuple[ChaosOptions, Settings]:
    """The run's options (producer flags, timeout, log folder) and settings (its own folders below D)."""
    from streamlab.chaos import ChaosOptions

    try:
        producer_args = tuple(shlex.split(args.producer_args))
    except ValueError as error:  # an unclosed quote
        raise LabError(f"--producer-args {args.producer_args!r}: {error}") from error
    workload.producer_options(producer_args)  # a flag the producer lacks: exit 2 before Kafka is asked
    if not args.topic_prefix:
        raise LabError(f"{command} deletes and recreates its topics: give it a --topic-prefix of its own")
    folder = command.split()[0]  # .run/chaos or .run/rescale
    checkpoint_dir = args.checkpoint_dir or RUN_DIR / folder / args.engine / workload.name / "checkpoints"
    # the logs sit beside the checkpoint folder, not in it: Spark takes every folder in it for a query's
    log_dir = checkpoint_dir.parent / f"{checkpoint_dir.name}-logs"
    output_dir = checkpoint_dir.parent / f"{checkpoint_dir.name}-output"  # the run's own: cleared, like D
    options = ChaosOptions(
        kills=getattr(args, "kills", 0),  # broker-down: none
        seed=args.seed,
        topic_prefix=args.topic_prefix,
        producer_flags={"--count": args.count, "--rate": args.rate, "--bad-every": args.bad_every},
        producer_args=producer_args,
        timeout_s=args.timeout,
        log_dir=log_dir,
    )
    settings = settings_from(args, workload).with_(checkpoint_dir=checkpoint_dir, output_dir=output_dir)
    return options, settings


def cmd_rescale(args: argparse.Namespace) -> None:
    from streamlab import chaos
    from streamlab.chaos.rescale import rescale

    workload = workloads.get(args.workload)
    chaos.check_supported(workload)
    args.cluster = args.cluster or engine_clusters.EMBEDDED_ENGINES  # the job runs on a cluster of the engine's
    options, settings = _options_and_settings(args, workload, "rescale")
    settings = settings.with_(bootstrap_servers=bootstrap_or_embedded(args))
    report = rescale(settings, workload, options, args.to)
    show_and_judge(report, f"after the rescale from {settings.parallelism} to {args.to}", args.report_json)
