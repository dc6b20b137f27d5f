"""`streamlab produce | run | demo | results`: a workload's input, its jobs on one engine, and what they wrote."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

from streamlab import crosscheck, display, engine_clusters, ownership, results, workloads
from streamlab.cli.common import EMBEDDED, bootstrap_or_embedded, reading_settings, settings_from
from streamlab.cli.flags import (
    bootstrap_flag,
    cluster_flag,
    engine_flags,
    file_flags,
    job_arg,
    topic_flags,
    workload_arg,
)
from streamlab.cliargs import key_value, path, path_or_file_uri, positive_int
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.run import demo, lifecycle, live, pairing
from streamlab.run.lifecycle import Stage
from streamlab.settings import ENGINES, START_POSITIONS, Settings
from streamlab.workloads import Workload, input_topics

BOTH = "both"  # `demo both`: the two engines at once, side by side


def add_parsers(commands: argparse._SubParsersAction) -> None:
    _produce_parser(commands)
    run = commands.add_parser("run", help="run a workload's job on one engine")
    run.add_argument("engine", choices=ENGINES)
    workload_arg(run)
    job_arg(run)
    run.add_argument("--bounded", action="store_true", help="read up to the end offsets present at start, then stop")
    run.add_argument(
        "--plan-out", type=path, metavar="PATH",
        help="with --bounded: write the plan the engine ran to PATH once the job has ended (Spark: the last "
        "micro-batch's, with the query's real output mode); `streamlab compare` reads them",
    )  # fmt: skip
    run.add_argument(
        "--from", dest="start_from", choices=START_POSITIONS, default="earliest",
        help="where to start reading when there is no checkpoint (default earliest)",
    )  # fmt: skip
    run.add_argument("--checkpoint-dir", type=path, help="default: .run/checkpoints/ENGINE/WORKLOAD")
    run.add_argument(
        "--from-savepoint", dest="savepoint", type=path_or_file_uri, metavar="PATH",
        help="Flink only: state and offsets from this savepoint instead of the folder's newest checkpoint (as `flink "
        "run --fromSavepoint`); it may set another --parallelism (`streamlab rescale` writes one)",
    )  # fmt: skip
    engine_flags(run)
    run.add_argument(
        "--sql", type=key_value, action="append", default=[], metavar="NAME=FILE",
        help="the job reads FILE where it reads sql/WORKLOAD/NAME.sql: a variant of its SQL, e.g. a changed query "
        "resumed from the old one's checkpoint (docs/lessons/query-change.md)",
    )  # fmt: skip
    run.add_argument(
        "--trigger", default="", metavar="KIND=DURATION",
        help="Spark only: processingTime=500ms, or realTime='10 seconds' (stateless queries); default: back to back",
    )  # fmt: skip
    topic_flags(run)
    file_flags(run)
    bootstrap_flag(run)

    demo_cmd = commands.add_parser(
        "demo",
        help="cluster + topics + producer + job + live table, in one go",
        description="Extra flags go to the workload's producer (see `streamlab produce WORKLOAD --help`).",
        allow_abbrev=False,  # the producer's --output is not an abbreviation of --output-topic
    )
    demo_cmd.add_argument(
        "engine", choices=(*ENGINES, BOTH),
        help="flink, spark, or both: the two live on one input at once, then one table side by side",
    )  # fmt: skip
    workload_arg(demo_cmd)
    demo_cmd.add_argument("--parallelism", type=positive_int, default=1)
    cluster_flag(demo_cmd)
    topic_flags(demo_cmd)
    bootstrap_flag(demo_cmd)

    results_cmd = commands.add_parser("results", help="print the result table of a workload's job")
    workload_arg(results_cmd)
    job_arg(results_cmd)
    results_cmd.add_argument("--engine", choices=ENGINES, help="whose files to read (default: the newest)")
    topic_flags(results_cmd)
    file_flags(results_cmd)
    bootstrap_flag(results_cmd)
    results_cmd.add_argument("--plot", type=path, metavar="FILE.png", help="also draw the result as a picture")
    results_cmd.add_argument("--limit", type=positive_int, default=live.RESULT_ROWS, help="rows to print (default 20)")


def _produce_parser(commands: argparse._SubParsersAction) -> None:
    """`produce WORKLOAD [its own flags]`: each producer declares its flags (see producers/)."""
    produce = commands.add_parser("produce", help="generate a workload's input (Kafka records or a file)")
    per_workload = produce.add_subparsers(dest="workload", required=True, metavar="WORKLOAD")
    for workload in workloads.WORKLOADS.values():
        sub = per_workload.add_parser(workload.name, help=workload.summary)
        workload.producer().add_arguments(sub)
        if workload.topics:
            topic_flags(sub)
            bootstrap_flag(sub)


def cmd_produce(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    display.console.print(lifecycle.produce(settings_from(args, workload), workload, args))


def cmd_run(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    settings = settings_from(args, workload)
    stages = lifecycle.stages_of(settings, workload.stages(args.job))
    if settings.bounded or stages[0].job.batch:
        run_to_the_end(workload, stages)
        for stage in stages:
            live.show_results(stage.settings, workload, stage.job, running=stage.running)
    else:
        follow_live(workload, stages)


def run_to_the_end(workload: Workload, stages: list[Stage]) -> None:
    """Each stage reads its input to the end and stops before the next one starts. A bounded run starts
    over, dead letters included (lifecycle.clear_outputs): nothing to subtract."""
    started = time.monotonic()
    for stage in stages:
        settings, job = stage.settings, stage.job
        stage_started = time.monotonic()
        stage.running = lifecycle.start_job(settings, workload, job, fresh=True)
        try:
            what = settings.input_path if job.batch else " + ".join(input_topics(job, settings))
            with display.console.status(f"{settings.engine} {job.name} is reading {what} to its end ..."):
                stage.running.wait()
        finally:
            stage.running.stop()
        done = f"{settings.engine} finished" + (f" {job.name}" if len(stages) > 1 else "")
        display.console.print(live.describe_run(time.monotonic() - stage_started, done))
    if len(stages) > 1:
        display.console.print(live.describe_run(time.monotonic() - started, "all stages finished"))
    if stages[0].settings.plan_out:
        write_plan(stages[0].settings.plan_out, stages)


def write_plan(path: Path, stages: list[Stage]) -> None:
    """The plan the engine ran; a pipeline's stages one after the other, each under its job's name."""
    plans = [stage.running.executed_plan() if stage.running else "" for stage in stages]
    if len(stages) > 1:
        plans = [f"-- job {stage.job.name}\n{plan}" for stage, plan in zip(stages, plans, strict=True)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(plans), encoding="utf-8")


def follow_live(workload: Workload, stages: list[Stage]) -> None:
    """Start every stage (each once the one before it has caught up) and follow the last one's result."""
    last = stages[-1]
    rejects_before = lifecycle.rejects_baseline(last.settings, last.job)
    running = lifecycle.start_stages(workload, stages)
    try:
        display.console.print("following the output; Ctrl-C stops the job" + ("s" if len(stages) > 1 else ""))
        live.follow(last.settings, workload, last.job, running, rejects_before=rejects_before)
    finally:
        running.stop()


def cmd_results(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    job = workload.job(args.job)
    if args.plot and not workload.plot:
        plottable = ", ".join(w.name for w in workloads.WORKLOADS.values() if w.plot)
        raise LabError(f"{workload.name} has no plot; --plot works for: {plottable}")
    settings = reading_settings(args, workload, job)
    live.show_results(settings, workload, job, args.limit)
    if args.plot:
        from streamlab import plots

        getattr(plots, workload.plot)(results.read_result(job.result, settings), args.plot)
        display.console.print(f"wrote {args.plot}")


def cmd_demo(args: argparse.Namespace, producer_argv: Sequence[str] = ()) -> None:
    """The workload's producer and its job(s) on one engine, followed live, then the result against pandas.
    A demo starts over: its topics and checkpoints too (all of them the lab's: streamlab.ownership), or a
    second demo would count the first one's events again."""
    workload = workloads.get(args.workload)
    options = workload.producer_options(producer_argv)
    if args.engine == BOTH:
        _demo_both(args, workload, options, producer_argv)
        return
    settings = settings_from(args, workload).with_(checkpoint_dir=RUN_DIR / "demo" / args.engine / workload.name)
    if workload.batch:  # a file producer's --output is the file its job reads
        settings = settings.with_(input_path=options.output)
        stages = lifecycle.stages_of(settings, workload.stages())
        display.console.print(lifecycle.produce(settings, workload, options))
        run_to_the_end(workload, stages)
    else:
        settings = settings.with_(bootstrap_servers=bootstrap_or_embedded(args))
        _show_dashboard(args, settings.bootstrap_servers)
        stages = lifecycle.stages_of(settings, workload.stages())
        _demo_live(settings, workload, stages, options, producer_argv)
    for stage in stages:
        whose = settings.engine + (f" {stage.job.name}" if len(stages) > 1 else "")
        demo.verdict_of(stage, workload, whose)


def _show_dashboard(args: argparse.Namespace, bootstrap: str) -> None:
    """On the embedded cluster, the lab's dashboard: started in the background unless one runs, stopped by
    `cluster down`. On a named cluster (a test's, say) nothing is left running: the command that shows it."""
    if args.bootstrap_servers or os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        shown = f"`streamlab dashboard --bootstrap-servers {bootstrap}` shows this run live"
    else:
        from streamlab.dashboard import background

        try:
            shown = background.ensure_running(bootstrap, EMBEDDED.run_dir)
        except OSError as error:  # the demo does not need it
            shown = f"could not be started ({error})"
    display.console.print(f"dashboard: {shown}", highlight=False, soft_wrap=True)


def _demo_live(
    settings: Settings,
    workload: Workload,
    stages: list[Stage],
    options: argparse.Namespace,
    producer_argv: Sequence[str],
) -> None:
    deleted = ownership.clear(settings.bootstrap_servers, list(settings.topics.values()))
    if deleted:
        display.console.print(f"deleted the topics of the last demo: {', '.join(deleted)}")
    demo.run_live(workload, [stages], options, producer_argv)


def _demo_both(args: argparse.Namespace, workload: Workload, options: argparse.Namespace,
               producer_argv: Sequence[str]) -> None:  # fmt: skip
    """Both engines live on one input at once (streamlab.run.pairing), then each one's verdict and the pair's
    table. Each engine writes topics of its own, named as `check` names them."""
    if workload.batch:
        raise LabError(f"demo both runs two live jobs on one stream; {workload.name} reads a file: "
                       f"`streamlab check {workload.name}` runs both engines on one file")  # fmt: skip
    if args.cluster not in ("", engine_clusters.EMBEDDED_ENGINES):
        raise LabError("demo both takes --cluster alone (the lab's clusters of both engines), not one engine's URL")
    bootstrap = bootstrap_or_embedded(args)
    _show_dashboard(args, bootstrap)
    stages = {
        engine: lifecycle.stages_of(
            settings_from(args, workload, engine).with_(
                topics=crosscheck.engine_topics(workload, args.topic_prefix or crosscheck.DEFAULT_PREFIX, engine),
                checkpoint_dir=RUN_DIR / "demo" / BOTH / engine / workload.name,
                bootstrap_servers=bootstrap,
            ),
            workload.stages(),
        )
        for engine in ENGINES
    }
    topics = sorted({topic for engine in ENGINES for topic in stages[engine][0].settings.topics.values()})
    deleted = ownership.clear(bootstrap, topics)
    if deleted:
        display.console.print(f"deleted the topics of the last paired run: {', '.join(deleted)}")
    followed = demo.run_live(workload, [stages[engine] for engine in ENGINES], options, producer_argv)
    sides = []
    for engine, one in zip(ENGINES, followed, strict=True):
        judged, progress = demo.verdict_of(stages[engine][-1], workload, engine)
        written = pairing.records_written(one.settings, one.job, len(progress.table))
        sides.append(pairing.Side(engine, progress, judged, written, tuple(one.ages_s)))
    display.show(
        pairing.summary_rows(sides),
        title=f"{workload.name}: flink and spark side by side, on the same {sides[0].progress.input_records:,} records",
        caption="dead letters of each: `streamlab dead-letters " + workload.name + " --engine flink|spark`",
    )
