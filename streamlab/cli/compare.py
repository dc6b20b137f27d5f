"""`streamlab compare [WORKLOAD ...]`: docs/ENGINES.md from real runs of both engines (streamlab.engines_page)."""

from __future__ import annotations

import argparse

from streamlab import display, engines_page, results, versions, workloads
from streamlab.cli.common import bootstrap_or_embedded, settings_from
from streamlab.cli.flags import bootstrap_flag
from streamlab.cliargs import path

PREFIX = "compare_"  # the check's topics and folder; a rerun replaces them (they are the lab's)


def add_parser(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser(
        "compare",
        help="run every workload on both engines on one seeded input and write docs/ENGINES.md from the runs",
        description="For each workload: `check` (its seeded demo input, both engines bounded in processes of their "
        "own, against pandas), keeping the plan each engine ran; then one page with the shared SQL, both plans, "
        "changelog against output mode, state, delivery, results beside the oracle, bounded time, records written per "
        "input record, and freshness from the newest `make bench`. Exit 1 when an engine differs from pandas.",
    )
    compare.add_argument(
        "workloads", nargs="*", metavar="WORKLOAD",
        help=f"the workloads to set side by side (default: all, in this order: {', '.join(workloads.WORKLOADS)})",
    )  # fmt: skip
    compare.add_argument(
        "--out", type=path, default=engines_page.PAGE, help="the page to write (default docs/ENGINES.md)"
    )
    compare.add_argument(
        "--topic-prefix", default=PREFIX, help=f"the checks' topics and folders (default {PREFIX}; replaced each run)"
    )
    compare.add_argument("--output-dir", type=path, help="where the engines' file results go (default: the check's)")
    bootstrap_flag(compare)


def cmd_compare(args: argparse.Namespace) -> None:
    chosen = [workloads.get(name) for name in (args.workloads or workloads.WORKLOADS)]
    evidence = []
    for index, workload in enumerate(chosen, start=1):
        display.console.print(f"\n[bold]{index}/{len(chosen)}: {workload.name}[/]", highlight=False)
        settings = settings_from(args, workload)
        if not workload.batch:  # a file-fed job needs no Kafka: start none
            settings = settings.with_(bootstrap_servers=bootstrap_or_embedded(args))
        evidence.append(engines_page.gather(settings, workload, args.topic_prefix, args.output_dir))
    text = engines_page.page(evidence, versions.components(), engines_page.newest_bench())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    display.console.print(f"\nwrote {results.display_path(args.out)}: {len(evidence)} workload(s) side by side")
