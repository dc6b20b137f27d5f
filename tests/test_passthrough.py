"""passthrough: the oracle (filter, projection, rejects), its SQL files, and how its jobs wire them."""

from __future__ import annotations

import json
import re
from datetime import datetime
from unittest.mock import MagicMock

import pandas as pd
import pytest

from flink_jobs import passthrough as flink_job
from producers import behavior_stats as producer
from spark_jobs import passthrough as spark_job
from streamlab import engines, jobparts, sqlfiles, workloads
from streamlab.kafka_admin import Record
from streamlab.oracles.behavior_stats import counts as behavior_stats
from streamlab.oracles.passthrough import INTENT_COLUMNS, purchase_intents
from streamlab.paths import SQL_DIR
from streamlab.results import APPEND_TOPIC
from streamlab.settings import Settings

WORKLOAD = workloads.get("passthrough")
JOB = WORKLOAD.job()
SETTINGS = Settings(
    workload=WORKLOAD.name,
    bootstrap_servers="broker-a:9092",
    topics={"input": "in_topic", "output": "out_topic", "dead_letters": "dlq_topic"},
)
VALID = {"user_id": "user_1", "item_id": "item_1", "category": "books", "behavior": "purchase",
         "ts": "2025-04-21 14:10:45.123"}  # fmt: skip


def event(**changes: object) -> bytes:
    fields: dict[str, object] = {**VALID, **changes}
    return json.dumps({name: value for name, value in fields.items() if value != "<absent>"}).encode()


def record(value: bytes | None, offset: int, partition: int = 0) -> Record:
    return Record("passthrough_events", partition, offset, 0, b"user_1", value)


RECORDS = [
    record(event(), 0),
    record(event(behavior="click"), 1),
    record(event(behavior="add_to_cart", ts="2025-12-31 23:59:59.999", category="home"), 2),
    record(b"{broken", 3),
    record(event(behavior="view"), 0, partition=1),
    record(event(user_id="<absent>", item_id=7), 1, partition=1),
    record(event(behavior="Purchase"), 2, partition=1),  # the filter is exact: not an intent
    record(event(ts="<absent>"), 3, partition=1),
    record(None, 4, partition=1),
]


def test_purchase_intents_keeps_valid_add_to_cart_and_purchase_events_only() -> None:
    intents, _ = purchase_intents(RECORDS)
    assert list(zip(intents["source_partition"], intents["source_offset"], strict=True)) == [(0, 0), (0, 2), (1, 1)]
    assert set(intents["behavior"]) == {"add_to_cart", "purchase"}


def test_purchase_intents_projects_the_event_as_sent_and_its_source_position() -> None:
    intents, _ = purchase_intents(RECORDS)
    assert list(intents.columns) == INTENT_COLUMNS
    assert intents.to_dict("records") == [
        {"source_partition": 0, "source_offset": 0, "user_id": "user_1", "item_id": "item_1", "category": "books",
         "behavior": "purchase", "ts": "2025-04-21 14:10:45.123"},
        {"source_partition": 0, "source_offset": 2, "user_id": "user_1", "item_id": "item_1", "category": "home",
         "behavior": "add_to_cart", "ts": "2025-12-31 23:59:59.999"},
        # no user_id is NULL (the parse does not require one); so is a number: ids are text on both engines
        {"source_partition": 1, "source_offset": 1, "user_id": None, "item_id": None, "category": "books",
         "behavior": "purchase", "ts": "2025-04-21 14:10:45.123"},
    ]  # fmt: skip


def test_purchase_intents_rejects_what_behavior_stats_rejects_with_the_same_reasons() -> None:
    _, rejected = purchase_intents(RECORDS)
    assert rejected.to_dict("records") == [
        {"reason": "not a JSON object", "source_topic": "passthrough_events", "source_partition": 0,
         "source_offset": 3},
        {"reason": "missing field: ts", "source_topic": "passthrough_events", "source_partition": 1,
         "source_offset": 3},
        {"reason": "empty value", "source_topic": "passthrough_events", "source_partition": 1, "source_offset": 4},
    ]  # fmt: skip
    pd.testing.assert_frame_equal(rejected, behavior_stats(RECORDS)[1])


def test_purchase_intents_over_the_producers_events() -> None:
    outgoing = list(producer.records(600, seed=3, origin=datetime(2025, 4, 21, 23, 59, 59), bad_every=7))
    records = [record(o.value, offset) for offset, o in enumerate(outgoing)]
    intents, rejected = purchase_intents(records)
    assert len(rejected) == 600 // 7
    events = {r.offset: json.loads(r.value) for r in records if r.offset not in set(rejected["source_offset"])}
    kept = {offset: e for offset, e in events.items() if e["behavior"] in ("add_to_cart", "purchase")}
    assert 0 < len(kept) < len(events)  # clicks and views are left out
    assert list(intents["source_offset"]) == sorted(kept)
    for row in intents.to_dict("records"):
        assert {name: row[name] for name in VALID} == kept[row["source_offset"]]  # every field as sent


def test_purchase_intents_of_no_records_is_empty() -> None:
    intents, rejected = purchase_intents([])
    assert intents.empty and rejected.empty
    assert list(intents.columns) == INTENT_COLUMNS


def test_the_registry_declares_an_append_topic_keyed_by_source_position() -> None:
    assert WORKLOAD.producer() is workloads.get("behavior-stats").producer()
    assert {t.role: t.default for t in WORKLOAD.topics} == {
        "input": "passthrough_events", "output": "purchase_intents", "dead_letters": "passthrough_events_dlq",
    }  # fmt: skip
    assert not any(t.compacted for t in WORKLOAD.topics)
    spec = JOB.result
    assert (JOB.name, JOB.module, JOB.oracle, spec.kind) == (
        "intents",
        "passthrough",
        "passthrough.purchase_intents",
        APPEND_TOPIC,
    )
    assert spec.key_columns == ("source_partition", "source_offset")
    assert set(spec.columns) == set(INTENT_COLUMNS)
    assert spec.not_one_to_one  # clicks and views make no record: input != kept + rejected


# ---- the SQL files -------------------------------------------------------------------------------


def sql_code(workload: str, name: str) -> str:
    """A file's statement without its comments."""
    text = (SQL_DIR / workload / f"{name}.sql").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def select_names(code: str) -> list[str]:
    """The output column names of a `SELECT a, f(b) AS c, ... FROM` statement."""
    select_list = code.split("SELECT", 1)[1].split("\nFROM", 1)[0]
    return [item.split()[-1] for item in select_list.split(",\n")]


def struct_keys(code: str) -> list[list[str]]:
    """The field names of each named_struct(...) that to_json writes, in order."""
    return [re.findall(r"'(\w+)',", inner) for inner in re.findall(r"named_struct\((.*?)\)\s*,\s*map", code, re.S)]


def table_columns(code: str) -> list[str]:
    return re.findall(r"^\s+(\w+) [A-Z]+,?$", code.split(") WITH", 1)[0], re.M)


def test_the_sql_files_render_with_the_jobs_values() -> None:
    assert sqlfiles.placeholders((SQL_DIR / "passthrough" / "query.sql").read_text()) == set()
    sink = sqlfiles.load("passthrough", "flink_sink", flink_job.sql_values(SETTINGS))
    assert "'topic' = 'out_topic'" in sink and "'properties.bootstrap.servers' = 'broker-a:9092'" in sink
    routed = sqlfiles.load("passthrough", "spark_routed", spark_job.topic_values(SETTINGS))
    assert "THEN 'out_topic' ELSE 'dlq_topic' END AS topic" in routed
    assert "${" not in sink + routed


def test_the_query_is_stateless() -> None:
    code = sql_code("passthrough", "query").upper()
    for stateful in ("GROUP BY", "JOIN", "OVER", "WINDOW", "TUMBLE", "DISTINCT", "WATERMARK", "MATCH_RECOGNIZE"):
        assert stateful not in code


def test_every_engine_writes_the_columns_of_the_query_in_its_order() -> None:
    """Flink's sink table, Spark's routed JSON and the registry name the same columns as query.sql."""
    columns = select_names(sql_code("passthrough", "query"))
    assert columns == ["user_id", "item_id", "category", "behavior", "ts", "source_partition", "source_offset"]
    assert table_columns(sql_code("passthrough", "flink_sink")) == columns
    intents, letters = struct_keys(sql_code("passthrough", "spark_routed"))
    assert intents == columns
    assert set(JOB.result.columns) == set(columns)
    # and the dead letters as the shared SELECT names them, as Flink's dead-letter table declares them
    assert letters == select_names(sql_code(jobparts.SHARED, "dead_letters"))
    assert letters == table_columns(sql_code(jobparts.SHARED, "flink_dead_letter_sink"))


def test_spark_routes_what_query_sql_keeps_and_every_reject() -> None:
    code = sql_code("passthrough", "spark_routed")
    query = sql_code("passthrough", "query")
    assert "WHERE reject_reason IS NULL AND behavior IN ('add_to_cart', 'purchase')" in query
    assert "WHERE reject_reason IS NOT NULL OR behavior IN ('add_to_cart', 'purchase')" in code
    ts_text = "DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss.SSS')"
    assert ts_text in query and ts_text in code


# ---- the jobs: which files they load, how many Spark queries run ---------------------------------


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(workload folder, file) of every SQL file loaded, in order."""
    calls: list[tuple[str, str]] = []
    real_load = sqlfiles.load

    def recording_load(workload: str, name: str, values: object = None) -> str:
        calls.append((workload, name))
        return real_load(workload, name, values)

    monkeypatch.setattr(sqlfiles, "load", recording_load)
    return calls


def test_flink_reuses_behavior_stats_parse_and_the_shared_dead_letters(loaded: list[tuple[str, str]]) -> None:
    table_env = MagicMock()
    flink_job.build(table_env, SETTINGS)
    assert loaded == [
        ("shared", "flink_raw_source"),
        ("passthrough", "flink_sink"),
        ("behavior-stats", "flink_parse"),
        ("passthrough", "query"),
        ("shared", "flink_dead_letter_sink"),
        ("shared", "dead_letters"),
    ]
    statements = table_env.create_statement_set.return_value
    assert [c.args[0] for c in statements.add_insert.call_args_list] == [
        "purchase_intents", "user_behaviors_checked_dead_letters",
    ]  # fmt: skip


def test_spark_reuses_behavior_stats_parse_in_one_query_routed_by_topic(
    loaded: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(engines, "spark_session", lambda settings: MagicMock())
    monkeypatch.setattr(engines, "spark_kafka_sink", lambda *args, **kwargs: started.append((args, kwargs)))
    job = spark_job.run(SETTINGS)
    assert loaded == [("shared", "spark_envelope"), ("behavior-stats", "spark_parse"), ("passthrough", "spark_routed")]
    assert len(started) == 1  # one streaming query: intents and dead letters alike
    (_, settings, name, mode), kwargs = started[0]
    assert (settings, name, mode, kwargs) == (SETTINGS, "routed", "update", {})  # no topic: the frame's column routes
    assert isinstance(job, engines.SparkJob)
