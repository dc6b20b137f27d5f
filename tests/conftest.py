"""Shared fixtures: one real Kafka cluster for the whole test session, and fresh topic names.

The cluster is, in order of preference:
  1. the one named by STREAMLAB_TEST_BOOTSTRAP (an existing cluster, e.g. the compose stack);
  2. testcontainers' Kafka module, when a Docker daemon answers (and STREAMLAB_TESTCONTAINERS != 0);
  3. the embedded Apache Kafka broker from jars/, on its own port and folder, started and stopped here.
The summary line at the end says which one ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from streamlab import cluster, kafka_admin
from streamlab.errors import LabError

# away from the user's embedded cluster on 9092; two checkouts testing at once need different ports
TEST_BASE_PORT = int(os.environ.get("STREAMLAB_TEST_KAFKA_PORT", "29092"))
_which_kafka: list[str] = []


KAFKA_IMAGE = "apache/kafka:4.2.0"  # the same version as the embedded broker (jars/pom.xml)


@contextmanager
def _apache_kafka_container(host_port: int) -> Iterator[str]:
    """The official apache/kafka image as a one-node KRaft cluster, via testcontainers.

    testcontainers' KafkaContainer drives Confluent's image scripts, so the generic container is
    used: the host port is fixed up front because the broker must advertise the address clients
    will use, and it cannot learn a randomly mapped port before it starts.
    """
    from testcontainers.core.container import DockerContainer

    settings = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://localhost:{host_port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
    }
    container = DockerContainer(KAFKA_IMAGE).with_bind_ports(9092, host_port)
    for name, value in settings.items():
        container = container.with_env(name, value)
    with container:
        bootstrap = f"localhost:{host_port}"
        kafka_admin.wait_until(lambda: _answers(bootstrap), 90, f"{KAFKA_IMAGE} at {bootstrap}", poll_s=1)
        yield bootstrap


def _answers(bootstrap: str) -> bool:
    try:
        return kafka_admin.broker_ids(bootstrap) == [1]
    except LabError:
        return False


def _docker_answers() -> bool:
    if os.environ.get("STREAMLAB_TESTCONTAINERS", "1") == "0":
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of a real Kafka cluster that lives for the whole test session."""
    existing = os.environ.get("STREAMLAB_TEST_BOOTSTRAP")
    if existing:
        _which_kafka.append(f"existing cluster at {existing}")
        yield existing
        return
    if _docker_answers():
        with _apache_kafka_container(TEST_BASE_PORT) as bootstrap:
            _which_kafka.append(f"testcontainers {KAFKA_IMAGE} at {bootstrap}")
            yield bootstrap
        return
    layout = cluster.ClusterLayout(run_dir=tmp_path_factory.mktemp("kafka-run"), base_port=TEST_BASE_PORT)
    bootstrap = cluster.up(layout, brokers=1, progress=lambda _: None)
    _which_kafka.append(f"embedded Apache Kafka broker (KRaft) at {bootstrap}")
    try:
        yield bootstrap
    finally:
        cluster.down(layout, progress=lambda _: None)


@pytest.fixture(scope="session", autouse=True)
def ledger_of_the_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The topics the tests' runs create are remembered in a ledger of the session's own, not in the
    checkout's .run/owned-topics.json (each test cluster has an id of its own: it would pile up there).
    Set in the environment: every `python -m streamlab` a test starts inherits it."""
    patch = pytest.MonkeyPatch()
    patch.setenv("STREAMLAB_LEDGER", str(tmp_path_factory.getbasetemp() / "owned-topics.json"))
    yield
    patch.undo()


@pytest.fixture
def topic_suffix() -> str:
    """A unique suffix so every test works on topics nobody else has written to."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def checkpoint_dir(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _which_kafka:
        terminalreporter.write_line(f"Kafka used by the integration tests: {_which_kafka[0]}")
