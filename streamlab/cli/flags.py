"""Flags several commands share: the cluster, the workload and its job, topics, files, engine settings.
Each command module adds its own parser with these (streamlab.cli.parser puts them together)."""

from __future__ import annotations

import argparse

from streamlab import workloads
from streamlab.cliargs import key_value, path, positive_int
from streamlab.engine_clusters import EMBEDDED_ENGINES
from streamlab.settings import AT_LEAST_ONCE, DELIVERY_GUARANTEES


def bootstrap_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT[,...]",
        help="use this Kafka cluster (default: $KAFKA_BOOTSTRAP_SERVERS, else every node of the embedded one, "
        "localhost:9092 when it has one)",
    )


def workload_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "workload",
        choices=list(workloads.WORKLOADS),
        metavar="WORKLOAD",
        help=f"one of: {', '.join(workloads.WORKLOADS)}",
    )


def topic_flags(parser: argparse.ArgumentParser) -> None:
    topics = parser.add_argument_group("topics (default: the workload's own names)")
    topics.add_argument("--topic-prefix", default="", metavar="P", help="prefix every topic of the workload with P")
    topics.add_argument("--input-topic", help="the topic the main job reads")
    topics.add_argument("--output-topic", help="the topic the main job writes")
    topics.add_argument("--dead-letter-topic", help="where rejected records go")
    topics.add_argument(
        "--topic", action="append", default=[], metavar="ROLE=NAME", help="any other topic role, e.g. snapshots=T"
    )


def file_flags(parser: argparse.ArgumentParser) -> None:
    files = parser.add_argument_group("files")
    files.add_argument("--input", type=path, metavar="FILE", help="input file of a file-fed job (sales-batch)")
    files.add_argument(
        "--output-dir", "--output", type=path, dest="output_dir", metavar="DIR",
        help="where a file-writing job writes (default: .run/WORKLOAD/ENGINE)",
    )  # fmt: skip


def job_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--job", metavar="NAME", help="one of the workload's jobs (default: its main job)")


def cluster_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cluster", nargs="?", const=EMBEDDED_ENGINES, default="", metavar="URL",
        help="submit to the engine's own cluster: the one `cluster up --engines` started, or the one at URL "
        "(Flink: a session cluster's REST address http://HOST:8081; Spark: a master's spark://HOST:7077)",
    )  # fmt: skip


def engine_flags(parser: argparse.ArgumentParser) -> None:
    cluster_flag(parser)
    parser.add_argument(
        "--parallelism", type=positive_int, default=1,
        help="Flink parallelism = Spark local cores = shuffle partitions (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--conf", type=key_value, action="append", default=[], metavar="KEY=VALUE",
        help="engine configuration, e.g. execution.buffer-timeout.interval=5ms (Flink), spark.sql.shuffle.partitions=4",
    )  # fmt: skip
    parser.add_argument(
        "--delivery", choices=DELIVERY_GUARANTEES, default=AT_LEAST_ONCE,
        help="Flink only: exactly-once writes every Kafka sink of the job in transactions committed on checkpoints "
        "(readers see records once, after the checkpoint); Spark's Kafka sink is at-least-once (default)",
    )  # fmt: skip
