"""streamlab.cluster with the real embedded Apache Kafka broker from jars/, on its own ports and folder.

Every test stops what it starts. The brokers run on free ports found from 30092 upwards, so
neither the user's cluster (9092) nor the test session's (29092) is touched. The range ends below Linux's
ephemeral ports (32768 and up): a client's outgoing connection there once took a broker's port mid-suite.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaError

from streamlab import cluster, kafka_admin
from streamlab.errors import LabError
from tests.integration.commands import streamlab, succeeded

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIRST_BASE_PORT = 30092
LAST_PORT = 32699  # the range these tests may use; the test session's own broker sits on 29092


def free_base_port(after: int = FIRST_BASE_PORT, brokers: int = 1) -> int:
    """A base port whose broker ports and controller ports (for `brokers` nodes) are all free."""
    last_base = LAST_PORT - cluster.CONTROLLER_PORT_OFFSET - (brokers - 1)
    for base in range(after, last_base + 1, 200):
        ports = [base + node + offset for node in range(brokers) for offset in (0, cluster.CONTROLLER_PORT_OFFSET)]
        if not any(cluster.port_in_use("localhost", port) for port in ports):
            return base
    raise AssertionError(f"no free base port for {brokers} broker(s) between {after} and {LAST_PORT}")


def process_running(pid: int) -> bool:
    """True unless the process is gone or a zombie (exited, not yet reaped by its parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def exec_finished(pid: int) -> bool:
    """A freshly spawned child shows its parent's command line until its exec has happened."""
    try:
        return (
            bool(Path(f"/proc/{pid}/cmdline").read_bytes())
            and "stdin.read()" in Path(f"/proc/{pid}/cmdline").read_text()
        )
    except OSError:
        return True  # gone: nothing left to wait for


@dataclass
class Messages:
    """progress= for cluster.up/down: keeps the messages."""

    layout: cluster.ClusterLayout
    lines: list[str] = field(default_factory=list)

    def __call__(self, message: str) -> None:
        self.lines.append(message)


@dataclass(frozen=True)
class Running:
    layout: cluster.ClusterLayout
    bootstrap: str
    messages: Messages


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    layout = cluster.ClusterLayout(run_dir=tmp_path_factory.mktemp("cluster-run"), base_port=free_base_port())
    messages = Messages(layout)
    try:
        yield Running(layout, cluster.up(layout, brokers=1, progress=messages), messages)
    finally:
        cluster.down(layout, progress=messages)


@pytest.fixture(scope="module")
def topics(running: Running) -> tuple[list[kafka_admin.TopicSpec], list[str]]:
    """A compacted and a plain topic, and what the first ensure_topics call answered."""
    suffix = uuid.uuid4().hex[:8]
    specs = [
        kafka_admin.TopicSpec(f"compacted_{suffix}", partitions=3, compacted=True),
        kafka_admin.TopicSpec(f"plain_{suffix}", partitions=2),
    ]
    return specs, kafka_admin.ensure_topics(running.bootstrap, specs)


def test_up_returns_the_bootstrap_of_its_base_port(running: Running) -> None:
    assert running.bootstrap == f"localhost:{running.layout.base_port}"
    assert running.messages.lines[-1].startswith(f"Kafka cluster up at {running.bootstrap}")


def test_second_up_is_a_noop_returning_the_same_bootstrap(running: Running) -> None:
    pid_before = cluster.nodes(running.layout)[0].pid
    lines: list[str] = []
    assert cluster.up(running.layout, brokers=1, progress=lines.append) == running.bootstrap
    assert len(lines) == 1 and "already up" in lines[0]
    assert cluster.nodes(running.layout)[0].pid == pid_before


def test_up_with_another_size_while_running_raises(running: Running) -> None:
    with pytest.raises(LabError, match="cluster down"):
        cluster.up(running.layout, brokers=3, progress=lambda _: None)


def test_nodes_shows_one_alive_node(running: Running) -> None:
    pid = int((running.layout.node_dir(1) / "pid").read_text())
    assert cluster.nodes(running.layout) == [cluster.NodeState(1, running.layout.base_port, pid, True)]
    assert process_running(pid)


def test_broker_ids_answers_1(running: Running) -> None:
    assert kafka_admin.broker_ids(running.bootstrap) == [1]


def test_ensure_topics_creates_missing_topics_once(
    running: Running, topics: tuple[list[kafka_admin.TopicSpec], list[str]]
) -> None:
    specs, first = topics
    assert first == [spec.name for spec in specs]
    assert kafka_admin.ensure_topics(running.bootstrap, specs) == []


def test_describe_topics_shows_compaction_and_partitions(
    running: Running, topics: tuple[list[kafka_admin.TopicSpec], list[str]]
) -> None:
    specs, _ = topics
    described = {row["topic"]: row for row in kafka_admin.describe_topics(running.bootstrap)}
    compacted, plain = specs
    assert described[compacted.name] == {"topic": compacted.name, "partitions": 3, "replication": 1, "compacted": True}
    assert described[plain.name] == {"topic": plain.name, "partitions": 2, "replication": 1, "compacted": False}


def test_down_stops_the_broker_and_a_second_down_returns_0(tmp_path: Path) -> None:
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=free_base_port())
    messages = Messages(layout)
    try:
        cluster.up(layout, brokers=1, progress=messages)
        pid = cluster.nodes(layout)[0].pid
        assert pid is not None and process_running(pid)

        assert cluster.down(layout, progress=messages) == 1
        assert not process_running(pid)
        assert not cluster.port_in_use("localhost", layout.base_port)
        assert not (layout.node_dir(1) / "pid").exists()
        assert [node.alive for node in cluster.nodes(layout)] == [False]

        assert cluster.down(layout, progress=messages) == 0
        assert messages.lines[-1] == "no embedded Kafka broker was running"
    finally:
        cluster.down(layout, progress=messages)


@pytest.mark.parametrize("offset", [0, cluster.CONTROLLER_PORT_OFFSET], ids=["broker-port", "controller-port"])
def test_up_on_a_port_in_use_raises_naming_the_port(tmp_path: Path, offset: int) -> None:
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=free_base_port())
    busy = layout.base_port + offset
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", busy))
        squatter.listen()
        try:
            with pytest.raises(LabError, match=rf"port {busy} is already in use"):
                cluster.up(layout, brokers=1, progress=Messages(layout))
            assert cluster.nodes(layout) == []
        finally:
            cluster.down(layout, progress=lambda _: None)


def fake_node(layout: cluster.ClusterLayout) -> str:
    """Record a 1-node cluster whose node is whatever process the caller writes into the pid file."""
    layout.node_dir(1).mkdir(parents=True)
    layout.state_file.write_text(json.dumps({"brokers": 1, "cluster_id": "test", "base_port": layout.base_port}))
    return str(layout.node_dir(1) / "server.properties")  # how nodes() recognises its broker


def spawn(*args: str) -> subprocess.Popen[bytes]:
    # a stand-in process that lives until the test kills it (it waits for input that never comes)
    return subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()", *args], stdin=subprocess.PIPE)


def test_nodes_recognises_its_process_by_the_config_path(tmp_path: Path) -> None:
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=free_base_port())
    marker = fake_node(layout)
    for args, alive in (((marker,), True), (("someone-else",), False)):
        process = spawn(*args)
        try:
            (layout.node_dir(1) / "pid").write_text(str(process.pid))
            kafka_admin.wait_until(lambda p=process: exec_finished(p.pid), 5, "the process's exec", poll_s=0.01)
            assert cluster.nodes(layout)[0].alive is alive
        finally:
            process.kill()
            process.wait()
        assert cluster.nodes(layout)[0].alive is False


def test_three_brokers_replicate_every_partition_and_a_killed_node_rejoins(tmp_path: Path) -> None:
    """`up` restarts a killed node alone (same id, data and port) and waits until every ISR is full again.
    Node 2, as in test_chaos.py: not the first address every client tries."""
    layout = cluster.ClusterLayout(run_dir=tmp_path, base_port=free_base_port(FIRST_BASE_PORT + 1000, brokers=3))
    try:
        bootstrap = cluster.up(layout, brokers=3, progress=lambda _: None)
        assert bootstrap.count(",") == 2
        assert kafka_admin.broker_ids(bootstrap) == [1, 2, 3]
        kafka_admin.ensure_topics(bootstrap, [kafka_admin.TopicSpec("replicated", compacted=True)])
        # each broker applies the cluster's metadata on its own: the one asked next may not list the topic yet
        kafka_admin.wait_until(
            lambda: bool(kafka_admin.describe_topics(bootstrap)), 60, "the new topic in the metadata"
        )
        (described,) = kafka_admin.describe_topics(bootstrap)
        assert described == {"topic": "replicated", "partitions": 3, "replication": 3, "compacted": True}
        assert kafka_admin.in_sync_by_topic(kafka_admin.partition_replicas(bootstrap, internal=False)) == {
            "replicated": "3/3"
        }

        pids = {node.node_id: node.pid for node in cluster.nodes(layout)}
        assert cluster.kill_node(layout, 2, progress=lambda _: None) == pids[2]
        assert not process_running(pids[2])
        assert [node.alive for node in cluster.nodes(layout)] == [True, False, True]
        kafka_admin.wait_until(
            lambda: under_replicated_without(bootstrap, 2), 120, "the cluster to drop node 2 from every ISR"
        )
        with pytest.raises(LabError, match="node 2 is not running"):
            cluster.kill_node(layout, 2, progress=lambda _: None)
        # what `streamlab cluster status` shows meanwhile (asked through the live nodes: see under_replicated_without)
        alive = ",".join(f"{layout.host}:{layout.broker_port(n)}" for n in (1, 3))
        shown = status(layout, "--bootstrap-servers", alive)
        assert re.search(rf"2 {layout.broker_port(2):,} [\d,]* False False", shown) and "brokers [1, 3]" in shown, shown
        assert "replicated 3 3 True under-replicated" in shown, shown

        messages: list[str] = []
        assert cluster.up(layout, progress=messages.append) == bootstrap  # the recorded size: 3
        assert messages[0].startswith(f"restarting Kafka node(s) 2 (port {layout.base_port + 1})")
        restarted = {node.node_id: node.pid for node in cluster.nodes(layout)}
        assert restarted[2] != pids[2] and {1: pids[1], 3: pids[3]} == {1: restarted[1], 3: restarted[3]}
        assert kafka_admin.broker_ids(bootstrap) == [1, 2, 3]
        assert not any(p.under_replicated for p in kafka_admin.partition_replicas(bootstrap))
        shown = status(layout)  # every node: the command's default
        assert "brokers [1, 2, 3]" in shown and "under-replicated" not in shown, shown
        assert "False" not in shown.split("cluster at")[0] and "replicated 3 3 True 3/3" in shown, shown
        leaders_move_back_and_a_consumer_still_finds_them(bootstrap)
    finally:
        stopped = cluster.down(layout, progress=lambda _: None)  # an assert here would hide why `up` failed
    assert stopped == 3


def status(layout: cluster.ClusterLayout, *flags: str) -> str:
    """What `streamlab cluster status` prints for this cluster, its tables' borders and wrapping undone."""
    shown = succeeded(
        streamlab("cluster", "status", *flags, timeout_s=120, env={cluster.CLUSTER_DIR_ENV: str(layout.run_dir)})
    )
    return " ".join(re.sub(r"[│┃]", " ", shown).split())


def under_replicated_without(bootstrap: str, node_id: int) -> bool:
    """Every partition of the user topic has lost node_id from its ISR (and still has a leader)."""
    try:
        partitions = kafka_admin.partition_replicas(bootstrap, internal=False)
    except (LabError, KafkaError):
        return False  # the cluster still lists the dead node and the client tried it first: not yet
    return bool(partitions) and all(node_id not in p.isr and p.leader >= 0 for p in partitions)


def leaders_move_back_and_a_consumer_still_finds_them(bootstrap: str) -> None:
    """Node 2's partitions are led by the others since its kill; the controller's preferred-leader election
    (periodic, here asked for) hands them back. A consumer whose view of the leaders predates that must
    still get end offsets: kafka-python retries NOT_LEADER without refreshing its view, and with its
    5-minute default the call timed out (CI, 2026-12-06: see kafka_admin.METADATA_MAX_AGE_MS)."""
    before = {(p.topic, p.partition): p.leader for p in kafka_admin.partition_replicas(bootstrap, internal=False)}
    consumer = kafka_admin.new_consumer(bootstrap)
    try:
        partitions = [TopicPartition("replicated", p) for p in sorted(consumer.partitions_for_topic("replicated"))]
        consumer.end_offsets(partitions)  # its view of the leaders: now
        with kafka_admin.admin_client(bootstrap) as admin:
            admin.perform_leader_election(0, {"replicated": [tp.partition for tp in partitions]})  # 0: PREFERRED
        kafka_admin.wait_until(
            lambda: (
                {(p.topic, p.partition): p.leader for p in kafka_admin.partition_replicas(bootstrap, False)} != before
            ),
            30,
            "a partition led by node 2 again",
        )
        assert set(consumer.end_offsets(partitions).values()) == {0}
    finally:
        consumer.close()
