"""producers/behavior_stats.py: deterministic events, their schema and schedule, and the malformed ones."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from itertools import pairwise

import pytest

from producers import behavior_stats as producer
from streamlab.oracles.behavior_stats import behavior_reject_reason

ORIGIN = datetime(2025, 4, 21, 14, 10, 45, 123000)
TS_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}")
CATEGORIES = {"electronics", "books", "clothing", "home", "sports"}
BEHAVIORS = {"click", "view", "add_to_cart", "purchase"}


def events(count: int = 200, seed: int = 42, rate: float = 0.0) -> list[dict[str, str]]:
    return list(producer.generate_events(count, seed=seed, rate=rate, origin=ORIGIN))


def numbered(value: str, prefix: str) -> int:
    match = re.fullmatch(rf"{prefix}_(\d+)", value)
    assert match, f"{value!r} is not {prefix}_<n>"
    return int(match.group(1))


def test_same_seed_gives_identical_events() -> None:
    assert events(seed=7) == events(seed=7)


def test_same_seed_gives_identical_records() -> None:
    first = list(producer.records(100, seed=7, origin=ORIGIN, bad_every=9))
    assert first == list(producer.records(100, seed=7, origin=ORIGIN, bad_every=9))


def test_different_seed_gives_different_events() -> None:
    assert events(seed=7) != events(seed=8)


def test_events_have_exactly_the_five_fields() -> None:
    for event in events():
        assert set(event) == {"user_id", "item_id", "category", "behavior", "ts"}


def test_user_ids_are_user_1_to_99() -> None:
    numbers = {numbered(event["user_id"], "user") for event in events(2000)}
    assert numbers <= set(range(1, 100))


def test_item_ids_are_item_1_to_199() -> None:
    numbers = {numbered(event["item_id"], "item") for event in events(2000)}
    assert numbers <= set(range(1, 200))


def test_categories_and_behaviors_come_from_the_seed_lists() -> None:
    sample = events(2000)
    assert {event["category"] for event in sample} == CATEGORIES
    assert {event["behavior"] for event in sample} == BEHAVIORS


def test_ts_has_millisecond_format() -> None:
    for event in events():
        assert TS_SHAPE.fullmatch(event["ts"]), event["ts"]


def test_first_ts_is_the_origin() -> None:
    assert events(1)[0]["ts"] == "2025-04-21 14:10:45.123"


@pytest.mark.parametrize(("rate", "step"), [(8.0, timedelta(milliseconds=125)), (0.0, timedelta(milliseconds=1))])
def test_ts_are_spaced_one_over_rate_apart(rate: float, step: timedelta) -> None:
    moments = [datetime.strptime(event["ts"], "%Y-%m-%d %H:%M:%S.%f") for event in events(50, rate=rate)]
    assert moments[0] == ORIGIN
    assert {later - earlier for earlier, later in pairwise(moments)} == {step}


@pytest.mark.parametrize(("count", "bad_every"), [(100, 7), (120, 5), (10, 1), (4, 5)])
def test_bad_every_makes_count_over_n_malformed_records(count: int, bad_every: int) -> None:
    values = [record.value for record in producer.records(count, origin=ORIGIN, bad_every=bad_every)]
    rejected = [index for index, value in enumerate(values, start=1) if behavior_reject_reason(value)[0]]
    assert len(rejected) == count // bad_every
    assert rejected == list(range(bad_every, count + 1, bad_every))


def test_malformed_records_cover_every_reject_reason() -> None:
    records = producer.records(120, origin=ORIGIN, bad_every=5)
    reasons = {behavior_reject_reason(record.value)[0] for record in records}
    assert reasons == {
        None,
        "not a JSON object",
        "missing field: category",
        "missing field: behavior",
        "not a string: ts",
        "bad timestamp: ts",
    }


def test_good_records_are_the_generated_events_as_json() -> None:
    sample = events(60)
    records = list(producer.records(60, origin=ORIGIN, bad_every=4))
    for index, (event, record) in enumerate(zip(sample, records, strict=True), start=1):
        if index % 4:
            assert json.loads(record.value) == event
            assert behavior_reject_reason(record.value) == (None, {k: event[k] for k in ("category", "behavior", "ts")})


def test_without_bad_every_every_record_is_accepted() -> None:
    records = producer.records(300, origin=ORIGIN)
    assert [behavior_reject_reason(record.value)[0] for record in records] == [None] * 300


def test_keys_are_the_user_id_bytes_even_for_malformed_records() -> None:
    records = list(producer.records(60, origin=ORIGIN, bad_every=3))
    assert [record.key for record in records] == [event["user_id"].encode() for event in events(60)]
