"""`streamlab workloads | versions | explain | seed-json`: what the lab holds, runs with, and plans."""

from __future__ import annotations

import argparse
import importlib

from streamlab import display, kafka_admin, workloads
from streamlab.cli.common import settings_from
from streamlab.cli.flags import bootstrap_flag, file_flags, job_arg, topic_flags, workload_arg
from streamlab.errors import LabError
from streamlab.oracles import behavior_stats
from streamlab.settings import ENGINES
from streamlab.workloads import Job, Workload, input_topics

SEED_READER = "flink_jobs.behavior_stats_seed"  # the seed's reader, a measurement and not a job of the lab's


def add_parsers(commands: argparse._SubParsersAction) -> None:
    commands.add_parser("workloads", help="list the workloads, their jobs, and what each reads and writes")
    commands.add_parser("versions", help="the Java, Kafka, Flink and Spark versions this checkout runs")
    explain = commands.add_parser("explain", help="print the engine's plan for a workload's job")
    explain.add_argument("engine", choices=ENGINES)
    workload_arg(explain)
    job_arg(explain)
    file_flags(explain)
    bootstrap_flag(explain)
    seed = commands.add_parser(
        "seed-json",
        help="what the seed's lenient JSON reader (json.ignore-parse-errors) makes of behavior-stats' input",
        description="Runs the seed's Flink source ('format' = 'json', 'json.ignore-parse-errors' = 'true') over "
        "the input topic and prints the rows it let through next to what this lab counts and dead-letters.",
    )
    topic_flags(seed)
    bootstrap_flag(seed)


def cmd_workloads(args: argparse.Namespace) -> None:
    rows = []
    for workload in workloads.WORKLOADS.values():
        settings = settings_from(argparse.Namespace(), workload)
        for job in workload.jobs:
            rows.append(
                {
                    "workload": workload.name,
                    "job": job.name + _stage_note(workload, job),
                    "what it does": job.summary,
                    "reads": "a CSV file (--input)" if job.batch else ", ".join(input_topics(job, settings)),
                    "writes": job.result.where(settings),
                }
            )
    display.show(
        rows,
        title="workloads (`run` without --job runs the first job, or every stage of a pipeline)",
        wrap=("what it does", "reads", "writes"),
    )


def _stage_note(workload: Workload, job: Job) -> str:
    if job.name not in workload.pipeline:
        return ""
    return f" (stage {workload.pipeline.index(job.name) + 1} of {len(workload.pipeline)})"


def cmd_explain(args: argparse.Namespace) -> None:
    workload = workloads.get(args.workload)
    job = workload.job(args.job)
    plan = workload.engine_module(job, args.engine).explain(settings_from(args, workload))
    display.console.print(plan, markup=False, highlight=False)


def cmd_versions(args: argparse.Namespace) -> None:
    from streamlab import versions

    display.show([{"component": k, "version": v} for k, v in versions.components().items()], title="versions")


def cmd_seed_json(args: argparse.Namespace) -> None:
    settings = settings_from(args, workloads.get("behavior-stats"))
    records = kafka_admin.read_topic(settings.bootstrap_servers, settings.input_topic)
    if not records:
        raise LabError(f"{settings.input_topic} is empty: `streamlab produce behavior-stats --bad-every 50` first")
    display.console.print(f"reading {len(records):,} records of {settings.input_topic} with the seed's reader ...")
    seed = importlib.import_module(SEED_READER).rows(settings)
    counts, rejected = behavior_stats.counts(records)
    counted = int(counts["behavior_count"].sum())
    reasons = ", ".join(f"{n:,} {reason}" for reason, n in rejected["reason"].value_counts().items())
    display.show(
        [
            {"reader": "this lab (Flink and Spark alike)", "counted": counted,
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
        f"{counted:,} and dead-lettered {len(rejected):,}",
        soft_wrap=True,
    )
    display.console.print("the lab's counts are the pandas oracle's, which the jobs of both engines equal (make test)")
