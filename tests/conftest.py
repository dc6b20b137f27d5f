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
from pathlib import Path

import pytest

from streamlab import cluster

# away from the user's embedded cluster on 9092; two checkouts testing at once need different ports
TEST_BASE_PORT = int(os.environ.get("STREAMLAB_TEST_KAFKA_PORT", "29092"))
_which_kafka: list[str] = []


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
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.2.0").with_kraft() as container:
            _which_kafka.append("testcontainers apache/kafka:4.2.0")
            yield container.get_bootstrap_server()
        return
    layout = cluster.ClusterLayout(run_dir=tmp_path_factory.mktemp("kafka-run"), base_port=TEST_BASE_PORT)
    bootstrap = cluster.up(layout, brokers=1, progress=lambda _: None)
    _which_kafka.append(f"embedded Apache Kafka broker (KRaft) at {bootstrap}")
    try:
        yield bootstrap
    finally:
        cluster.down(layout, progress=lambda _: None)


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
