"""The same jobs on the engines' own clusters (`cluster up --engines`, `--cluster`): a Flink standalone session
cluster and a Spark standalone master and worker, beside three brokers, all in a folder and on ports of this
module's own (the engines' ports shift with the brokers': streamlab.engine_clusters.engine_layout). The tests
run in order on one topology, started once: up, jobs checked against pandas, a worker lost, a rescale, down."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from streamlab import cluster, engine_clusters, kafka_admin
from tests.integration.commands import one_line, streamlab, succeeded
from tests.integration.test_cluster import FIRST_BASE_PORT, free_base_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NODES = ("flink-jobmanager", "flink-taskmanager-1", "flink-taskmanager-2", "spark-master", "spark-worker")
CHAOS_INPUT = ("--count", "1500", "--rate", "100")  # about 15 s of input: room for a fault and a restart


@dataclass(frozen=True)
class Topology:
    folder: Path
    engines: engine_clusters.EngineLayout
    bootstrap: str
    env: dict[str, str]  # the CLI's embedded cluster: this one

    def run(self, *args: str, timeout_s: float = 600) -> str:
        """A command against this topology, as a user types it; its output on one line (it must succeed)."""
        return one_line(succeeded(streamlab(*args, "--bootstrap-servers", self.bootstrap, timeout_s=timeout_s,
                                            env=self.env)))  # fmt: skip


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def squeezed(table: str) -> str:
    """A table's text without borders and spaces: a cell's words, wrapped over several lines, read as one."""
    return re.sub(r"[\s│]+", "", table)


def lab_processes(marker: Path) -> list[str]:
    """Every process whose command line names this module's folder: its brokers' and engines' configs."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(marker) in command:
            found.append(command[:200])
    return found


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    folder = tmp_path_factory.mktemp("engine-clusters")
    layout = cluster.ClusterLayout(run_dir=folder, base_port=free_base_port(FIRST_BASE_PORT + 1400, brokers=3))
    env = {cluster.CLUSTER_DIR_ENV: str(folder)}
    try:
        bootstrap = cluster.up(layout, brokers=3, progress=lambda _: None)
        yield Topology(folder, engine_clusters.engine_layout(layout), bootstrap, env)
    finally:
        streamlab("cluster", "down", env=env, timeout_s=180)  # after test_down: nothing left to stop


def test_cluster_up_starts_both_engine_clusters(topology: Topology) -> None:
    engines = topology.engines
    shown = one_line(succeeded(streamlab("cluster", "up", "--engines", env=topology.env, timeout_s=300)))
    assert f"Flink session cluster up: {engines.flink_rest_url}" in shown, shown
    assert f"Spark standalone up: {engines.spark_master_url}" in shown, shown
    status = one_line(succeeded(streamlab("cluster", "status", env=topology.env)))
    for name in NODES:
        assert f"{name} " in status, status


def test_jobs_run_on_both_engine_clusters_and_agree_with_pandas(topology: Topology) -> None:
    for workload in ("behavior-stats", "windowed-messages"):
        checked = topology.run("check", workload, "--cluster")
        assert checked.count("agrees with pandas") == 2, checked
    # the jobs ran on the clusters, not in the checking processes
    flink_jobs = get_json(f"{topology.engines.flink_rest_url}/jobs/overview")["jobs"]
    assert sorted(job["state"] for job in flink_jobs) == ["FINISHED", "FINISHED"], flink_jobs
    spark_apps = get_json(f"{topology.engines.spark_master_ui}/json/")["completedapps"]
    assert len(spark_apps) == 2 and all(app["state"] == "FINISHED" for app in spark_apps), spark_apps
    # three brokers: the check's topics have three replicas
    described = [t for t in kafka_admin.describe_topics(topology.bootstrap) if t["topic"].startswith("check_")]
    assert described and {t["replication"] for t in described} == {3}, described


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_a_lost_worker_leaves_the_oracles_result(topology: Topology, engine: str) -> None:
    chaos = topology.run("chaos", "kill-worker", engine, "behavior-stats", *CHAOS_INPUT)
    assert "chaos kill-worker" in chaos and "worker down" in chaos, chaos
    assert "the engine" in chaos, chaos  # what it did, from its REST API
    rows = engine_clusters.status(topology.engines)
    assert all(row["running"] for row in rows), rows  # the worker is back


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_a_job_rescaled_from_1_to_2_keeps_its_state(topology: Topology, engine: str) -> None:
    """Stopped at parallelism 1 with its state kept, resumed at 2: the result is still the oracle's, and the engine
    says what it restored (Flink) or what the checkpoint pinned (Spark)."""
    rescaled = topology.run("rescale", engine, "behavior-stats", "--to", "2", *CHAOS_INPUT)
    assert f"rescale: {engine} behavior-stats" in rescaled and "passed:" in rescaled, rescaled
    said = squeezed(rescaled)  # the engine's lines wrap inside their table cells
    expected = ["parallelism1->2"] + (
        ["2verticesatparallelism2", "(is_savepointTrue)"]
        if engine == "flink"
        else ["pinsspark.sql.shuffle.partitions=1", "ran1statepartition(s)aftertherestart", "executorsnow:2core(s)"]
    )
    assert all(words in said for words in expected), rescaled


def test_cluster_down_leaves_no_lab_process(topology: Topology) -> None:
    succeeded(streamlab("cluster", "down", env=topology.env, timeout_s=180))
    rows = engine_clusters.status(topology.engines)
    assert rows and not any(row["running"] for row in rows), rows
    assert lab_processes(topology.folder) == []
