"""`streamlab check WORKLOAD`: both engines against pandas on one input, or a result a `run` already wrote."""

from __future__ import annotations

import argparse

from streamlab import crosscheck, display, engine_clusters, workloads
from streamlab.cli.common import EMBEDDED, bootstrap_or_embedded, reading_settings, settings_from
from streamlab.cli.flags import bootstrap_flag, cluster_flag, file_flags, job_arg, topic_flags, workload_arg
from streamlab.cliargs import positive_int
from streamlab.errors import LabError
from streamlab.run import live
from streamlab.run.verdict import judge, verdict_words
from streamlab.settings import ENGINES, Settings
from streamlab.workloads import Job, input_topics

# flags that name a result a `run` wrote: with any of them, `check` reads that result instead of running engines
RESULT_FLAGS = ("engine", "input_topic", "output_topic", "dead_letter_topic", "topic")


def add_parser(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "check",
        help="run both engines on one seeded input and compare them with pandas, side by side",
        description="Without result flags: the workload's producer writes its demo input into fresh topics "
        "(--topic-prefix, default check_), or a batch workload's file (or takes --input FILE), each engine runs the "
        "job bounded in its own process into topics and folders of its own, and both results are shown beside the "
        "pandas oracle; non-zero exit on a difference. With --existing (or any topic or --engine flag): check a "
        "result a `run` already wrote.",
    )
    workload_arg(check)
    job_arg(check)
    check.add_argument("--engine", choices=ENGINES, help="with --existing: whose result to read (file results)")
    topic_flags(check)
    file_flags(check)
    bootstrap_flag(check)
    check.add_argument(
        "--parallelism", type=positive_int, default=1,
        help="for the engines' runs: Flink parallelism = Spark local cores (default 1)",
    )  # fmt: skip
    cluster_flag(check)
    check.add_argument(
        "--existing", action="store_true",
        help="check the result a `run` already wrote (what any topic or --engine flag implies) instead",
    )  # fmt: skip
    check.set_defaults(topic_prefix=None)  # none given: check_ for a run of both engines, "" for --existing


def cmd_check(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    existing = args.existing or any(getattr(args, name, None) for name in RESULT_FLAGS)
    if workload.batch and existing:
        raise LabError(
            f"{workload.name} is file-fed: its check runs both engines on a file (--input FILE, default its demo "
            f"input); to see one engine's result, `streamlab results {workload.name} --engine ENGINE`"
        )
    if args.input and not workload.batch:
        raise LabError(f"--input names the file of a file-fed workload; {workload.name} reads Kafka topics")
    if args.topic_prefix is None:  # not given: the workload's own topics to read, the check's own to run engines
        args.topic_prefix = "" if existing else crosscheck.DEFAULT_PREFIX
    if existing:
        for job in workload.stages(args.job):
            check_existing(reading_settings(args, workload, job), job)
        return
    options = workload.producer_options()
    settings = settings_from(args, workload)
    if not workload.batch:  # a file-fed job needs no Kafka: start none
        settings = settings.with_(bootstrap_servers=bootstrap_or_embedded(args))
    clusters = {engine: engine_clusters.cluster_url(args.cluster, engine, EMBEDDED) for engine in ENGINES}
    crosscheck.check_both_engines(
        settings.with_(cluster=""), workload, workload.stages(args.job), options, args.topic_prefix, args.input,
        args.output_dir, clusters,
    )  # fmt: skip


def check_existing(settings: Settings, job: Job) -> None:
    """A result a `run` wrote, against pandas over the input topics as they are now. Copies are tolerated (the
    run may have been restarted: an at-least-once sink writes again what it wrote since its checkpoint)."""
    judged = judge(settings, job, restarted=True)
    if not judged.passed:
        differences = judged.rows.differences
        if not differences.empty:
            shown = display.first_of(live.RESULT_ROWS, len(differences))
            display.show(
                differences.head(live.RESULT_ROWS), title=f"{job.name} vs pandas oracle: differences ({shown})"
            )
        hint = "; where an engine dropped late records without a trace (Spark), `run` and `demo` say how many"
        raise LabError(f"{job.name} {verdict_words(judged, settings.engine)}{hint}")
    over = f"over {' + '.join(input_topics(job, settings))}"
    display.console.print(
        f"{job.name}: {len(judged.table):,} rows in {job.result.where(settings)}; the result "
        f"{verdict_words(judged, settings.engine, over)}"
    )
