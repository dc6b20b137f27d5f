"""strategy-join on both engines against a real broker, checked by pandas over exactly what was produced.

Bounded: 300 seeded records per strategy over 30 minutes of event time (crossing midnight), up to
30 seconds out of order and 22 of them malformed. `run ENGINE strategy-join --bounded` runs the
strategies stage to its end, then the join: each engine writes topics of its own, and every result
must equal pandas: the rule (both edges of the middle band), the routing X_input -> X_output, and
every pair within 5 minutes, none lost to the watermark. Live: the demo, both stages at once.
"""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import datetime

import pytest

from streamlab import compare, kafka_admin, results, workloads
from streamlab.oracles import strategy_join
from streamlab.run import lifecycle
from streamlab.settings import DEAD_LETTERS, Settings
from streamlab.workloads import STRATEGY_INPUTS, STRATEGY_OUTPUTS
from tests.integration.commands import one_line, read_letters, same_rejects, streamlab, succeeded

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKLOAD = workloads.get("strategy-join")
STRATEGIES, JOIN = WORKLOAD.stages()
OPTIONS = {"count": 300, "rate": 0.0, "seed": 5, "keys": 20, "span_minutes": 30.0, "max_disorder": 30,
           "bad_every": 53, "start": datetime(2025, 4, 21, 23, 45, 0)}  # fmt: skip
OWN_ROLES = (*STRATEGY_OUTPUTS, "ready", DEAD_LETTERS, "ready_dead_letters")  # what each engine writes


@pytest.fixture(scope="module")
def prefix(kafka_bootstrap: str) -> str:

    prefix = f"sj_{uuid.uuid4().hex[:8]}_"
    settings = Settings(WORKLOAD.name, bootstrap_servers=kafka_bootstrap, topics=WORKLOAD.topic_names(prefix))
    lifecycle.produce(settings, WORKLOAD, argparse.Namespace(**OPTIONS), show_progress=False)
    return prefix


@pytest.fixture(scope="module", params=["flink", "spark"])
def bounded_run(request: pytest.FixtureRequest, prefix: str, kafka_bootstrap: str) -> tuple[str, Settings, str]:
    """(engine, settings naming the topics it read and wrote, what `run` printed)."""
    engine = request.param
    own = {role: f"{prefix}{engine}_{role}" for role in OWN_ROLES}
    flags = [arg for role, topic in own.items() for arg in ("--topic", f"{role}={topic}")]
    shown = succeeded(
        streamlab("run", engine, "strategy-join", "--bounded", "--topic-prefix", prefix, "--parallelism", "2",
                  *flags, "--bootstrap-servers", kafka_bootstrap)
    )  # fmt: skip
    topics = {**WORKLOAD.topic_names(prefix), **own}
    return engine, Settings(WORKLOAD.name, engine=engine, bootstrap_servers=kafka_bootstrap, topics=topics), shown


def test_the_strategies_stage_finishes_before_the_join_and_accounts_for_every_record(
    bounded_run: tuple[str, Settings, str],
) -> None:
    engine, settings, shown = bounded_run
    text = one_line(shown)
    assert text.index(f"{engine} finished strategies") < text.index(f"{engine} finished join")
    inputs = [kafka_admin.read_topic(settings.bootstrap_servers, settings.topic(role)) for role in STRATEGY_INPUTS]
    expected, rejects = strategy_join.outputs(*inputs)  # pandas' count, not a figure copied from a run
    total = OPTIONS["count"] * len(STRATEGY_INPUTS)
    assert len(expected) + len(rejects) == total and len(rejects) > 0
    assert f"{total:,} records = counted {len(expected):,} + dead letters {len(rejects):,} [all accounted for]" in text


def test_every_record_gets_the_seeds_rule_in_the_output_topic_of_its_input(
    bounded_run: tuple[str, Settings, str],
) -> None:
    engine, settings, _ = bounded_run
    inputs = [kafka_admin.read_topic(settings.bootstrap_servers, settings.topic(role)) for role in STRATEGY_INPUTS]
    expected, expected_rejects = strategy_join.outputs(*inputs)
    table = results.read_result(STRATEGIES.result, settings)
    diff = compare.differences(table, expected, ["strategy", "key", "ts"], ["value", "result"])
    assert diff.empty, f"{engine} differs from pandas:\n{diff.to_string()}"
    # both ends of "30 to 60, both included" took the middle rule
    edges = table.set_index("value")["result"]
    assert set(edges.loc[[30.0]]) == {55.0} and set(edges.loc[[60.0]]) == {100.0}
    assert set(edges.loc[[29.9]]) == {29.9 * 2} and set(edges.loc[[60.1]]) == {60.1 * 60.1 / 100}
    for role, output in zip(STRATEGY_INPUTS, STRATEGY_OUTPUTS, strict=True):
        written = kafka_admin.read_topic(settings.bootstrap_servers, settings.topic(output))
        strategies = {json.loads(record.value)["strategy"] for record in written}
        assert strategies == {role[0].upper()}, f"{output} holds records of {strategies}"
        assert all(record.key == json.loads(record.value)["key"].encode() for record in written)
    letters = read_letters(settings.bootstrap_servers, settings.topic(DEAD_LETTERS))
    assert len(expected_rejects) > 0 and same_rejects(letters, expected_rejects)  # by topic, position, reason
    assert set(letters["source_topic"]) == {settings.topic(role) for role in STRATEGY_INPUTS}


def test_the_join_writes_every_pair_within_five_minutes_once(bounded_run: tuple[str, Settings, str]) -> None:
    engine, settings, _ = bounded_run
    c_outputs = kafka_admin.read_topic(settings.bootstrap_servers, settings.topic("c_output"))
    d_inputs = kafka_admin.read_topic(settings.bootstrap_servers, settings.topic("d_input"))
    expected, expected_rejects = strategy_join.pairs(c_outputs, d_inputs)
    assert len(expected) > 0 and expected["c_ts"].str.startswith("2025-04-22").any()  # past midnight
    table = results.read_result(JOIN.result, settings)
    diff = compare.differences(table, expected, ["key", "c_ts", "d_ts"], ["c_result", "d_value"])
    assert diff.empty, f"{engine} differs from pandas:\n{diff.to_string()}"
    letters = read_letters(settings.bootstrap_servers, settings.topic("ready_dead_letters"))
    assert same_rejects(letters, expected_rejects)  # D's malformed records, rejected by the join too
    assert set(letters["source_topic"]) == {settings.topic("d_input")}


@pytest.mark.parametrize(
    ("engine", "bounded_state"),
    [
        ("flink", "IntervalJoin(joinType=[InnerJoin], windowBounds=[isRowTime=true, leftLowerBound=-300000, "
                  "leftUpperBound=300000"),
        ("spark", "state cleanup [ left value predicate"),
    ],
)  # fmt: skip
def test_the_plan_shows_how_join_state_is_bounded(engine: str, bounded_state: str) -> None:
    plan = one_line(succeeded(streamlab("explain", engine, "strategy-join", "--job", "join")))
    assert one_line(bounded_state) in plan
