"""What command handlers share: the embedded cluster, and the settings of a run built from the flags."""

from __future__ import annotations

import argparse
import os

from streamlab import cluster, engine_clusters, results
from streamlab.cliargs import path
from streamlab.errors import LabError
from streamlab.settings import AT_LEAST_ONCE, DEAD_LETTERS, ENGINES, INPUT, OUTPUT, Settings, bootstrap_from_env
from streamlab.workloads import Job, Workload

EMBEDDED = cluster.embedded_layout()  # .run/kafka, or $STREAMLAB_CLUSTER_DIR


def settings_from(args: argparse.Namespace, workload: Workload, engine: str | None = None) -> Settings:
    engine = engine or getattr(args, "engine", None) or "flink"
    overrides = {INPUT: getattr(args, "input_topic", None), OUTPUT: getattr(args, "output_topic", None),
                 DEAD_LETTERS: getattr(args, "dead_letter_topic", None)}  # fmt: skip
    for pair in getattr(args, "topic", []):
        role, _, name = pair.partition("=")
        if not name:
            raise LabError(f"--topic takes ROLE=NAME, not {pair!r}")
        overrides[role] = name
    overrides = {role: name for role, name in overrides.items() if name}
    return Settings(
        workload=workload.name,
        engine=engine,
        job=getattr(args, "job", None) or workload.job().name,
        bootstrap_servers=getattr(args, "bootstrap_servers", None) or embedded_bootstrap(),
        topics=workload.topic_names(getattr(args, "topic_prefix", ""), overrides),
        input_path=getattr(args, "input", None) or workload.default_input_path(),
        output_dir=getattr(args, "output_dir", None) or workload.default_output_dir(engine),
        checkpoint_dir=getattr(args, "checkpoint_dir", None),
        start_from=getattr(args, "start_from", "earliest"),
        bounded=getattr(args, "bounded", False),
        parallelism=getattr(args, "parallelism", 1),
        engine_conf=dict(getattr(args, "conf", [])),
        spark_trigger=getattr(args, "trigger", ""),
        delivery=getattr(args, "delivery", AT_LEAST_ONCE),
        cluster=engine_clusters.cluster_url(getattr(args, "cluster", ""), engine, EMBEDDED),
        savepoint=getattr(args, "savepoint", None),
        plan_out=getattr(args, "plan_out", None),
        sql_files={name: path(file) for name, file in getattr(args, "sql", [])},
    )


def reading_settings(args: argparse.Namespace, workload: Workload, job: Job) -> Settings:
    """Settings for reading a result back: for file results without --engine, the engine that wrote last."""
    if args.engine or args.output_dir or job.result.is_topic:
        return settings_from(args, workload)
    newest = results.newest_run_dir([job.result.directory(settings_from(args, workload, e)) for e in ENGINES])
    engine = next((e for e in ENGINES if newest and newest.is_relative_to(workload.default_output_dir(e))), "flink")
    return settings_from(args, workload, engine)


def bootstrap_or_embedded(args: argparse.Namespace) -> str:
    """The cluster named by --bootstrap-servers or $KAFKA_BOOTSTRAP_SERVERS; else the embedded one (.run's, or
    $STREAMLAB_CLUSTER_DIR's on the ports it was made with), started if it is not up: every node of it."""
    named = args.bootstrap_servers or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if named:
        return named
    return cluster.up(EMBEDDED, cluster.recorded_brokers(EMBEDDED) or 1)


def embedded_bootstrap() -> str:
    """KAFKA_BOOTSTRAP_SERVERS when set; else every node of the embedded cluster, so that a command still
    finds the cluster with its first node down (a client needs one live address to learn the rest); else
    the default."""
    brokers = cluster.recorded_brokers(EMBEDDED)
    if brokers and not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return EMBEDDED.bootstrap_servers(brokers)
    return bootstrap_from_env(None)
