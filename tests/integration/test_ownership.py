"""Never destroy what the lab did not create: foreign topics and folders under every command that clears.

A topic pair (passthrough's input and output, with the prefix P_) is created and filled by a plain Kafka
client, never by the lab, and so is a folder with files. Every command that deletes or clears outputs is
pointed at them: `run --bounded` of an append-output job, `check`, `chaos`, `demo`, `bench --out`, and a
batch `run` into an existing folder. Each must stop before touching anything, in one line naming the topic
or folder and the fix, never a traceback; afterwards every foreign record and file is still there, byte for
byte. A folder the lab made is the lab's to replace: a second batch run into it works.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from streamlab import kafka_admin, workloads
from tests.integration.commands import streamlab

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKLOAD = workloads.get("passthrough")
RECORDS = [(f"k{n}".encode(), f'{{"theirs": {n}}}'.encode()) for n in range(5)]


def create_foreign_topics(bootstrap: str, names: list[str]) -> None:
    """Made and filled by someone else: a plain client, the lab's ledger never told."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(name, 1, 1) for name in names]).values():
        future.result(30)
    producer = Producer({"bootstrap.servers": bootstrap})
    for name in names:
        for key, value in RECORDS:
            producer.produce(name, value, key)
    assert producer.flush(30) == 0


def records(bootstrap: str, name: str) -> list[tuple[bytes | None, bytes | None]]:
    return [(r.key, r.value) for r in kafka_admin.read_topic(bootstrap, name)]


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def refused(result: object, names: str) -> str:
    """The command stopped with exit 2 and one error line naming `names`; that line."""
    output = result.stdout + result.stderr  # type: ignore[attr-defined]
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and "Traceback" not in output, output[-3000:]  # type: ignore[attr-defined]
    assert len(errors) == 1 and names in errors[0], output[-3000:]
    return errors[0]


@pytest.fixture(scope="module")
def foreign(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str], Path]:
    prefix = f"P{uuid.uuid4().hex[:6]}_"
    topics = WORKLOAD.topic_names(prefix)
    names = [topics["input"], topics["output"]]
    create_foreign_topics(kafka_bootstrap, names)
    folder = tmp_path_factory.mktemp("theirs")
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "summary").mkdir()
    (folder / "summary" / "part-0.csv").write_text("books,1\n")
    (folder / "report.md").write_text("my report\n")
    return prefix, names, folder


def commands(prefix: str, folder: Path, input_file: Path, bootstrap: str) -> dict[str, list[str]]:
    at = ["--bootstrap-servers", bootstrap]
    return {
        "run --bounded": ["run", "flink", "passthrough", "--bounded", "--topic-prefix", prefix, *at],
        "check": ["check", "passthrough", "--topic-prefix", prefix, *at],
        "chaos": ["chaos", "kill-restart", "spark", "passthrough", "--topic-prefix", prefix, "--kills", "1", *at],
        "demo": ["demo", "flink", "passthrough", "--topic-prefix", prefix, *at],
        "batch run": ["run", "spark", "sales-batch", "--input", str(input_file), "--output-dir", str(folder)],
        "bench": ["bench", "--profile", "tiny", "--out", str(folder), *at],
    }


def test_every_clearing_command_leaves_foreign_topics_and_folders_untouched(
    kafka_bootstrap: str, foreign: tuple[str, list[str], Path], tmp_path: Path
) -> None:
    prefix, names, folder = foreign
    before = {name: records(kafka_bootstrap, name) for name in names}
    files = fingerprint(folder)
    input_file = tmp_path / "sales.csv"
    input_file.write_text("1,books,10.0,1,2024-01-01\n")
    # what each names: the output topic (all a bounded run clears), the folder, or both topics (the input first)
    named = {"run --bounded": names[1], "batch run": str(folder), "bench": str(folder)}
    for what, argv in commands(prefix, folder, input_file, kafka_bootstrap).items():
        line = refused(streamlab(*argv, timeout_s=180), named.get(what, names[0]))
        fix = "another" if what in ("batch run", "bench") else "--topic-prefix"
        assert fix in line, f"{what}: {line}"
    assert {name: records(kafka_bootstrap, name) for name in names} == before
    assert fingerprint(folder) == files


def test_a_folder_the_lab_made_is_the_labs_to_replace(tmp_path: Path) -> None:
    """On Spark, whose writers could delete the folder and its mark with it (Flink writes into it)."""
    input_file = tmp_path / "sales.csv"
    input_file.write_text("1,books,10.0,1,2024-01-01\n2,toys,5.0,2,2024-01-02\n")
    for _ in range(2):  # the second run replaces what the first wrote (Spark's writer must keep the mark)
        result = streamlab(
            "run", "spark", "sales-batch", "--input", str(input_file), "--output-dir", str(tmp_path / "new" / "out")
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "2 records = counted 2" in " ".join(result.stdout.split())
