"""Where the JVM jars are, and the clear error when they are not.

`make setup` runs Maven over jars/pom.xml, which copies each module's artifacts into
jars/<module>/lib/. jars/SHA256SUMS pins every file (see `make jars-lock`); a jar that is
missing or differs from its pin means "run make setup", never a Java stack trace later.
The one jar built from this repository's sources, jars/checks (the record check every Flink source
and the bench's relay use), is not pinned: its sources are.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from streamlab.errors import LabError
from streamlab.paths import JARS_DIR

MODULES = ("kafka", "flink", "spark")
CHECKSUM_FILE = JARS_DIR / "SHA256SUMS"
CHECKS_JAR = JARS_DIR / "checks" / "target" / "streamlab-checks.jar"


def pinned_checksums(checksum_file: Path = CHECKSUM_FILE) -> dict[str, str]:
    """{"kafka/lib/kafka_2.13-4.2.0.jar": "<sha256>", ...} as recorded in SHA256SUMS."""
    pins: dict[str, str] = {}
    for line in checksum_file.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            pins[name.strip()] = digest
    return pins


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(module: str, jars_dir: Path = JARS_DIR, deep: bool = True) -> list[Path]:
    """The module's jars, after checking each pinned one is present and (if deep, ~0.1 s) intact."""
    pins = {
        name: digest
        for name, digest in pinned_checksums(jars_dir / "SHA256SUMS").items()
        if name.startswith(f"{module}/")
    }
    problems = []
    for name, digest in sorted(pins.items()):
        path = jars_dir / name
        if not path.is_file():
            problems.append(f"missing {name}")
        elif deep and sha256(path) != digest:
            problems.append(f"checksum mismatch for {name}")
    if problems:
        shown = "; ".join(problems[:3]) + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else "")
        raise LabError(f"{module} jars are not ready ({shown}): run `make setup`")
    return [jars_dir / name for name in sorted(pins)]


def checks_jar(jar: Path = CHECKS_JAR) -> Path:
    """The lab's own jar (jars/checks: the streamlab-json format and RecordCheck), built by `make setup`."""
    if not jar.is_file():
        raise LabError(f"the lab's record check is not built ({jar.name} is missing): run `make setup`")
    return jar


def classpath(module: str) -> str:
    """A java -cp value holding exactly the pinned jars of one module."""
    return ":".join(str(path) for path in verify(module))


def file_urls(module: str) -> str:
    """Flink's pipeline.jars format: file:// URLs separated by ';'."""
    return ";".join(path.as_uri() for path in verify(module))


def comma_list(module: str) -> str:
    """Spark's spark.jars format: comma-separated paths."""
    return ",".join(str(path) for path in verify(module))


def artifact_version(module: str, artifact: str, shaded_in: str | None = None) -> str:
    """The version of a pinned jar, from its file name; for a shaded jar, from its Maven metadata inside."""
    for path in verify(module):
        stem = path.name.removesuffix(".jar")
        if shaded_in is None and stem.startswith(f"{artifact}-") and stem[len(artifact) + 1][:1].isdigit():
            return stem[len(artifact) + 1 :]
        if shaded_in and stem.startswith(f"{shaded_in}-"):
            return _shaded_version(path, artifact)
    return "not found"


def _shaded_version(jar: Path, artifact: str) -> str:
    """A shaded jar lists what it bundles in META-INF/DEPENDENCIES as group:artifact:jar:version."""
    import re
    import zipfile

    with zipfile.ZipFile(jar) as archive:
        listing = archive.read("META-INF/DEPENDENCIES").decode(errors="replace")
    found = re.search(rf":{re.escape(artifact)}:jar:([\w.-]+)", listing)
    return found.group(1) if found else "unknown"
