"""Static checks of compose/docker-compose.yml: no Docker needed, only PyYAML."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "compose" / "docker-compose.yml"
POM = ROOT / "jars" / "pom.xml"
Services = dict[str, dict[str, Any]]
MAVEN_NS = {"m": "http://maven.apache.org/POM/4.0.0"}

BROKERS = ("kafka-1", "kafka-2", "kafka-3")
EXPECTED_SERVICES = {
    *BROKERS,
    "flink-jobmanager",
    "flink-taskmanager",
    "spark-master",
    "spark-worker",
    "kafka-ui",
}


@pytest.fixture(scope="module")
def services() -> Services:
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(compose, dict)
    return compose["services"]


@pytest.fixture(scope="module")
def pom() -> ET.Element:
    return ET.parse(POM).getroot()


def pom_property(pom: ET.Element, name: str) -> str:
    value = pom.findtext(f"m:properties/m:{name}", namespaces=MAVEN_NS)
    assert value, f"<{name}> missing from {POM}"
    return value.strip()


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # ["KEY=value", ...] form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def host_ports(service: dict[str, Any]) -> list[int]:
    ports = []
    for port in service.get("ports", []):
        if isinstance(port, dict):  # long syntax
            if "published" in port:
                ports.append(int(port["published"]))
            continue
        parts = str(port).split(":")
        if len(parts) >= 2:  # "HOST:CONTAINER" or "IP:HOST:CONTAINER"
            ports.append(int(parts[-2]))
    return ports


def bind_sources(service: dict[str, Any]) -> list[str]:
    """Host paths of bind mounts (named volumes are left out)."""
    sources = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                sources.append(volume["source"])
            continue
        source, sep, _ = str(volume).partition(":")
        if sep and source.startswith((".", "/", "~")):
            sources.append(source)
    return sources


def image_tag(image: str) -> str:
    name, _, tag = image.rpartition(":")
    assert name and "/" not in tag, f"{image!r} has no tag"
    return tag


def images(services: Services, repository: str) -> list[str]:
    found = [s["image"] for s in services.values() if s["image"].rpartition(":")[0] == repository]
    assert found, f"no service runs {repository}"
    return found


def test_expected_services(services: Services) -> None:
    assert services.keys() >= EXPECTED_SERVICES


def test_every_port_is_published_on_loopback_only(services: Services) -> None:
    """A Docker user's stack is reachable from this machine only, as the embedded one (`127.0.0.1:HOST:CONTAINER`)."""
    ports = [str(port) for service in services.values() for port in service.get("ports", [])]
    assert ports and all(port.startswith("127.0.0.1:") and port.count(":") == 2 for port in ports), ports


def test_host_ports_are_unique(services: Services) -> None:
    published = Counter(p for service in services.values() for p in host_ports(service))
    assert [p for p, n in published.items() if n > 1] == []


def test_brokers_publish_9092_to_9094(services: Services) -> None:
    assert [host_ports(services[b]) for b in BROKERS] == [[9092], [9093], [9094]]


def test_quorum_voters_and_cluster_id_agree(services: Services) -> None:
    envs = [environment(services[b]) for b in BROKERS]
    assert len({env["KAFKA_CONTROLLER_QUORUM_VOTERS"] for env in envs}) == 1
    assert len({env["CLUSTER_ID"] for env in envs}) == 1
    voters = envs[0]["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    voter_ids = {voter.split("@")[0] for voter in voters}
    node_ids = {env["KAFKA_NODE_ID"] for env in envs}
    assert node_ids == voter_ids == {"1", "2", "3"}
    for env in envs:
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_images_are_pinned(services: Services) -> None:
    for name, service in services.items():
        assert image_tag(service["image"]) != "latest", name


def test_image_versions_match_pom(services: Services, pom: ET.Element) -> None:
    for image in images(services, "apache/kafka"):
        assert image_tag(image) == pom_property(pom, "kafka.version")
    for image in images(services, "flink"):
        assert image_tag(image).split("-")[0] == pom_property(pom, "flink.version")
    for image in images(services, "apache/spark"):
        assert image_tag(image) == pom_property(pom, "spark.version")


def test_bind_mounts_are_relative_and_point_at_jar_folders(services: Services, pom: ET.Element) -> None:
    modules = [m.text for m in pom.iterfind("m:modules/m:module", MAVEN_NS)]
    produced = {ROOT / "jars" / str(module) / "lib" for module in modules}
    for name, service in services.items():
        for source in bind_sources(service):
            assert not Path(source).expanduser().is_absolute(), f"{name}: {source}"
            host = Path(os.path.normpath(COMPOSE_FILE.parent / source))
            if host.is_relative_to(ROOT / "jars"):
                assert host in produced, f"{name}: {source} is not a jars/<module>/lib folder"


def test_depends_on_targets_exist(services: Services) -> None:
    for name, service in services.items():
        for target in service.get("depends_on", []):
            assert target in services, f"{name} depends on unknown {target}"
