"""`streamlab check behavior-stats` end to end: the demo's seeded input into fresh topics, Flink and then
Spark bounded, each in a process of its own, and the side-by-side table with pandas.

The command's own verdict is not taken on trust: the test reads both engines' output topics itself and
compares them with the oracle over the input topic as it holds the produced records.
"""

from __future__ import annotations

import shutil

import pytest

from streamlab import kafka_admin, oracles, results, workloads
from streamlab.crosscheck import engine_topics, work_dir
from streamlab.settings import Settings
from tests.integration.commands import one_line, streamlab, succeeded

pytestmark = pytest.mark.integration

WORKLOAD = workloads.get("behavior-stats")
JOB = WORKLOAD.job()
CHECK_TIMEOUT_S = 1500  # two engines, one after the other, on a busy 2-core machine


def test_check_runs_both_engines_on_one_input_and_both_match_pandas(kafka_bootstrap: str, topic_suffix: str) -> None:
    prefix = f"cc{topic_suffix}_"
    argv = ["check", WORKLOAD.name, "--topic-prefix", prefix, "--bootstrap-servers", kafka_bootstrap]
    try:
        output = one_line(succeeded(streamlab(*argv, timeout_s=CHECK_TIMEOUT_S)))
    finally:
        shutil.rmtree(work_dir(WORKLOAD, prefix), ignore_errors=True)

    input_topic = f"{prefix}user_behaviors"
    records = kafka_admin.read_topic(kafka_bootstrap, input_topic)
    expected, rejected = oracles.behavior_stats(records)
    assert len(records) == 1000 and len(rejected) == 20  # the demo's --count 1000 --bad-every 50
    for step in ("[1/5] fresh topics", "[2/5] producing", "[3/5] flink:", "[4/5] spark:", "[5/5] reading"):
        assert step in output
    assert f"over {input_topic}" in output
    for engine in ("flink", "spark"):
        assert (
            f"{engine} stats: agrees with pandas: {len(expected)} rows, {len(expected)} equal, 0 differing, "
            f"0 missing, 0 extra; dead letters 20 vs oracle rejects 20"
        ) in output
        topics = engine_topics(WORKLOAD, prefix, engine)
        assert topics["output"] == f"{prefix}{engine}_behavior_stats"
        settings = Settings(WORKLOAD.name, engine, bootstrap_servers=kafka_bootstrap, topics=topics)
        table = results.read_result(JOB.result, settings)
        spec = JOB.result
        assert oracles.differences(table, expected, list(spec.key_columns), list(spec.value_columns)).empty
        assert results.topic_size(kafka_bootstrap, topics["dead_letters"]) == len(rejected)


def test_check_refuses_to_delete_topics_it_did_not_create(kafka_bootstrap: str, topic_suffix: str) -> None:
    prefix = f"mine{topic_suffix}_"
    kafka_admin.ensure_topics(kafka_bootstrap, [kafka_admin.TopicSpec(f"{prefix}user_behaviors")])
    shown = streamlab("check", WORKLOAD.name, "--topic-prefix", prefix, "--bootstrap-servers", kafka_bootstrap)
    assert shown.returncode == 2
    assert f"{prefix}user_behaviors exist and were not written by `streamlab check`" in one_line(shown.stdout)
    assert "--existing" in shown.stdout
