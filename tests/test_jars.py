"""streamlab.jars.verify on a throw-away jars folder, and the repo's pins against pom.xml and pyproject.toml."""

from __future__ import annotations

import hashlib
import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from streamlab import jars
from streamlab.errors import LabError
from streamlab.paths import JARS_DIR, REPO_ROOT

MAVEN_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
JAR = "flink/lib/x.jar"
CONTENT = b"not really a jar"


def write_pins(jars_dir: Path, pins: dict[str, bytes]) -> None:
    """SHA256SUMS lines `<sha256>  <module>/lib/<name>` for the given contents."""
    lines = [f"{hashlib.sha256(content).hexdigest()}  {name}" for name, content in pins.items()]
    (jars_dir / "SHA256SUMS").write_text("# pinned by a test\n" + "\n".join(lines) + "\n")


def write_jar(jars_dir: Path, name: str, content: bytes = CONTENT) -> Path:
    path = jars_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def pom_property(name: str) -> str:
    value = ET.parse(JARS_DIR / "pom.xml").getroot().findtext(f"m:properties/m:{name}", namespaces=MAVEN_NS)
    assert value, f"<{name}> missing from jars/pom.xml"
    return value.strip()


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {}
    for requirement in project["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", requirement.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_verify_returns_the_pinned_paths(tmp_path: Path) -> None:
    write_pins(tmp_path, {JAR: CONTENT, "flink/lib/y.jar": b"y"})
    expected = [write_jar(tmp_path, JAR), write_jar(tmp_path, "flink/lib/y.jar", b"y")]
    assert jars.verify("flink", jars_dir=tmp_path, deep=True) == expected


def test_verify_only_looks_at_its_module(tmp_path: Path) -> None:
    write_pins(tmp_path, {JAR: CONTENT, "kafka/lib/missing.jar": b"k"})
    path = write_jar(tmp_path, JAR)
    assert jars.verify("flink", jars_dir=tmp_path) == [path]


def test_missing_jar_says_make_setup(tmp_path: Path) -> None:
    write_pins(tmp_path, {JAR: CONTENT})
    with pytest.raises(LabError, match=f"missing {JAR}") as raised:
        jars.verify("flink", jars_dir=tmp_path)
    assert "make setup" in str(raised.value)


def test_wrong_checksum_with_deep_is_a_mismatch(tmp_path: Path) -> None:
    write_pins(tmp_path, {JAR: CONTENT})
    write_jar(tmp_path, JAR, b"tampered")
    with pytest.raises(LabError, match=f"checksum mismatch for {JAR}") as raised:
        jars.verify("flink", jars_dir=tmp_path, deep=True)
    assert "make setup" in str(raised.value)


def test_wrong_checksum_without_deep_only_checks_presence(tmp_path: Path) -> None:
    write_pins(tmp_path, {JAR: CONTENT})
    path = write_jar(tmp_path, JAR, b"tampered")
    assert jars.verify("flink", jars_dir=tmp_path, deep=False) == [path]


def test_many_problems_are_summarised(tmp_path: Path) -> None:
    write_pins(tmp_path, {f"flink/lib/{n}.jar": b"j" for n in range(5)})
    with pytest.raises(LabError, match=r"\(\+2 more\)"):
        jars.verify("flink", jars_dir=tmp_path)


def test_sha256sums_pins_the_connectors_at_the_pom_versions() -> None:
    pinned = set(jars.pinned_checksums())
    assert f"kafka/lib/kafka_2.13-{pom_property('kafka.version')}.jar" in pinned
    assert f"flink/lib/flink-sql-connector-kafka-{pom_property('flink.kafka.connector.version')}.jar" in pinned
    assert f"spark/lib/spark-sql-kafka-0-10_2.13-{pom_property('spark.version')}.jar" in pinned


def test_flink_kafka_connector_targets_the_pom_flink_minor() -> None:
    flink_minor = ".".join(pom_property("flink.version").split(".")[:2])
    assert pom_property("flink.kafka.connector.version").endswith(f"-{flink_minor}")


def test_sha256sums_lines_are_digest_and_module_path() -> None:
    for name, digest in jars.pinned_checksums().items():
        assert re.fullmatch(r"[0-9a-f]{64}", digest), name
        assert name.split("/")[0] in jars.MODULES and name.split("/")[1] == "lib", name


def test_python_engine_pins_equal_the_pom_versions() -> None:
    pins = pyproject_pins()
    assert pins["pyspark"] == pom_property("spark.version")
    assert pins["apache-flink"] == pom_property("flink.version")
