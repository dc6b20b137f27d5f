"""`streamlab status`: the jobs of both engines that reported to streaming-metrics lately (docs/monitoring.md)."""

from __future__ import annotations

import argparse
import json

from streamlab import display
from streamlab.cli.common import embedded_bootstrap
from streamlab.cli.flags import bootstrap_flag
from streamlab.cliargs import positive_int
from streamlab.monitoring import status


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "status", help="every job of both engines reporting to streaming-metrics: state, rates, lag, last batch"
    )
    parser.add_argument("--json", action="store_true", help="the same rows as JSON")
    parser.add_argument(
        "--since", type=positive_int, default=int(status.RECENT_S), metavar="S",
        help=f"jobs that reported in the last S seconds, ended ones too (default {int(status.RECENT_S)})",
    )  # fmt: skip
    bootstrap_flag(parser)


def cmd_status(args: argparse.Namespace) -> None:
    bootstrap = args.bootstrap_servers or embedded_bootstrap()  # looked at, never started
    rows = status.job_rows(status.newest_reports(bootstrap, args.since))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    caption = (
        f"from the newest report of each job on streaming-metrics at {bootstrap}; "
        f"NOT REPORTING: no report for {status.SILENT_S:.0f} s"
    )
    if not rows:
        caption = f"no job reported to streaming-metrics at {bootstrap} in the last {args.since} s"
    display.console.print(display.table(rows, title="jobs", caption=caption, wrap=("job",)))
