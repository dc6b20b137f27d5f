"""passthrough end to end on both engines against a real broker, checked by a pandas oracle.

One seeded batch of behavior-stats events (malformed ones mixed in) is produced once, plus records a
producer run never makes (no value, no ts, no user_id, text to escape, "Purchase"). Each engine runs
`streamlab run ENGINE passthrough --bounded` in its own process into output and dead-letter topics of
its own. Its purchase intents must be the oracle's, row for row, and its dead letters the oracle's
rejects (behavior-stats's, the parse being the same) by position and reason. Both engines must write
the same bytes, and their plans must hold no state: Spark's one query over one scan, Flink's Calcs.
"""

from __future__ import annotations

import argparse
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from streamlab import compare, kafka_admin, producing, results, workloads
from streamlab.oracles import behavior_stats, passthrough
from streamlab.run import lifecycle
from streamlab.settings import INPUT, Settings
from tests.integration.commands import one_line, read_letters, same_rejects, streamlab, succeeded

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKLOAD = workloads.get("passthrough")
JOB = WORKLOAD.job()
ENGINES = ("flink", "spark")
EVENTS = 3_000
BAD_EVERY = 37  # 81 malformed, every kind the producer knows
HAND_MADE = [
    (b"user_5", None),  # empty value
    (b"user_5", b'{"user_id": "user_5", "category": "books", "behavior": "purchase"}'),  # missing field: ts
    # valid, no user_id: NULL columns and no Kafka key, on both engines alike
    (None, b'{"item_id": "item_9", "category": "books", "behavior": "purchase", "ts": "2025-04-21 14:10:45.001"}'),
    # valid, with text to escape and non-ASCII text: the JSON both engines write must still be the same bytes
    ("user_ü".encode(), json.dumps({"user_id": "user_ü", "item_id": 'item "7"\\', "category": "도서",
                                    "behavior": "add_to_cart", "ts": "2025-12-31 23:59:59.999"}).encode()),
    (b"user_6", b'{"user_id": "user_6", "category": "books", "behavior": "Purchase", "ts": "2025-04-21 14:10:45.002"}'),
    # valid, a user_id that is a number: NULL (ids are JSON strings), and no Kafka key, on both engines alike
    (b"42", b'{"user_id": 42, "category": "books", "behavior": "purchase", "ts": "2025-04-21 14:10:45.003"}'),
]  # fmt: skip


@dataclass(frozen=True)
class BoundedRun:
    settings: Settings  # the topics it read and wrote
    shown: str  # what `run` printed
    checkpoints: Path


@pytest.fixture(scope="module")
def prefix(kafka_bootstrap: str) -> str:
    prefix = f"pt_{uuid.uuid4().hex[:8]}_"
    settings = Settings(WORKLOAD.name, bootstrap_servers=kafka_bootstrap, topics=WORKLOAD.topic_names(prefix))
    options = argparse.Namespace(count=EVENTS, rate=0.0, seed=11, bad_every=BAD_EVERY)
    lifecycle.produce(settings, WORKLOAD, options, show_progress=False)
    extra = [producing.OutgoingRecord(key, value) for key, value in HAND_MADE]
    producing.send_all(kafka_bootstrap, {INPUT: settings.input_topic}, extra, len(extra), show_progress=False)
    return prefix


@pytest.fixture(scope="module")
def records(kafka_bootstrap: str, prefix: str) -> list[kafka_admin.Record]:
    return kafka_admin.read_topic(kafka_bootstrap, WORKLOAD.topic_names(prefix)[INPUT])


@pytest.fixture(scope="module")
def oracle(records: list[kafka_admin.Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return passthrough.purchase_intents(records)


@pytest.fixture(scope="module")
def runs(kafka_bootstrap: str, prefix: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, BoundedRun]:
    """Each engine's `run --bounded`, one after the other, into topics of its own."""
    done = {}
    for engine in ENGINES:
        topics = {
            **WORKLOAD.topic_names(prefix),
            "output": f"{prefix}out_{engine}",
            "dead_letters": f"{prefix}dlq_{engine}",
        }
        checkpoints = tmp_path_factory.mktemp(f"checkpoints-{engine}")
        shown = succeeded(
            streamlab("run", engine, WORKLOAD.name, "--bounded", "--topic-prefix", prefix, "--parallelism", "2",
                      "--output-topic", topics["output"], "--dead-letter-topic", topics["dead_letters"],
                      "--checkpoint-dir", str(checkpoints), "--bootstrap-servers", kafka_bootstrap)
        )  # fmt: skip
        settings = Settings(WORKLOAD.name, engine=engine, bootstrap_servers=kafka_bootstrap, topics=topics)
        done[engine] = BoundedRun(settings, shown, checkpoints)
    return done


def test_the_input_holds_what_was_produced(
    records: list[kafka_admin.Record], oracle: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    intents, rejected = oracle
    assert len(records) == EVENTS + len(HAND_MADE)
    assert len(rejected) == EVENTS // BAD_EVERY + 2
    # about half the valid events are intents (two behaviours of four), and 3 of the hand-made ones
    valid = len(records) - len(rejected)
    assert 0.4 * valid < len(intents) < 0.6 * valid
    assert set(rejected["reason"]) == {
        "empty value", "not a JSON object", "missing field: category", "missing field: behavior",
        "missing field: ts", "not a string: ts", "bad timestamp: ts",
    }  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_writes_the_purchase_intents_pandas_keeps(
    engine: str, runs: dict[str, BoundedRun], oracle: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    run = runs[engine]
    expected, rejected = oracle
    table = results.read_result(JOB.result, run.settings)
    diff = compare.differences(table, expected, list(JOB.result.key_columns), list(JOB.result.value_columns))
    assert diff.empty, f"{engine} differs from the oracle:\n{diff.to_string()}"
    assert len(table) == len(expected)
    assert f"{EVENTS + len(HAND_MADE):,} records read; dead letters {len(rejected):,}" in one_line(run.shown)


@pytest.mark.parametrize("engine", ENGINES)
def test_dead_letters_are_the_oracles_and_behavior_stats_rejects(
    engine: str,
    runs: dict[str, BoundedRun],
    records: list[kafka_admin.Record],
    oracle: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    run = runs[engine]
    letters = read_letters(run.settings.bootstrap_servers, run.settings.dead_letter_topic)
    assert same_rejects(letters, oracle[1])
    assert same_rejects(letters, behavior_stats.counts(records)[1])  # the same parse, the same verdicts
    by_position = {(r.partition, r.offset): r.value for r in records}
    for letter in letters.to_dict("records"):
        raw = by_position[(letter["source_partition"], letter["source_offset"])]
        assert letter["raw_value"] == (raw.decode() if raw is not None else None)


@pytest.mark.parametrize("engine", ENGINES)
def test_intents_are_keyed_by_user_id_in_the_partition_their_event_came_from(
    engine: str, runs: dict[str, BoundedRun]
) -> None:
    run = runs[engine]
    written = kafka_admin.read_topic(run.settings.bootstrap_servers, run.settings.output_topic)
    assert written
    for record in written:
        intent = json.loads(record.value)
        user = intent["user_id"]
        assert record.key == (user.encode() if user is not None else None)
        if user is not None:  # the producer's key and hash: the same partition number
            assert record.partition == intent["source_partition"]


def key_value_bytes(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    return sorted(((r.key, r.value) for r in kafka_admin.read_topic(bootstrap, topic)), key=repr)


def test_both_engines_write_the_same_bytes(runs: dict[str, BoundedRun]) -> None:
    """The same key and the same JSON text for every intent and every dead letter, nulls and escapes included."""
    flink, spark = (runs[engine].settings for engine in ENGINES)
    bootstrap = flink.bootstrap_servers
    assert key_value_bytes(bootstrap, flink.output_topic) == key_value_bytes(bootstrap, spark.output_topic)
    assert key_value_bytes(bootstrap, flink.dead_letter_topic) == key_value_bytes(bootstrap, spark.dead_letter_topic)


def test_spark_runs_one_query_over_one_scan_and_neither_plan_keeps_state(runs: dict[str, BoundedRun]) -> None:
    # one streaming query: one checkpoint folder (Spark keeps one per query), for intents and dead letters alike
    spark_queries = sorted(path.name for path in runs["spark"].checkpoints.iterdir() if path.is_dir())
    assert spark_queries == ["routed"]
    spark_plan = succeeded(streamlab("explain", "spark", WORKLOAD.name))
    assert spark_plan.count("StreamingRelation (") == 1  # one Kafka source scan
    for stateful in ("StateStore", "Exchange", "HashAggregate", "Join"):
        assert stateful not in spark_plan
    flink_plan = succeeded(streamlab("explain", "flink", WORKLOAD.name))
    execution = flink_plan.split("== Optimized Execution Plan ==", 1)[1]
    assert execution.count("TableSourceScan(") == 1 and execution.count("Reused(") == 2  # one scan, two sinks
    for stateful in ("GroupAggregate", "Join", "Window", "Rank", "Deduplicate"):
        assert stateful not in flink_plan
    assert set(re.findall(r"changelogMode=\[(\w+)\]", one_line(flink_plan))) == {"I", "NONE"}  # insert-only
