"""patient-events on both engines against a real broker, checked by pandas over exactly what was produced.

The project's sample CSV is replayed (rows without an action among its 300), then records no CSV
replay makes are added by hand (not JSON, a JSON array, an empty value, a null action), so every
reason the parse step knows is exercised. Each engine runs --bounded in its own process into its
own output and dead-letter topics; the counts must equal the oracle's, and the dead letters must be
the oracle's rejects, record by record.
"""

from __future__ import annotations

import argparse
import json
import uuid

import pytest

from producers import patient_events as producer
from streamlab import kafka_admin, oracles, producing, results, runner, workloads
from streamlab.settings import INPUT, Settings
from tests.integration.commands import (
    read_letters,
    run_bounded_into_own_topics,
    same_rejects,
)

pytestmark = pytest.mark.integration

WORKLOAD = workloads.get("patient-events")
JOB = WORKLOAD.job()
HAND_MADE = [b"{not json", b'["admit"]', None, b'{"patient_id": "P1", "action": null}', b'{"action": "admit"}']


@pytest.fixture(scope="module")
def prefix(kafka_bootstrap: str) -> str:
    prefix = f"pe_{uuid.uuid4().hex[:8]}_"
    settings = Settings(WORKLOAD.name, bootstrap_servers=kafka_bootstrap, topics=WORKLOAD.topic_names(prefix))
    runner.produce(settings, WORKLOAD, argparse.Namespace(file=producer.SAMPLE_CSV, rate=0.0), show_progress=False)
    extra = [producing.OutgoingRecord(b"P1", value) for value in HAND_MADE]
    producing.send_all(kafka_bootstrap, {INPUT: settings.input_topic}, extra, len(extra), show_progress=False)
    return prefix


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_counts_and_dead_letters_equal_pandas(engine: str, kafka_bootstrap: str, prefix: str) -> None:
    topics = run_bounded_into_own_topics(engine, "patient-events", prefix, kafka_bootstrap)

    records = kafka_admin.read_topic(kafka_bootstrap, f"{prefix}patient_events")
    assert len(records) == producer.SAMPLE_ROWS + len(HAND_MADE)
    expected, expected_rejects = oracles.patient_action_counts(records)
    settings = Settings(WORKLOAD.name, bootstrap_servers=kafka_bootstrap, topics=topics)
    table = results.read_result(JOB.result, settings)
    diff = oracles.differences(table, expected, ["action"], ["event_count"])
    assert diff.empty, f"{engine} differs from pandas:\n{diff.to_string()}"

    letters = read_letters(kafka_bootstrap, topics["dead_letters"])
    assert same_rejects(letters, expected_rejects)
    reasons = {"empty value", "not a JSON object", "missing field: action", "empty field: action"}
    assert set(letters["reason"]) == reasons
    assert table["event_count"].sum() + len(letters) == len(records)

    # the key upsert-kafka writes, byte for byte (Spark builds its own): or compaction keeps stale counts
    view = kafka_admin.latest_per_key(kafka_admin.read_topic(kafka_bootstrap, topics["output"]))
    for key, value in view.items():
        assert key == json.dumps({"action": json.loads(value)["action"]}, separators=(",", ":")).encode()
