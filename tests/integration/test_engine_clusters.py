"""The same jobs on the engines' own clusters (`cluster up --engines`, `--cluster`): a Flink standalone session
cluster and a Spark standalone master and worker, beside three brokers, all in a folder and on ports of this
test's own (the engines' ports shift with the brokers': streamlab.engine_clusters.engine_layout)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import psutil
import pytest

from streamlab import cluster, engine_clusters, kafka_admin
from tests.integration.commands import one_line, streamlab, succeeded
from tests.integration.test_cluster import FIRST_BASE_PORT, free_base_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NODES = ("flink-jobmanager", "flink-taskmanager-1", "flink-taskmanager-2", "spark-master", "spark-worker")


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def lab_processes(marker: Path) -> list[str]:
    """Every process whose command line names this test's folder: its brokers' and engines' configs."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(marker) in command:
            found.append(command[:200])
    return found


def test_jobs_run_on_both_engine_clusters_survive_a_lost_worker_and_down_leaves_no_process(tmp_path: Path) -> None:
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=free_base_port(FIRST_BASE_PORT + 1400, brokers=3))
    env = {cluster.CLUSTER_DIR_ENV: str(tmp_path)}  # the CLI's embedded cluster: this one
    engines = engine_clusters.engine_layout(layout)
    try:
        bootstrap = cluster.up(layout, brokers=3, progress=lambda _: None)
        shown = one_line(succeeded(streamlab("cluster", "up", "--engines", env=env, timeout_s=300)))
        assert f"Flink session cluster up: {engines.flink_rest_url}" in shown, shown
        assert f"Spark standalone up: {engines.spark_master_url}" in shown, shown
        status = one_line(succeeded(streamlab("cluster", "status", env=env)))
        for name in NODES:
            assert f"{name} " in status, status

        for workload in ("behavior-stats", "windowed-messages"):
            checked = one_line(
                succeeded(
                    streamlab("check", workload, "--cluster", "--bootstrap-servers", bootstrap, timeout_s=600, env=env)
                )  # fmt: skip
            )
            assert checked.count("agrees with pandas") == 2, checked

        # the jobs ran on the clusters, not in the checking processes
        flink_jobs = get_json(f"{engines.flink_rest_url}/jobs/overview")["jobs"]
        assert sorted(job["state"] for job in flink_jobs) == ["FINISHED", "FINISHED"], flink_jobs
        spark_apps = get_json(f"{engines.spark_master_ui}/json/")["completedapps"]
        assert len(spark_apps) == 2 and all(app["state"] == "FINISHED" for app in spark_apps), spark_apps
        # three brokers: the check's topics have three replicas
        described = [t for t in kafka_admin.describe_topics(bootstrap) if t["topic"].startswith("check_")]
        assert described and {t["replication"] for t in described} == {3}, described

        for engine in ("flink", "spark"):  # a worker lost mid-run: the result is still the oracle's
            chaos = one_line(
                succeeded(
                    streamlab(
                        "chaos",
                        "kill-worker",
                        engine,
                        "behavior-stats",
                        "--count",
                        "1500",
                        "--rate",
                        "100",
                        "--bootstrap-servers",
                        bootstrap,
                        timeout_s=600,
                        env=env,
                    )
                )  # fmt: skip
            )
            assert "chaos kill-worker" in chaos and "worker down" in chaos, chaos
            assert "the engine" in chaos, chaos  # what it did, from its REST API
            assert all(row["running"] for row in engine_clusters.status(engines)), engine_clusters.status(engines)
    finally:
        streamlab("cluster", "down", env=env, timeout_s=180)
    assert engine_clusters.status(engines) and not any(row["running"] for row in engine_clusters.status(engines))
    assert lab_processes(tmp_path) == []
