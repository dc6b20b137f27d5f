"""`streamlab dashboard`: a live web page of every job of both engines on 127.0.0.1 (docs/dashboard.md)."""

from __future__ import annotations

import argparse
import signal
import sys

from streamlab import dashboard, display, kafka_admin
from streamlab.cli.common import embedded_bootstrap
from streamlab.cli.flags import bootstrap_flag
from streamlab.cliargs import non_negative_int
from streamlab.monitoring import alerts


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "dashboard",
        help="a live web page of every job of both engines: rates, lag, results, alerts (on 127.0.0.1)",
        description="Follows streaming-metrics and streaming-alerts and serves one page that updates itself; "
        "runs the alerter too, unless --no-alerts. It never starts a Kafka cluster. Ctrl-C stops it.",
    )
    parser.add_argument(
        "--port", type=non_negative_int, default=dashboard.DEFAULT_PORT,
        help=f"the port on 127.0.0.1 (default {dashboard.DEFAULT_PORT}; 0: any free one)",
    )  # fmt: skip
    parser.add_argument(
        "--no-alerts", action="store_true",
        help=f"run no alerter here: show what another writes to {alerts.ALERTS_TOPIC} (`streamlab alerts`)",
    )  # fmt: skip
    alerts.add_threshold_flags(parser)
    bootstrap_flag(parser)


def cmd_dashboard(args: argparse.Namespace) -> None:
    bootstrap = args.bootstrap_servers or embedded_bootstrap()  # looked at, never started
    kafka_admin.broker_ids(bootstrap)  # no broker: one line naming the fix, before anything starts
    # `cluster down` stops a background dashboard with SIGTERM: the same clean end as Ctrl-C
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    thresholds = None if args.no_alerts else alerts.thresholds_from(args)
    dashboard.serve(bootstrap, args.port, thresholds, announce=lambda url: _announce(url, bootstrap))


def _announce(url: str, bootstrap: str) -> None:
    display.console.print(f"dashboard: {url}", highlight=False, soft_wrap=True)
    display.console.print(f"following the jobs reporting to {bootstrap}; Ctrl-C stops it", highlight=False)
    sys.stdout.flush()  # a parent reading the URL from a pipe gets it now, not at exit
