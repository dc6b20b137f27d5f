"""streamlab.oracles: the pandas re-implementation of behavior-stats' validation, counts and comparison."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from streamlab.kafka_admin import Record
from streamlab.oracles import behavior_reject_reason, behavior_stats, differences

VALID = {
    "user_id": "user_1",
    "item_id": "item_1",
    "category": "books",
    "behavior": "click",
    "ts": "2025-04-21 14:10:45.123",
}
KEYS = ["category", "behavior"]
VALUES = ["behavior_count", "last_event_ts"]


def event(**changes: object) -> bytes:
    fields: dict[str, object] = {**VALID, **changes}
    return json.dumps({name: value for name, value in fields.items() if value != "<absent>"}).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "empty value"),
        (b"{not json", "not a JSON object"),
        (b"\xff\xfe", "not a JSON object"),
        (json.dumps([VALID]).encode(), "not a JSON object"),
        (b'"a string"', "not a JSON object"),
        (event(category="<absent>"), "missing field: category"),
        (event(behavior=None), "missing field: behavior"),
        (event(category={"nested": 1}), "missing field: category"),
        (event(ts="<absent>"), "missing field: ts"),
        (event(ts=1745244645123), "bad timestamp: ts"),
        (event(ts="yesterday"), "bad timestamp: ts"),
        (event(ts="2025-02-30 00:00:00.000"), "bad timestamp: ts"),
        (event(ts="2025-04-21 14:10:45"), "bad timestamp: ts"),
        (event(ts="2025-04-21T14:10:45.123"), "bad timestamp: ts"),
    ],
)
def test_reject_reason(raw: bytes | None, reason: str) -> None:
    assert behavior_reject_reason(raw)[0] == reason


def test_valid_event_is_accepted_with_its_fields() -> None:
    assert behavior_reject_reason(event()) == (
        None,
        {"category": "books", "behavior": "click", "ts": "2025-04-21 14:10:45.123"},
    )


def test_missing_fields_are_checked_in_order() -> None:
    assert behavior_reject_reason(event(category="<absent>", ts="<absent>"))[0] == "missing field: category"


def record(value: bytes | None, offset: int, partition: int = 0) -> Record:
    return Record("user_behaviors", partition, offset, 0, b"user_1", value)


@pytest.fixture
def stats() -> tuple[pd.DataFrame, pd.DataFrame]:
    records = [
        record(event(ts="2025-04-21 14:10:45.100"), 0),
        record(event(ts="2025-04-21 14:10:45.300"), 1),
        record(event(behavior="view", ts="2025-04-21 14:10:45.200"), 2),
        record(b"{broken", 3),
        record(event(ts="2025-04-21 14:10:45.200"), 0, partition=1),
        record(event(category="home", behavior="purchase"), 1, partition=1),
        record(event(ts=None), 2, partition=1),
    ]
    return behavior_stats(records)


def test_behavior_stats_counts_per_category_and_behavior(stats: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    counts, _ = stats
    assert counts.to_dict("records") == [
        {"category": "books", "behavior": "click", "behavior_count": 3, "last_event_ts": "2025-04-21 14:10:45.300"},
        {"category": "books", "behavior": "view", "behavior_count": 1, "last_event_ts": "2025-04-21 14:10:45.200"},
        {"category": "home", "behavior": "purchase", "behavior_count": 1, "last_event_ts": "2025-04-21 14:10:45.123"},
    ]


def test_behavior_stats_lists_rejected_records(stats: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, rejected = stats
    assert rejected.to_dict("records") == [
        {"reason": "not a JSON object", "source_partition": 0, "source_offset": 3},
        {"reason": "missing field: ts", "source_partition": 1, "source_offset": 2},
    ]


def test_behavior_stats_of_no_records_is_empty() -> None:
    counts, rejected = behavior_stats([])
    assert counts.empty and rejected.empty
    assert list(counts.columns) == ["category", "behavior", *VALUES]


@pytest.fixture
def expected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": ["books", "books", "home"],
            "behavior": ["click", "view", "purchase"],
            "behavior_count": [3, 1, 1],
            "last_event_ts": ["2025-04-21 14:10:45.300", "2025-04-21 14:10:45.200", "2025-04-21 14:10:45.123"],
        }
    )


def engine_table(expected: pd.DataFrame) -> pd.DataFrame:
    """What the engine's compacted topic reads back as: shuffled rows and an extra update_time column."""
    return expected.iloc[::-1].assign(update_time="2025-04-21 14:11:00.000").reset_index(drop=True)


def test_differences_of_equal_tables_is_empty(expected: pd.DataFrame) -> None:
    assert differences(engine_table(expected), expected, KEYS, VALUES).empty


def test_differences_shows_the_row_whose_count_differs(expected: pd.DataFrame) -> None:
    actual = engine_table(expected)
    actual.loc[actual["behavior"] == "view", "behavior_count"] = 2
    diff = differences(actual, expected, KEYS, VALUES)
    assert diff[KEYS].to_dict("records") == [{"category": "books", "behavior": "view"}]


def test_differences_shows_the_row_whose_last_event_ts_differs(expected: pd.DataFrame) -> None:
    actual = engine_table(expected)
    actual.loc[actual["category"] == "home", "last_event_ts"] = "2025-04-21 14:10:45.999"
    assert differences(actual, expected, KEYS, VALUES)[KEYS].to_dict("records") == [
        {"category": "home", "behavior": "purchase"}
    ]


def test_differences_of_an_empty_engine_table_lists_every_key(expected: pd.DataFrame) -> None:
    assert len(differences(pd.DataFrame(), expected, KEYS, VALUES)) == len(expected)


def test_differences_includes_a_key_the_engine_is_missing(expected: pd.DataFrame) -> None:
    diff = differences(expected[expected["behavior"] != "view"], expected, KEYS, VALUES)
    missing = diff[diff["behavior"] == "view"]
    assert len(missing) == 1 and missing["behavior_count_engine"].isna().all()
    assert missing["behavior_count_oracle"].tolist() == [1]


@pytest.mark.parametrize("side", ["engine", "oracle"])
def test_differences_shows_only_the_missing_key(expected: pd.DataFrame, side: str) -> None:
    shorter = expected[expected["behavior"] != "view"]
    actual, oracle = (shorter, expected) if side == "engine" else (expected, shorter)
    diff = differences(actual, oracle, KEYS, VALUES)
    assert diff[KEYS].to_dict("records") == [{"category": "books", "behavior": "view"}]
