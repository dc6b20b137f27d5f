"""strategy-join without a broker: the producer (schedule, disorder, edges, topics), the oracle's rule
and join bounds, and a pipeline's status."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from producers import strategy_join as producer
from streamlab import engines, workloads
from streamlab.cliargs import EVENT_TIME_FORMAT
from streamlab.errors import LabError
from streamlab.kafka_admin import Record
from streamlab.oracles.strategy_join import outputs as strategy_outputs
from streamlab.oracles.strategy_join import pairs as strategy_pairs
from streamlab.oracles.strategy_join import strategy_output_reject_reason, strategy_reject_reason, strategy_result
from streamlab.run import lifecycle
from streamlab.settings import Settings

START = datetime(2025, 4, 21, 23, 50, 0)
SPAN_S = 1800


def produced(count: int = 400, seed: int = 7, bad_every: int = 0) -> list[producer.OutgoingRecord]:
    return list(producer.records(producer.events(count, 20, START, SPAN_S, 30, seed), bad_every))


def as_records(outgoing: list[producer.OutgoingRecord]) -> list[Record]:
    return [Record(o.role, 0, offset, 0, o.key, o.value) for offset, o in enumerate(outgoing)]


def test_each_strategy_goes_to_its_own_topic_keyed_by_key() -> None:
    records = produced()
    assert len(records) == 1600
    for record in records:
        event = json.loads(record.value)
        assert set(event) == {"strategy", "key", "value", "ts"}
        assert record.role == f"{event['strategy'].lower()}_input" and record.key == event["key"].encode()


def test_records_are_up_to_30_seconds_out_of_order_never_more() -> None:
    for role in producer.STRATEGY_INPUTS:
        times = [datetime.strptime(json.loads(r.value)["ts"], EVENT_TIME_FORMAT) for r in produced() if r.role == role]
        newest, behind = times[0], []
        for moment in times[1:]:
            behind.append((newest - moment).total_seconds())
            newest = max(newest, moment)
        assert 0 < max(behind) <= 30 + 1  # out of order; 1 s more from the schedule's fractions
        assert min(times) >= START - timedelta(seconds=30) and max(times) < START + timedelta(seconds=SPAN_S)


def test_a_strategy_never_has_two_records_with_the_same_key_and_time() -> None:
    events = [json.loads(r.value) for r in produced(2000)]
    identities = [(e["strategy"], e["key"], e["ts"]) for e in events]
    assert len(set(identities)) == len(identities)


def test_the_rule_edges_are_always_exercised_and_the_data_is_seeded() -> None:
    values = [json.loads(r.value)["value"] for r in produced()]
    assert {29.9, 30.0, 60.0, 60.1} <= set(values)
    assert all(0 <= v <= 100 for v in values)
    assert produced(seed=7) == produced(seed=7) != produced(seed=8)


def test_the_rule_of_the_seed_with_both_ends_of_the_middle_band_included() -> None:
    assert strategy_result(29.9) == 29.9 * 2
    assert strategy_result(30.0) == 55.0  # 30 is in the middle band
    assert strategy_result(60.0) == 100.0  # and so is 60
    assert strategy_result(60.1) == 60.1 * 60.1 / 100
    assert strategy_result(0.0) == 0.0 and strategy_result(100.0) == 100.0


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (0, "not a JSON object"),
        (1, "missing field: key"),
        (2, "not a number: value"),
        (3, "bad timestamp: ts"),
        (4, "missing field: value"),
        (5, "not a JSON object"),
    ],
)
def test_every_kind_of_bad_record_is_rejected_with_its_reason(kind: int, reason: str) -> None:
    event = {"strategy": "C", "key": "key-001", "value": 42.0, "ts": "2025-04-21 23:55:00"}
    assert strategy_reject_reason(producer.spoil(event, kind))[0] == reason
    assert strategy_reject_reason(json.dumps(event).encode()) == (None, {**event, "value": 42.0})


def test_a_value_must_be_a_json_number_below_1e9_on_both_engines() -> None:
    def reason(value: object) -> str | None:
        return strategy_reject_reason(
            json.dumps({"strategy": "A", "key": "k", "value": value, "ts": "2025-04-21 23:55:00"}).encode()
        )[0]

    assert reason(12.5) is None and reason(-7) is None and reason(1e3) is None
    assert reason("12.5") == reason(True) == reason([1]) == "not a number: value"  # text is not a number
    assert reason(1e9) == reason(-1e9) == "bad number: value"
    assert reason(None) == "missing field: value"


def test_outputs_keep_every_valid_record_with_its_result() -> None:
    records = as_records(produced(100, bad_every=37))
    table, rejected = strategy_outputs(records[:200], records[200:])  # any split by topic: one table
    assert len(table) + len(rejected) == 400 and len(rejected) == 10
    assert list(table.columns) == ["strategy", "key", "ts", "value", "result"]
    assert (table["result"] == [strategy_result(v) for v in table["value"]]).all()


def pair_inputs(c_times: list[str], d_times: list[str]) -> tuple[list[Record], list[Record]]:
    c = [{"strategy": "C", "key": "k", "ts": t, "value": 10.0, "result": 20.0} for t in c_times]
    d = [{"strategy": "D", "key": "k", "ts": t, "value": 5.0} for t in d_times]
    return (
        [Record("C_output", 0, i, 0, b"k", json.dumps(e).encode()) for i, e in enumerate(c)],
        [Record("D_input", 0, i, 0, b"k", json.dumps(e).encode()) for i, e in enumerate(d)],
    )


def test_the_join_takes_pairs_at_most_five_minutes_apart_both_bounds_included() -> None:
    c, d = pair_inputs(
        ["2025-04-21 12:00:00"],
        [
            "2025-04-21 11:54:59",
            "2025-04-21 11:55:00",
            "2025-04-21 12:00:00",
            "2025-04-21 12:05:00",
            "2025-04-21 12:05:01",
        ],
    )
    pairs, rejected = strategy_pairs(c, d)
    assert list(pairs["d_ts"]) == ["2025-04-21 11:55:00", "2025-04-21 12:00:00", "2025-04-21 12:05:00"]
    assert rejected.empty and list(pairs.columns) == ["key", "c_ts", "d_ts", "c_result", "d_value"]


def test_the_join_matches_keys_and_rejects_bad_records_of_both_sides() -> None:
    c, d = pair_inputs(["2025-04-21 12:00:00", "2025-04-21 12:01:00"], ["2025-04-21 12:02:00"])
    d.append(
        Record("D_input", 0, 9, 0, b"x", b'{"strategy": "D", "key": "other", "value": 1, "ts": "2025-04-21 12:00:00"}')
    )
    d.append(Record("D_input", 0, 10, 0, b"x", b"{oops"))
    c.append(Record("C_output", 0, 9, 0, b"x", b'{"key": "k", "ts": "2025-04-21 12:00:00", "result": "lots"}'))
    pairs, rejected = strategy_pairs(c, d)
    assert len(pairs) == 2  # both C records meet the one D record of key k; "other" has no partner
    assert sorted(rejected["reason"]) == ["not a JSON object", "not a number: result"]


def test_a_result_is_a_double_as_a_jvm_writes_it() -> None:
    def reason(result: str) -> str | None:
        return strategy_output_reject_reason(
            f'{{"key": "k", "ts": "2025-04-21 12:00:00", "result": {result}}}'.encode()
        )[0]

    assert reason("36.120099999999994") is None and reason("1.0E-4") is None and reason("1.0E16") is None
    assert reason('"2.5"') == reason('"NaN"') == "not a number: result"
    assert reason("1e400") == "bad number: result"  # not finite


class FakeJob(engines.RunningJob):
    def __init__(self, state: str) -> None:
        self.state = state

    def status(self) -> str:
        return self.state


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (("RUNNING", "RUNNING"), "RUNNING"),
        (("FINISHED", "FINISHED"), "FINISHED"),
        (("RUNNING", "FAILED"), "FAILED"),  # a failed stage ends the pipeline's follow
        (("FINISHED", "RUNNING"), "PARTIAL"),
        (("CREATED", "RUNNING"), "PARTIAL"),
    ],
)
def test_a_pipeline_reports_a_stage_that_ended_badly(states: tuple[str, str], expected: str) -> None:
    assert engines.Pipeline([FakeJob(state) for state in states]).status() == expected


def test_the_producer_refuses_more_records_than_it_has_room_for() -> None:
    producer.check_room(18_000, keys=20, span_s=1800)  # the defaults' limit
    with pytest.raises(LabError, match="raise --keys or --span-minutes"):
        producer.check_room(18_001, keys=20, span_s=1800)


def test_two_producer_runs_in_one_topic_are_named_not_taken_for_engine_errors() -> None:
    records = as_records(produced(50))
    with pytest.raises(LabError, match="produce into fresh topics"):
        strategy_outputs(records + records)


def test_a_stage_that_starts_over_makes_the_next_one_start_over_too(tmp_path: Path) -> None:
    workload = workloads.get("strategy-join")
    strategies, join = workload.stages()
    stages = lifecycle.stages_of(Settings(workload.name, engine="spark", checkpoint_dir=tmp_path), (strategies, join))
    assert lifecycle.later_stage_folders(stages[0].settings, workload, strategies) == [tmp_path / "join"]
    assert lifecycle.later_stage_folders(stages[1].settings, workload, join) == []  # nothing comes after the join
    default = Settings(workload.name, engine="spark", job="strategies")  # no folder named: each stage's default
    join_default = default.with_(job="join").resolved_checkpoint_dir
    assert lifecycle.later_stage_folders(default, workload, strategies) == [join_default]


def test_a_checkpoint_is_resumed_only_over_the_topics_it_read(tmp_path: Path) -> None:
    workload = workloads.get("strategy-join")
    settings = Settings(workload.name, engine="spark", checkpoint_dir=tmp_path, topics=workload.topic_names("a_"))
    assert lifecycle.checkpoint_matches_topics(settings)  # no checkpoint yet: nothing to contradict
    (tmp_path / "offsets").mkdir()
    assert not lifecycle.checkpoint_matches_topics(settings)  # a checkpoint of unknown topics: start over
    lifecycle.remember_topics(settings)
    assert lifecycle.checkpoint_matches_topics(settings)
    assert not lifecycle.checkpoint_matches_topics(settings.with_(topics=workload.topic_names("b_")))
    assert not lifecycle.checkpoint_matches_topics(settings.with_(bootstrap_servers="elsewhere:9092"))
