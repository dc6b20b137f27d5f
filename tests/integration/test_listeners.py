"""Every socket the lab listens on while a job runs is bound to loopback (127.0.0.1 or ::1).

An embedded Kafka broker of its own (broker and controller listeners), then a Flink job and a Spark job,
each running unbounded as a user runs it (`python -m streamlab run ...`, a process of its own), are
looked at from outside: the LISTEN sockets of the broker process and of each job's whole process tree
(Python, the engine's JVM and whatever they start). The Spark run has its web UI switched on and
SPARK_LOCAL_IP set to all interfaces, as a user's environment may have it: the lab must bind loopback
all the same. Each engine process must show listeners at all (the JVM at least its py4j gateway and
two more: Flink's REST endpoint and blob server, Spark's RPC and block manager), so a test that looked
too early, or at the wrong processes, fails instead of passing on nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from streamlab import cluster, kafka_admin, workloads
from streamlab.processes import StreamlabProcess
from streamlab.run import lifecycle
from streamlab.settings import Settings
from tests.conftest import TEST_BASE_PORT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKLOAD = workloads.get("behavior-stats")
READY_S = 400  # a cold JVM on a machine shared with other test runs
LOOPBACK = {"127.0.0.1", "::1"}
JVM_LISTENERS = 3  # py4j's gateway and two of the engine's own (see the module's docstring)
ENGINE_ENV = {"flink": {}, "spark": {"STREAMLAB_SPARK_UI": "true", "SPARK_LOCAL_IP": "0.0.0.0"}}


@dataclass(frozen=True)
class Listener:
    pid: int
    process: str  # its name and, for a JVM, its main class
    address: str
    port: int

    @property
    def loopback(self) -> bool:
        """Java's dual-stack sockets show 127.0.0.1 as ::ffff:127.0.0.1: the same address."""
        ip = ipaddress.ip_address(self.address.split("%")[0])
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        return str(mapped or ip) in LOOPBACK

    def __str__(self) -> str:
        return f"{self.process} (pid {self.pid}) listens on {self.address} port {self.port}"


def describe(process: psutil.Process) -> str:
    """'java kafka.Kafka', 'java org.apache.spark.deploy.SparkSubmit', 'python': which process it is."""
    command = process.cmdline()
    main_class = next((part for part in command if re.fullmatch(r"(org\.apache|kafka)\.[\w.]+", part)), "")
    return f"{process.name()} {main_class}".strip()


def listeners(pid: int) -> list[Listener]:
    """The LISTEN sockets of a process and all its descendants."""
    root = psutil.Process(pid)
    found = []
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):  # a short-lived child may be gone already
            name = describe(process)
            found.extend(
                Listener(process.pid, name, conn.laddr.ip, conn.laddr.port)
                for conn in process.net_connections(kind="inet")
                if conn.status == psutil.CONN_LISTEN
            )
    return found


def jvm_pids(pid: int) -> list[int]:
    return [child.pid for child in psutil.Process(pid).children(recursive=True) if child.name() == "java"]


def assert_loopback_only(found: list[Listener]) -> None:
    exposed = [str(listener) for listener in found if not listener.loopback]
    assert not exposed, "listening beyond loopback:\n" + "\n".join(exposed)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """An embedded broker of this module's own, whose process is known (the session's may be a container);
    on ports next to the session's, away from the user's 9092."""
    layout = cluster.ClusterLayout(run_dir=tmp_path_factory.mktemp("listeners-kafka"), base_port=TEST_BASE_PORT + 50)
    bootstrap = cluster.up(layout, brokers=1, progress=lambda _: None)
    try:
        yield bootstrap, cluster.nodes(layout)[0].pid
    finally:
        cluster.down(layout, progress=lambda _: None)


def test_the_embedded_broker_listens_on_loopback_only(broker: tuple[str, int]) -> None:
    _, pid = broker
    found = listeners(pid)
    ports = {listener.port for listener in found}
    layout_ports = {TEST_BASE_PORT + 50, TEST_BASE_PORT + 50 + cluster.CONTROLLER_PORT_OFFSET}
    assert layout_ports <= ports, f"the broker and controller listeners were not seen: {found}"
    assert_loopback_only(found)


@pytest.fixture
def runs() -> Iterator[list[StreamlabProcess]]:
    started: list[StreamlabProcess] = []
    yield started
    for run in started:
        run.kill_tree()


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_a_running_job_listens_on_loopback_only(
    engine: str,
    broker: tuple[str, int],
    topic_suffix: str,
    tmp_path: Path,
    runs: list[StreamlabProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bootstrap, broker_pid = broker
    prefix = f"listeners_{engine}_{topic_suffix}_"
    settings = Settings(workload=WORKLOAD.name, engine=engine, bootstrap_servers=bootstrap,
                        topics=WORKLOAD.topic_names(prefix))  # fmt: skip
    options = argparse.Namespace(count=200, rate=0, seed=5, bad_every=50)
    lifecycle.produce(settings, WORKLOAD, options, show_progress=False)  # something to read while it runs
    for name, value in ENGINE_ENV[engine].items():
        monkeypatch.setenv(name, value)  # inherited by the run's process
    run = StreamlabProcess(
        ["run", engine, WORKLOAD.name, "--topic-prefix", prefix, "--bootstrap-servers", bootstrap,
         "--checkpoint-dir", str(tmp_path / "checkpoints")],
        tmp_path / "run.log",
    )  # fmt: skip
    runs.append(run)

    def running() -> bool:
        """Following its output (the job is submitted), and its JVM's listeners are all up."""
        jvms = run.alive() and "following the output" in run.output and jvm_pids(run.pid)
        return bool(jvms) and all(len(listeners(jvm)) >= JVM_LISTENERS for jvm in jvms)

    kafka_admin.wait_until(running, READY_S, f"the {engine} job to run with its listeners up", poll_s=2)
    found = listeners(run.pid) + listeners(broker_pid)
    print(f"\n{engine}: " + "\n".join(str(listener) for listener in found))  # what was checked (pytest -s)
    by_pid = {listener.pid for listener in found}
    assert run.pid in by_pid, f"no listener of the Python process seen: {found}"  # py4j's callback server
    assert set(jvm_pids(run.pid)) <= by_pid, f"no listener of the {engine} JVM seen: {found}"
    assert_loopback_only(found)
    assert run.alive()  # still running when it was looked at
