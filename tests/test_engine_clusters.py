"""streamlab.engine_clusters without starting a JVM: ports, configs, markers and the --cluster flag's URL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from streamlab import cluster, engine_clusters
from streamlab.engine_clusters import EMBEDDED_ENGINES, EngineLayout
from streamlab.errors import LabError


def test_the_engines_ports_shift_with_their_brokers() -> None:
    beside_tests = engine_clusters.engine_layout(cluster.ClusterLayout(run_dir=Path("x"), base_port=29092))
    assert beside_tests.port_offset == 20000 and beside_tests.run_dir == Path("x")
    assert beside_tests.flink_rest_url == "http://127.0.0.1:28081"
    assert beside_tests.spark_master_url == "spark://127.0.0.1:27077"
    default = engine_clusters.engine_layout(cluster.ClusterLayout())
    ports = sorted(port for node in engine_clusters.all_nodes(default) for port in node.ports)
    assert ports == [6123, 7077, 8080, 8081, 8091, 9249, 9250, 9251]  # none twice, and 8081 is Flink's alone


def test_each_flink_process_gets_the_shipped_config_with_the_labs_over_it(tmp_path: Path) -> None:
    layout = EngineLayout(run_dir=tmp_path, port_offset=100)
    taskmanager = engine_clusters.node(layout, "flink-taskmanager-2")
    engine_clusters._write_flink_conf(layout, taskmanager)
    config = yaml.safe_load((taskmanager.marker / "config.yaml").read_text())
    assert config["rest.port"] == 8181 and config["jobmanager.rpc.port"] == 6223
    assert config["metrics.reporter.prom.port"] == 9351  # 9249 + 2, shifted
    assert config["taskmanager.numberOfTaskSlots"] == 1 and config["taskmanager.memory.process.size"] == "1280m"
    assert "--add-opens=java.base/java.lang=ALL-UNNAMED" in config["env.java.opts.all"]  # PyFlink's, kept
    assert not any(isinstance(value, dict) for value in config.values())  # one key per setting: no nested copy
    assert (taskmanager.marker / "log4j-console.properties").is_file()
    # the marker is on the command line: start-foreground passes --configDir <conf>
    assert taskmanager.env["FLINK_CONF_DIR"] == str(taskmanager.marker)


def test_the_cluster_flag_names_a_url_or_the_labs_own_which_must_run(tmp_path: Path) -> None:
    brokers = cluster.ClusterLayout(run_dir=tmp_path, base_port=49092)
    assert engine_clusters.cluster_url("", "flink", brokers) == ""  # no flag: the job runs in its own process
    assert engine_clusters.cluster_url("spark://h:7077", "spark", brokers) == "spark://h:7077"
    with pytest.raises(LabError, match=r"no spark cluster answers: `streamlab cluster up --engines`"):
        engine_clusters.cluster_url(EMBEDDED_ENGINES, "spark", brokers)
    assert engine_clusters.status(engine_clusters.engine_layout(brokers)) == []  # never started here


def test_a_flink_cluster_url_must_be_a_rest_address() -> None:
    from streamlab.engines.flink import submit_to_session_cluster

    class Config(dict):
        set = dict.__setitem__

    config = Config()
    submit_to_session_cluster(config, "http://10.0.0.5:18081")
    assert config == {"execution.target": "remote", "rest.address": "10.0.0.5", "rest.port": "18081"}
    with pytest.raises(LabError, match="REST address"):
        submit_to_session_cluster(Config(), "spark://127.0.0.1:7077")
