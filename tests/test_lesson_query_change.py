"""Lesson query-change without engines: its SQL variants, how it reads an engine's refusal, and the hook it runs
variants through (`run --sql NAME=FILE`: Settings.sql_files, sqlfiles.replacing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streamlab import sqlfiles, workloads
from streamlab.cli.common import settings_from
from streamlab.cli.parser import build_parser
from streamlab.errors import LabError
from streamlab.kafka_admin import Record
from streamlab.lessons import query_change
from streamlab.settings import Settings

SINK_VALUES = {"OUTPUT_TOPIC": "out", "BOOTSTRAP_SERVERS": "b:9092", "DELIVERY_GUARANTEE": "at-least-once",
               "TRANSACTIONAL_ID_PREFIX": "p", "TRANSACTION_TIMEOUT_MS": 1}  # fmt: skip


@pytest.mark.parametrize("path", sorted(query_change.VARIANTS.glob("*.sql")), ids=lambda p: p.name)
def test_every_variant_names_its_workload_and_lesson(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith(f"-- {query_change.WORKLOAD}, lesson query-change: ")


def test_every_change_names_files_that_exist() -> None:
    for change in query_change.CHANGES:
        for file in (change.query, change.flink_sink):
            assert not file or (query_change.VARIANTS / file).is_file()


def test_a_replaced_statement_is_read_from_its_file() -> None:
    replaced = {"flink_sink": query_change.VARIANTS / "flink_sink_extra_column.sql"}
    with sqlfiles.replacing(query_change.WORKLOAD, replaced):
        text = sqlfiles.load(query_change.WORKLOAD, "flink_sink", SINK_VALUES)
        assert "last_event_day" not in sqlfiles.load("passthrough", "flink_sink", {"TABLE_NAME": "t", **SINK_VALUES})
    assert "last_event_day STRING" in text
    assert "last_event_day" not in sqlfiles.load(query_change.WORKLOAD, "flink_sink", SINK_VALUES)


def test_run_sql_flag_reaches_the_settings(tmp_path: Path) -> None:
    variant = query_change.VARIANTS / "new_filter.sql"
    args = build_parser().parse_args(["run", "flink", "behavior-stats", "--sql", f"query={variant}"])
    settings = settings_from(args, workloads.get("behavior-stats"))
    assert settings.sql_files == {"query": variant}
    with sqlfiles.replacing("behavior-stats", settings.sql_files):
        assert "behavior <> 'view'" in sqlfiles.load("behavior-stats", "query")


def test_a_sql_flag_must_name_a_statement_of_the_workload_and_a_file(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="behavior-stats has no qurey.sql"):
        Settings(workload="behavior-stats", sql_files={"qurey": query_change.VARIANTS / "new_filter.sql"})
    with pytest.raises(LabError, match="no such file"):
        Settings(workload="behavior-stats", sql_files={"query": tmp_path / "missing.sql"})


def test_flinks_refusal_keeps_its_words_without_the_packages() -> None:
    output = (
        "job: FAILING error: the job failed: Caused by: org.apache.flink.util.StateMigrationException: The new key "
        "serializer (org.apache.flink.table.runtime.typeutils.RowDataSerializer@b2abcb09) must be compatible with "
        "the previous key serializer (org.apache.flink.table.runtime.typeutils.RowDataSerializer@44258101)."
    )
    assert query_change.refusal(output) == (
        "StateMigrationException: The new key serializer (RowDataSerializer@b2abcb09) must be compatible with the "
        "previous key serializer (RowDataSerializer@44258101)."
    )


def test_a_refusal_cut_by_the_cli_ends_on_a_whole_word() -> None:
    cut = ("Caused by: java.lang.IllegalStateException: Failed to rollback to checkpoint/savepoint file:/x/chk-11. "
           "Cannot map checkpoint/savepoint state for operator cbc357 to the new prog").ljust(300, "g")  # fmt: skip
    text = query_change.refusal(f"error: the job failed: {cut}")
    assert text.startswith("IllegalStateException: Cannot map checkpoint/savepoint state for operator cbc357")
    assert text.endswith(" ...")


def test_sparks_refusal_names_both_schemas() -> None:
    output = (
        "Existing key_schema=StructType(StructField(category,StringType,true),StructField(behavior,StringType,true)) "
        "and new key_schema=StructType(StructField(category,StringType,true),StructField(user_id,StringType,true)). "
        "If you want ... error: the job failed: [STREAM_FAILED] Query terminated with exception: "
        "[STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE] Provided key schema does not match existing state key schema."
    )
    assert query_change.refusal(output) == (
        "[STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE] Provided key schema does not match existing state key schema. "
        "(existing key schema: category, behavior; new: category, user_id)"
    )


def test_a_run_that_ended_without_the_cli_error_has_no_refusal() -> None:
    assert query_change.refusal("stopped") == ""


def record(partition: int, offset: int, behavior: str) -> Record:
    value = json.dumps({"category": "books", "behavior": behavior, "ts": "2026-12-07 00:00:00.000"}).encode()
    return Record(topic="t", partition=partition, offset=offset, key=None, value=value, timestamp_ms=0)


def test_a_new_filter_applies_to_the_records_after_the_stop_only() -> None:
    change = next(c for c in query_change.CHANGES if c.dropped_behavior)
    stopped_at = {0: 2}
    assert query_change.keeps(change, record(0, 1, "view"), stopped_at)  # counted before the stop
    assert not query_change.keeps(change, record(0, 2, "view"), stopped_at)
    assert query_change.keeps(change, record(0, 3, "click"), stopped_at)
    assert not query_change.keeps(change, record(1, 0, "view"), stopped_at)


def test_flinks_accepted_runs_go_one_at_a_time() -> None:
    flink = [c for c in query_change.CHANGES if c.flink]
    for batch in query_change.batches(flink, "flink"):
        assert sum(change.accepted("flink") for change in batch) == 1
    spark = [c for c in query_change.CHANGES if c.spark]
    assert sorted(c.slug for batch in query_change.batches(spark, "spark") for c in batch) == sorted(
        c.slug for c in spark
    )


def test_spark_batch_end_reads_the_newest_committed_batch(tmp_path: Path) -> None:
    query = tmp_path / "routed"
    for folder in ("offsets", "commits"):
        (query / folder).mkdir(parents=True)
    (query / "offsets" / "0").write_text('v1\n{"conf":{}}\n{"t":{"0":5,"1":7}}\n', encoding="utf-8")
    (query / "offsets" / "1").write_text('v1\n{"conf":{}}\n{"t":{"0":9,"1":9}}\n', encoding="utf-8")
    (query / "commits" / "0").write_text("v1\n{}\n", encoding="utf-8")
    assert query_change.spark_batch_end(tmp_path, "t") == {0: 5, 1: 7}
