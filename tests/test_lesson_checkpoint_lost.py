"""Lesson checkpoint-lost without an engine: what a Spark checkpoint folder says about where a query started and
how far it has read (fake folders in Spark's layout), and its view held to pandas over the new records alone."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from streamlab import engines, kafka_admin, workloads
from streamlab.kafka_admin import Record
from streamlab.lessons import checkpoint_lost
from streamlab.settings import Settings

TOPIC = "user_behaviors"
META = json.dumps({"batchWatermarkMs": 0, "batchTimestampMs": 1796600879619, "conf": {}})


def spark_query(folder: Path, started: dict[str, int] | None, batches: list[dict[str, int]], committed: int) -> Path:
    """A query folder as Spark writes it: sources/0/0 (a zero byte, a version line, the start offsets), offsets/N
    (a version line, metadata, the offsets) and commits/N, each beside its .crc."""
    query = folder / "routed"
    (query / "sources" / "0").mkdir(parents=True)
    if started is not None:
        (query / "sources" / "0" / "0").write_text(f"\x00v1\n{json.dumps({TOPIC: started})}", encoding="utf-8")
    for log in ("offsets", "commits"):
        (query / log).mkdir()
    for number, ends in enumerate(batches):
        (query / "offsets" / str(number)).write_text(f"v1\n{META}\n{json.dumps({TOPIC: ends})}", encoding="utf-8")
        (query / "offsets" / f".{number}.crc").write_bytes(b"crc")
        if number <= committed:
            (query / "commits" / str(number)).write_text('v1\n{"nextBatchWatermarkMs":0}', encoding="utf-8")
    return query


def spark_settings(folder: Path) -> Settings:
    return Settings(
        "behavior-stats", engine="spark", checkpoint_dir=folder, start_from="latest", topics={"input": TOPIC}
    )


def test_a_spark_query_that_has_not_asked_kafka_yet_resumes_from_nothing(tmp_path: Path) -> None:
    """Spark makes sources/0 before it asks Kafka where --from is, and writes each log entry as a hidden temporary
    file first: neither is something to resume from (a run that waited on them sent its events too soon)."""
    query = spark_query(tmp_path, None, [], -1)
    (query / "sources" / "0" / ".0.5b8c1e0a.tmp").write_text("\x00v1\n")
    (query / "offsets" / ".0.7d2f9e41.tmp").write_text("v1\n")
    settings = spark_settings(tmp_path)
    assert engines.resume_points(settings) == []
    assert engines.describe_start(settings) == "no checkpoint: starting from latest"
    assert checkpoint_lost.spark_start_offsets(settings) == {}


def test_spark_says_where_latest_was_once_it_has_asked(tmp_path: Path) -> None:
    spark_query(tmp_path, {"0": 77, "1": 91, "2": 132}, [], -1)
    settings = spark_settings(tmp_path)
    assert [(point.query, point.number) for point in engines.resume_points(settings)] == [("routed", -1)]
    started = checkpoint_lost.spark_start_offsets(settings)
    assert started == {TOPIC: {0: 77, 1: 91, 2: 132}}
    assert checkpoint_lost.offsets_words(started) == "offset 300 (partitions 0: 77, 1: 91, 2: 132)"


@pytest.mark.parametrize(
    ("committed", "ends", "read_all"),
    [(0, {0: 77, 1: 91, 2: 132}, False), (1, {0: 77, 1: 91, 2: 132}, False), (1, {0: 139, 1: 143, 2: 218}, True)],
)
def test_spark_has_read_to_the_end_once_its_newest_committed_batch_ends_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, committed: int, ends: dict[int, int], read_all: bool
) -> None:
    """Batch 1 is planned up to the new end in every case; only once it is committed has it been written."""
    batches = [{"0": 77, "1": 91, "2": 132}, {"0": 139, "1": 143, "2": 218}]
    spark_query(tmp_path, {"0": 77, "1": 91, "2": 132}, batches, committed)
    monkeypatch.setattr(kafka_admin, "end_offsets", lambda bootstrap, topic: ends if committed else {0: 139})
    lab = checkpoint_lost.Lab(None, spark_settings(tmp_path), workloads.get("behavior-stats").job(), "")  # type: ignore[arg-type]
    assert checkpoint_lost.read_to_the_end(lab) is read_all


def test_the_view_of_a_run_from_latest_is_pandas_over_the_records_after_its_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Records before the start offsets are left out of the oracle's input; every key holds the new ones' count."""
    job = workloads.get("behavior-stats").job()

    def event(partition: int, offset: int, behavior: str) -> Record:
        value = {"user_id": "u1", "item_id": "i1", "category": "books", "behavior": behavior,
                 "ts": f"2026-12-07 00:00:0{offset}.000"}  # fmt: skip
        return Record(TOPIC, partition, offset, 0, b"u1", json.dumps(value).encode())

    records = [event(0, 0, "click"), event(0, 1, "click"), event(1, 0, "view"), event(0, 2, "click")]
    monkeypatch.setattr(checkpoint_lost, "read_inputs", lambda job, settings: [records])
    view = pd.DataFrame([{"category": "books", "behavior": "click", "behavior_count": 1,
                          "last_event_ts": "2026-12-07 00:00:02.000"}])  # fmt: skip
    start = {TOPIC: {0: 2, 1: 1}}  # partition 0 from offset 2, partition 1 from its end
    rows = checkpoint_lost.rows_over_records_after(spark_settings(Path("unused")), job, view, start)
    assert (rows.correct, rows.missing, rows.extra, rows.wrong) == (1, 0, 0, 0)
    everything = checkpoint_lost.rows_over_records_after(spark_settings(Path("unused")), job, view, {})
    assert everything.missing == 2  # clicks counted 1 of 3, views none of 1
