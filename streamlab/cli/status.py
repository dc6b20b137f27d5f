"""`streamlab status`: the jobs of both engines that reported to streaming-metrics lately, and the alerts on
them; `streamlab alerts`: the component that raises those alerts (docs/monitoring.md)."""

from __future__ import annotations

import argparse
import json
import time

from streamlab import display
from streamlab.cli.common import embedded_bootstrap
from streamlab.cli.flags import bootstrap_flag
from streamlab.cliargs import positive_int
from streamlab.monitoring import alerts, status

LINK_COLUMNS = ("ui_url", "prometheus_url")  # in --json and on the dashboard; the terminal lists them below


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "status", help="every job of both engines reporting to streaming-metrics: state, rates, lag, alerts"
    )
    parser.add_argument("--json", action="store_true", help="the same as JSON (the dashboard's /api/jobs)")
    parser.add_argument(
        "--since", type=positive_int, default=int(status.RECENT_S), metavar="S",
        help=f"jobs that reported in the last S seconds, ended ones too (default {int(status.RECENT_S)})",
    )  # fmt: skip
    bootstrap_flag(parser)
    watcher = commands.add_parser(
        "alerts", help=f"raise alerts on the jobs reporting to streaming-metrics, into {alerts.ALERTS_TOPIC}"
    )
    alerts.add_threshold_flags(watcher)
    bootstrap_flag(watcher)


def cmd_status(args: argparse.Namespace) -> None:
    bootstrap = args.bootstrap_servers or embedded_bootstrap()  # looked at, never started
    document = status.document(bootstrap, args.since)
    if args.json:
        print(json.dumps(document, indent=2))
        return
    rows = document["jobs"]
    caption = (
        f"from the newest report of each job on streaming-metrics at {bootstrap}; "
        f"NOT REPORTING: no report for {status.SILENT_S:.0f} s"
    )
    if not rows:
        caption = f"no job reported to streaming-metrics at {bootstrap} in the last {args.since} s"
    shown = [{name: value for name, value in row.items() if name not in LINK_COLUMNS} for row in rows]
    display.console.print(display.table(shown, title="jobs", caption=caption, wrap=("job",)))
    for row in rows:
        links = ", ".join(f"{name.removesuffix('_url')} {row[name]}" for name in LINK_COLUMNS if row.get(name))
        if links and row["state"] == "RUNNING":
            display.console.print(f"{row['job']}: {links}", highlight=False, soft_wrap=True)
    if document["alerts"]:
        display.console.print(display.table(document["alerts"], title="alerts", caption="firing first, then cleared"))


def cmd_alerts(args: argparse.Namespace) -> None:
    """The alerter in the foreground: each alert and clearing as it is written, until Ctrl-C."""
    bootstrap = args.bootstrap_servers or embedded_bootstrap()
    alerter = alerts.Alerter(bootstrap, alerts.thresholds_from(args))
    alerter.start()
    display.console.print(
        f"following {alerts.METRICS_TOPIC} at {bootstrap}, writing alerts to {alerts.ALERTS_TOPIC} (Ctrl-C stops)",
        highlight=False,
    )
    shown = 0
    try:
        while alerter.is_alive():
            time.sleep(0.5)
            for alert in alerter.raised[shown:]:
                colour = "red" if alert.state == alerts.FIRING else "green"
                display.console.print(f"[{colour}]{alert.state}[/] {alert.job} {alert.rule}: {alert.message}")
            shown = len(alerter.raised)
    finally:
        alerter.stop()
