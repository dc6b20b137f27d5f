"""The whole command line: each command group's module adds its own parser here."""

from __future__ import annotations

import argparse

from streamlab.cli import bench, chaos, check, cluster, compare, dashboard, info, lesson, letters, run, status

DESCRIPTION = "streamlab: one entry point for the cluster, producers, jobs, results, checks, chaos and the bench."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="streamlab", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    info.add_parsers(commands)  # workloads, versions, explain, seed-json
    cluster.add_parser(commands)
    run.add_parsers(commands)  # produce, run, demo, results
    check.add_parser(commands)
    letters.add_parser(commands)
    lesson.add_parser(commands)
    compare.add_parser(commands)
    bench.add_parser(commands)
    chaos.add_parser(commands)
    status.add_parser(commands)
    dashboard.add_parser(commands)
    return parser
