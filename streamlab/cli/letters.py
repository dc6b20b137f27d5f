"""`streamlab dead-letters WORKLOAD`: what a workload's jobs set aside, and why (streamlab.deadletters)."""

from __future__ import annotations

import argparse

from streamlab import deadletters, display, workloads
from streamlab.cli.common import reading_settings
from streamlab.cli.flags import bootstrap_flag, file_flags, job_arg, topic_flags, workload_arg
from streamlab.cliargs import positive_int
from streamlab.crosscheck import DEFAULT_PREFIX, engine_topics, work_dir
from streamlab.settings import ENGINES


def add_parser(commands: argparse._SubParsersAction) -> None:
    letters = commands.add_parser(
        "dead-letters",
        help="each record a workload's jobs rejected or found late, with its reason and position; counts first",
        description="Reads the dead-letter topics of the workload's jobs (a batch job's rejected-line files) and "
        "shows how many records each reason holds, then the records: reason, source topic, partition, offset and "
        "the record's text. Without --engine it reads the workload's own topics, which `run` and `demo` write.",
    )
    workload_arg(letters)
    job_arg(letters)
    letters.add_argument(
        "--engine", choices=ENGINES,
        help="what that engine set aside in `check` or `demo both`, beside the other engine's: its own topics (a batch "
        "job: its own folder); --topic-prefix then defaults to check's, check_",
    )  # fmt: skip
    letters.add_argument("--reason", default="", metavar="TEXT", help="only records whose reason contains TEXT")
    letters.add_argument("--limit", type=positive_int, default=20, help="records to show per job (default 20)")
    topic_flags(letters)
    file_flags(letters)
    bootstrap_flag(letters)
    letters.set_defaults(topic_prefix=None)  # none given: check_ with --engine, else the workload's own names


def cmd_dead_letters(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    if args.topic_prefix is None:
        args.topic_prefix = DEFAULT_PREFIX if args.engine else ""
    for job in workload.stages(args.job):
        if job.rejects_spec is None:
            continue
        settings = reading_settings(args, workload, job).with_(job=job.name)
        if args.engine and job.rejects_spec.is_topic:  # the topics the engine wrote beside the other's
            settings = settings.with_(topics=engine_topics(workload, args.topic_prefix, args.engine))
        elif args.engine and not args.output_dir:  # a batch job: the folder check gave the engine
            settings = settings.with_(output_dir=work_dir(workload, args.topic_prefix) / args.engine)
        letters = deadletters.read(settings, job, args.reason)
        whose = f"{workload.name}/{job.name}" + (f" ({args.engine})" if args.engine else "")
        matching = f" whose reason contains {args.reason!r}" if args.reason else ""
        if letters.records.empty:
            display.console.print(f"{whose}: no dead letters{matching} in {letters.source} ({letters.total:,} in all)")
            continue
        display.show(
            deadletters.counts(letters),
            title=f"{whose}: {len(letters.records):,} dead letters{matching} in {letters.source}",
            caption=f"share: of all {letters.total:,} the job set aside",
        )
        display.show(
            deadletters.rows(letters, args.limit),
            title=f"the records ({display.first_of(args.limit, len(letters.records))})",
            wrap=("record",),
        )
