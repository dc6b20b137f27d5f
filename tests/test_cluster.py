"""streamlab.cluster without a broker: the cluster id a fresh embedded cluster is formatted with, restarting
only the nodes that are down, killing one, and the in-sync summary `cluster status` shows."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from kafka.errors import NodeNotReadyError

from streamlab import cli, cluster, kafka_admin, workloads
from streamlab.cli import common
from streamlab.errors import LabError


def test_a_fresh_cluster_id_never_starts_with_a_dash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kafka-storage would take `-t -Xy...` for an option and refuse to format (1 fresh id in 64)."""
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x00" * 15 + b"\x01")])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(drawn))
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=1)
    assert cluster._cluster_id(layout) == "AAAAAAAAAAAAAAAAAAAAAQ"  # the second draw: the first began with "-"


def test_fresh_cluster_ids_are_kafka_shaped(tmp_path: Path) -> None:
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=1)
    ids = {cluster._cluster_id(layout) for _ in range(500)}
    assert len(ids) == 500
    assert all(len(cid) == 22 and not cid.startswith("-") for cid in ids)


# ---- a broker down: restarting only the dead nodes, killing one, the in-sync summary --------------


def partition(topic: str, number: int, isr: tuple[int, ...], leader: int = 1) -> kafka_admin.PartitionReplicas:
    return kafka_admin.PartitionReplicas(topic, number, leader, (1, 2, 3), isr)


def test_in_sync_says_full_or_under_replicated() -> None:
    assert partition("t", 0, (1, 2, 3)).in_sync == "3/3"
    assert partition("t", 0, (1, 3)).in_sync == "2/3 under-replicated"
    assert partition("t", 0, (1, 3)).under_replicated and not partition("t", 0, (1, 2, 3)).under_replicated


def test_in_sync_by_topic_names_the_lagging_partitions() -> None:
    partitions = [partition("a", 0, (1, 2, 3)), partition("a", 1, (1, 2, 3)), partition("b", 0, (2, 3)),
                  partition("b", 1, (1, 2, 3)), partition("b", 2, (3,))]  # fmt: skip
    assert kafka_admin.in_sync_by_topic(partitions) == {"a": "3/3", "b": "under-replicated: p0 2/3, p2 1/3"}


@pytest.mark.parametrize(
    ("brokers", "partitions", "expected"),
    [
        ([1, 2, 3], [partition("t", 0, (1, 2, 3))], True),
        ([1, 3], [partition("t", 0, (1, 2, 3))], False),  # node 2 not registered yet
        ([1, 2, 3], [partition("t", 0, (1, 3))], False),  # registered, its replica not caught up yet
        ([1, 2, 3], [partition("t", 0, (1, 2, 3), leader=-1)], False),  # no leader
    ],
    ids=["rejoined", "not-registered", "catching-up", "leaderless"],
)
def test_fully_replicated_needs_every_broker_and_every_replica_in_sync(
    monkeypatch: pytest.MonkeyPatch, brokers: list[int], partitions: list, expected: bool
) -> None:
    monkeypatch.setattr(kafka_admin, "broker_ids", lambda _: brokers)
    monkeypatch.setattr(kafka_admin, "partition_replicas", lambda _: partitions)
    assert kafka_admin.fully_replicated("localhost:1", 3) is expected


@dataclass
class FakeStart:
    """Stands in for starting broker processes: records which nodes were started; they never exit
    unless `exit_code` says so."""

    exit_code: int | None = None
    started: list[int] = field(default_factory=list)
    stopped: list[list[int]] = field(default_factory=list)

    def start(self, layout: cluster.ClusterLayout, node_id: int, brokers: int, cluster_id: str) -> object:
        self.started.append(node_id)
        return SimpleNamespace(poll=lambda: self.exit_code)

    def stop(self, layout: cluster.ClusterLayout, node_ids: list[int]) -> int:
        self.stopped.append(node_ids)
        return len(node_ids)


@pytest.fixture
def fake_start(monkeypatch: pytest.MonkeyPatch) -> FakeStart:
    fake = FakeStart()
    monkeypatch.setattr(cluster, "_start_node", fake.start)
    monkeypatch.setattr(cluster, "_stop_nodes", fake.stop)
    monkeypatch.setattr(cluster.jars, "verify", lambda _: None)
    monkeypatch.setattr(cluster, "_check_ports_free", lambda *_: None)
    monkeypatch.setattr(cluster, "port_in_use", lambda *_: False)
    monkeypatch.setattr(cluster, "_listening", lambda *_: True)
    monkeypatch.setattr(cluster.time, "sleep", lambda _: None)
    return fake


def three_node_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alive: tuple[bool, ...]
) -> cluster.ClusterLayout:
    """A recorded 3-broker cluster whose nodes run (or not) as `alive` says."""
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=40000)
    layout.home.mkdir(parents=True)
    layout.state_file.write_text(json.dumps({"brokers": 3, "cluster_id": "kept-id", "base_port": 40000}))
    states = [cluster.NodeState(n, layout.broker_port(n), 100 + n, up) for n, up in enumerate(alive, start=1)]
    monkeypatch.setattr(cluster, "nodes", lambda _: states)
    return layout


def test_up_restarts_only_the_nodes_that_are_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_start: FakeStart
) -> None:
    layout = three_node_cluster(tmp_path, monkeypatch, (True, False, True))
    asked: list[tuple[str, int]] = []
    monkeypatch.setattr(kafka_admin, "fully_replicated", lambda bootstrap, n: asked.append((bootstrap, n)) or True)
    messages: list[str] = []
    bootstrap = cluster.up(layout, progress=messages.append)  # no size given: the recorded one
    assert bootstrap == "localhost:40000,localhost:40001,localhost:40002"
    assert fake_start.started == [2]
    # ready means rejoined with every ISR full, asked through the nodes that ran all along: no client of
    # ours connects to the port being restarted (see cluster._bind_failed)
    assert asked == [("localhost:40000,localhost:40002", 3)]
    assert messages == [
        "restarting Kafka node(s) 2 (port 40001): the others are running ...",
        f"restarted node(s) 2 (port 40001): back in the cluster at {bootstrap}, every partition's ISR full",
    ]
    assert json.loads(layout.state_file.read_text())["cluster_id"] == "kept-id"


def test_a_restarted_node_is_back_only_once_it_listens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_start: FakeStart
) -> None:
    """Right after a kill the others still list the dead node in every ISR: that alone is not a rejoin."""
    layout = three_node_cluster(tmp_path, monkeypatch, (True, False, True))
    answers = iter([False, False, True])
    monkeypatch.setattr(cluster, "_listening", lambda _layout, ids: ids == [2] and next(answers))
    asked: list[str] = []
    monkeypatch.setattr(kafka_admin, "fully_replicated", lambda bootstrap, n: asked.append(bootstrap) or True)
    cluster.up(layout, progress=lambda _: None)
    assert len(asked) == 1  # the ISRs were asked about once the node listened, not before


def test_up_with_every_node_running_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_start: FakeStart
) -> None:
    layout = three_node_cluster(tmp_path, monkeypatch, (True, True, True))
    messages: list[str] = []
    cluster.up(layout, brokers=3, progress=messages.append)
    assert fake_start.started == [] and "already up (3 broker(s))" in messages[0]


def test_up_with_another_size_on_a_partly_running_cluster_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_start: FakeStart
) -> None:
    layout = three_node_cluster(tmp_path, monkeypatch, (True, False, True))
    with pytest.raises(LabError, match=r"a 3-broker cluster is running \(2 alive\).*cluster down"):
        cluster.up(layout, brokers=1, progress=lambda _: None)
    assert fake_start.started == []


def test_a_restarted_node_that_exits_is_stopped_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_start: FakeStart
) -> None:
    """The nodes that kept running are not touched when the one being restarted fails."""
    layout = three_node_cluster(tmp_path, monkeypatch, (False, True, False))
    fake_start.exit_code = 1
    with pytest.raises(LabError, match="Kafka node 1 exited during start-up"):
        cluster.up(layout, progress=lambda _: None)
    assert fake_start.started == [1, 3]
    assert fake_start.stopped == [[1, 3]]


def test_up_of_a_fresh_cluster_defaults_to_one_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_start: FakeStart
) -> None:
    monkeypatch.setattr(kafka_admin, "broker_ids", lambda _: [1])
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=40000)
    assert cluster.up(layout, progress=lambda _: None) == "localhost:40000"
    assert fake_start.started == [1] and cluster.recorded_brokers(layout) == 1


def test_kill_node_that_is_not_running_names_the_running_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layout = three_node_cluster(tmp_path, monkeypatch, (True, False, True))
    with pytest.raises(LabError, match=r"node 2 is not running \(nodes \[1, 2, 3\], running \[1, 3\]\)"):
        cluster.kill_node(layout, 2, progress=lambda _: None)


def test_kill_node_sends_sigkill_to_the_recorded_process(tmp_path: Path) -> None:
    """A stand-in process whose command line names node 1's config, as a broker's does."""
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=40000)
    layout.node_dir(1).mkdir(parents=True)
    layout.state_file.write_text(json.dumps({"brokers": 1, "cluster_id": "x", "base_port": 40000}))
    marker = str(layout.node_dir(1) / "server.properties")
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()", marker], stdin=subprocess.PIPE)
    try:
        (layout.node_dir(1) / "pid").write_text(str(process.pid))
        kafka_admin.wait_until(lambda: cluster.nodes(layout)[0].alive, 10, "the stand-in's exec", poll_s=0.01)
        messages: list[str] = []
        assert cluster.kill_node(layout, 1, progress=messages.append) == process.pid
        assert process.wait(timeout=10) == -signal.SIGKILL
        assert messages == [f"killed Kafka node 1 (pid {process.pid}, port 40000) with SIGKILL"]
        assert (layout.node_dir(1) / "pid").exists()  # `up` finds the node it must restart
        assert cluster.nodes(layout)[0].alive is False
    finally:
        process.kill()
        process.wait()


def test_cli_cluster_kill_and_up_without_a_size() -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["cluster", "kill", "--node", "2"]).node == 2
    assert parser.parse_args(["cluster", "up"]).brokers is None
    assert parser.parse_args(["cluster", "up", "--brokers", "3"]).brokers == 3


def test_status_asks_every_node_of_the_embedded_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With its first node down, the status must still reach the cluster through the others."""
    layout = three_node_cluster(tmp_path, monkeypatch, (False, True, True))
    monkeypatch.setattr(common, "EMBEDDED", layout)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    assert common.embedded_bootstrap() == "localhost:40000,localhost:40001,localhost:40002"
    args = cli.build_parser().parse_args(["run", "flink", "behavior-stats"])
    settings = common.settings_from(args, workloads.get("behavior-stats"))  # so must run, check, chaos ...
    assert settings.bootstrap_servers == "localhost:40000,localhost:40001,localhost:40002"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "elsewhere:9092")
    assert common.embedded_bootstrap() == "elsewhere:9092"


class FakeAdmin:
    """KafkaAdminClient's stand-in: fails as a client does whose controller is a dead broker, `failures` times."""

    calls = 0
    failures = 0

    def __init__(self, **_: object) -> None:
        FakeAdmin.calls += 1
        if FakeAdmin.calls <= FakeAdmin.failures:
            raise NodeNotReadyError(2)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("failures", "answers"), [(2, True), (10**9, False)], ids=["recovers", "gives-up"])
def test_admin_client_asks_again_while_the_cluster_names_a_dead_controller(
    monkeypatch: pytest.MonkeyPatch, failures: int, answers: bool
) -> None:
    """A broker killed a moment ago is still named as the controller for a few seconds: not "no broker"."""
    monkeypatch.setattr(FakeAdmin, "calls", 0)
    monkeypatch.setattr(FakeAdmin, "failures", failures)
    monkeypatch.setattr(kafka_admin, "KafkaAdminClient", FakeAdmin)
    monkeypatch.setattr(kafka_admin, "DEAD_CONTROLLER_WAIT_S", 0.05)
    monkeypatch.setattr(kafka_admin.time, "sleep", lambda _: None)
    if answers:
        with kafka_admin.admin_client("localhost:1,localhost:2") as admin:
            assert isinstance(admin, FakeAdmin)
        assert FakeAdmin.calls == 3
    else:
        with (
            pytest.raises(LabError, match="answers, but not the broker it names as its controller"),
            kafka_admin.admin_client("localhost:1,localhost:2"),
        ):
            pass


def test_a_restarted_node_whose_port_was_taken_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_start: FakeStart
) -> None:
    """A client's socket can hold a dead broker's port for a moment (a TCP self-connect in the ephemeral
    range): the node's log says "failed to bind", and `up` starts it once more instead of giving up."""
    layout = three_node_cluster(tmp_path, monkeypatch, (True, False, True))
    layout.node_dir(2).mkdir(parents=True)
    (layout.node_dir(2) / "server.log").write_text("an old run: Socket server failed to bind to an old port\n")

    def start(layout_: cluster.ClusterLayout, node_id: int, brokers: int, cluster_id: str) -> object:
        fake_start.started.append(node_id)
        if len(fake_start.started) == 1:  # the first start fails as a taken port makes it fail
            with (layout.node_dir(2) / "server.log").open("a") as log:
                log.write("KafkaException: Socket server failed to bind to 127.0.0.1:40001: Address already in use\n")
            return SimpleNamespace(poll=lambda: 1)
        return SimpleNamespace(poll=lambda: None)

    monkeypatch.setattr(cluster, "_start_node", start)
    monkeypatch.setattr(kafka_admin, "fully_replicated", lambda *_: True)
    messages: list[str] = []
    cluster.up(layout, progress=messages.append)
    assert fake_start.started == [2, 2] and fake_start.stopped == [[2]]
    assert "the port of node(s) [2] was taken while it started: starting again" in messages


def test_a_restarted_node_that_fails_otherwise_is_not_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_start: FakeStart
) -> None:
    layout = three_node_cluster(tmp_path, monkeypatch, (True, False, True))
    layout.node_dir(2).mkdir(parents=True)
    (layout.node_dir(2) / "server.log").write_text("an old run: Socket server failed to bind to an old port\n")
    fake_start.exit_code = 1  # and nothing new in its log: not a taken port
    with pytest.raises(LabError, match="Kafka node 2 exited during start-up"):
        cluster.up(layout, progress=lambda _: None)
    assert fake_start.started == [2]


def test_the_commands_manage_the_cluster_streamlab_cluster_dir_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cluster.CLUSTER_DIR_ENV, raising=False)
    assert cluster.embedded_layout() == cluster.ClusterLayout()
    monkeypatch.setenv(cluster.CLUSTER_DIR_ENV, str(tmp_path))
    assert cluster.embedded_layout() == cluster.ClusterLayout(run_dir=tmp_path)  # none there yet: default ports
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=41500)
    layout.home.mkdir(parents=True)
    layout.state_file.write_text(json.dumps({"brokers": 3, "cluster_id": "x", "base_port": 41500}))
    assert cluster.embedded_layout() == layout


def test_without_a_named_cluster_a_command_uses_the_embedded_one_on_its_own_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$STREAMLAB_CLUSTER_DIR's cluster (a test's, on ports of its own) is the default, not localhost:9092."""
    import argparse

    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=41500)
    monkeypatch.setattr(common, "EMBEDDED", layout)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    started: list[int] = []
    monkeypatch.setattr(cluster, "up", lambda at, brokers: started.append(brokers) or at.bootstrap_servers(brokers))
    args = argparse.Namespace(bootstrap_servers=None)
    assert common.bootstrap_or_embedded(args) == "localhost:41500" and started == [1]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "elsewhere:9092")
    assert common.bootstrap_or_embedded(args) == "elsewhere:9092" and started == [1]  # named: nothing started
    assert common.bootstrap_or_embedded(argparse.Namespace(bootstrap_servers="flag:9092")) == "flag:9092"
