"""behavior-stats end to end on both engines against a real broker, checked by a pandas oracle.

One seeded batch (with malformed records mixed in) is produced once; each engine reads it
with --bounded semantics into its own output and dead-letter topics. The oracle is computed
from the records read back from the input topic, i.e. exactly what was produced.
"""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from streamlab import kafka_admin, oracles, results, runner, workloads
from streamlab.settings import Settings

pytestmark = pytest.mark.integration

EVENTS = 20_000
BAD_EVERY = 97  # about 1% malformed, of every kind the producer knows
WORKLOAD = workloads.get("behavior-stats")
JOB = WORKLOAD.job()


@dataclass(frozen=True)
class ProducedBatch:
    input_topic: str
    records: list[kafka_admin.Record]
    expected: pd.DataFrame
    rejected: pd.DataFrame


@pytest.fixture(scope="module")
def produced(kafka_bootstrap: str) -> ProducedBatch:
    topic = f"user_behaviors_{uuid.uuid4().hex[:8]}"
    settings = Settings(workload=WORKLOAD.name, bootstrap_servers=kafka_bootstrap, topics={"input": topic})
    kafka_admin.ensure_topics(kafka_bootstrap, [kafka_admin.TopicSpec(topic)])
    options = argparse.Namespace(count=EVENTS, rate=0, seed=7, bad_every=BAD_EVERY)
    WORKLOAD.producer().produce(settings, options, show_progress=False)
    records = kafka_admin.read_topic(kafka_bootstrap, topic)
    expected, rejected = oracles.behavior_stats(records)
    return ProducedBatch(topic, records, expected, rejected)


def run_bounded(engine: str, kafka_bootstrap: str, batch: ProducedBatch, checkpoints: Path) -> Settings:
    suffix = f"{engine}_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        workload=WORKLOAD.name,
        engine=engine,
        bootstrap_servers=kafka_bootstrap,
        topics={
            "input": batch.input_topic,
            "output": f"behavior_stats_{suffix}",
            "dead_letters": f"user_behaviors_dlq_{suffix}",
        },
        checkpoint_dir=checkpoints,
        bounded=True,
        parallelism=2,
    )
    runner.ensure_topics(settings, WORKLOAD)
    WORKLOAD.engine_module(JOB, engine).run(settings).wait()
    return settings


def test_the_batch_holds_what_was_produced(produced: ProducedBatch) -> None:
    assert len(produced.records) == EVENTS
    assert len(produced.rejected) == EVENTS // BAD_EVERY
    assert produced.expected["behavior_count"].sum() == EVENTS - EVENTS // BAD_EVERY
    assert len(produced.expected) == 20  # 5 categories x 4 behaviours


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_engine_matches_pandas_oracle(
    engine: str, kafka_bootstrap: str, produced: ProducedBatch, tmp_path: Path
) -> None:
    settings = run_bounded(engine, kafka_bootstrap, produced, tmp_path / "checkpoints")

    table = results.read_result(JOB.result, settings)
    diff = oracles.differences(table, produced.expected, list(JOB.result.key_columns), list(JOB.result.value_columns))
    assert diff.empty, f"{engine} differs from the oracle:\n{diff.to_string()}"
    assert table["update_time"].notna().all()

    dead_letters = pd.DataFrame(
        [json.loads(r.value) for r in kafka_admin.read_topic(kafka_bootstrap, settings.dead_letter_topic)]
    )
    by_position = ["source_partition", "source_offset"]
    assert (
        dead_letters[by_position + ["reason"]]
        .sort_values(by_position, ignore_index=True)
        .equals(produced.rejected[by_position + ["reason"]].sort_values(by_position, ignore_index=True))
    )
    assert (dead_letters["source_topic"] == produced.input_topic).all()
    # every input record is accounted for: counted once, or dead-lettered with a reason
    assert table["behavior_count"].sum() + len(dead_letters) == len(produced.records)


def test_compacted_output_keys_are_json_primary_keys(
    kafka_bootstrap: str, produced: ProducedBatch, tmp_path: Path
) -> None:
    """Both engines must write the key upsert-kafka writes, or compaction would keep stale rows."""
    settings = run_bounded("spark", kafka_bootstrap, produced, tmp_path / "checkpoints")
    view = kafka_admin.latest_per_key(kafka_admin.read_topic(kafka_bootstrap, settings.output_topic))
    for key, value in view.items():
        row = json.loads(value)
        assert json.loads(key) == {"category": row["category"], "behavior": row["behavior"]}
        assert (
            key
            == json.dumps({"category": row["category"], "behavior": row["behavior"]}, separators=(",", ":")).encode()
        )
