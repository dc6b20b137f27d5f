"""streamlab.oracles: the pandas re-implementation of behavior-stats' validation, counts and comparison."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from streamlab.compare import differences
from streamlab.kafka_admin import Record
from streamlab.oracles.behavior_stats import behavior_reject_reason
from streamlab.oracles.behavior_stats import counts as behavior_stats
from streamlab.oracles.bike_rentals import bike_event_reject_reason
from streamlab.oracles.bike_rentals import derived_events as bike_derived_events
from streamlab.oracles.bike_rentals import hourly as bike_hourly
from streamlab.oracles.common import json_object
from streamlab.oracles.strategy_join import pairs as strategy_pairs
from streamlab.oracles.strategy_join import strategy_output_reject_reason, strategy_reject_reason
from streamlab.oracles.windowed_messages import windows as message_windows
from streamlab.settings import MAX_VALUE_CHARS

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
        (b"", "empty value"),
        (b"\xff\xfe", "not UTF-8"),
        (json.dumps([VALID]).encode(), "not a JSON object"),
        (b'"a string"', "not a JSON object"),
        (event(category="<absent>"), "missing field: category"),
        (event(behavior=None), "missing field: behavior"),
        (event(category={"nested": 1}), "not a string: category"),
        (event(category=["books"]), "not a string: category"),
        (event(category=7), "not a string: category"),
        (event(behavior=True), "not a string: behavior"),
        (event(ts="<absent>"), "missing field: ts"),
        (event(ts=1745244645123), "not a string: ts"),
        (event(ts="yesterday"), "bad timestamp: ts"),
        (event(ts="2025-02-30 00:00:00.000"), "bad timestamp: ts"),
        (event(ts="2025-04-21 14:10:45"), "bad timestamp: ts"),
        (event(ts="2025-04-21T14:10:45.123"), "bad timestamp: ts"),
        (event(ts="2025-04-21 14:10:45.1"), "bad timestamp: ts"),
        (event(ts="2025-01-01 24:00:00.000"), "bad timestamp: ts"),
        (event() + b" x", "not a JSON object"),
        (event().replace(b"{", b"{'q': 1, ", 1), "not a JSON object"),
        (event().replace(b'"click"', b'"\\ud800"'), "not a JSON object"),
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
        {"reason": "not a JSON object", "source_topic": "user_behaviors", "source_partition": 0, "source_offset": 3},
        {"reason": "missing field: ts", "source_topic": "user_behaviors", "source_partition": 1, "source_offset": 2},
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


# ---- bike-rentals -------------------------------------------------------------------------------

BIKE = {
    "stt_id": "ST-1", "stt_nm": "1. 강남역 1번 출구", "rent_cnt": 2, "return_cnt": 0, "lst_prk_cnt": 7,
    "stt_lttd": "37.49", "stt_lgtd": "127.02", "crt_dttm": "2025-01-12 23:58:00",
}  # fmt: skip


def bike(**changes: object) -> bytes:
    fields = {**BIKE, **changes}
    return json.dumps({k: v for k, v in fields.items() if v != "<absent>"}, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[1]", "not a JSON object"),
        (bike(stt_id="<absent>"), "missing field: stt_id"),
        (bike(crt_dttm=None), "missing field: crt_dttm"),
        (bike(rent_cnt="two"), "not a number: rent_cnt"),
        (bike(stt_nm=7), "not a string: stt_nm"),
        (bike(return_cnt=1.5), "bad count: return_cnt"),
        (bike(return_cnt=1e9), "bad count: return_cnt"),
        (bike(lst_prk_cnt=-1), "bad count: lst_prk_cnt"),
        (bike(crt_dttm="2025/01/12 23:58:00"), "bad timestamp: crt_dttm"),
        (bike(crt_dttm="2025-02-30 10:00:00"), "bad timestamp: crt_dttm"),
        (bike(crt_dttm="2025-01-12 23:58"), "bad timestamp: crt_dttm"),
        (bike(stt_lttd="<absent>"), None),  # coordinates are optional
        (bike(rent_cnt="3"), "not a number: rent_cnt"),  # text is not a number, on both engines
        (bike(rent_cnt=3.0), None),  # 3.0, 3e0 and 3 are the same count (DECIMAL(38,10) on both engines)
        (bike(stt_lttd=37.49), None),  # an optional text field of another type is NULL, not a reject
    ],
)
def test_bike_event_reject_reason(raw: bytes, reason: str | None) -> None:
    assert bike_event_reject_reason(raw)[0] == reason


def bike_records(*values: bytes) -> list[Record]:
    return [Record("bikes", index % 2, index, 0, b"ST-1", value) for index, value in enumerate(values)]


def test_bike_hourly_splits_hours_across_midnight_whatever_the_arrival_order() -> None:
    hourly, rejected = bike_hourly(
        bike_records(
            bike(crt_dttm="2025-01-13 00:01:00", rent_cnt=0, return_cnt=1, lst_prk_cnt=8),
            bike(crt_dttm="2025-01-12 23:58:00", rent_cnt=2, return_cnt=0, lst_prk_cnt=7),  # arrives late
            bike(crt_dttm="2025-01-12 23:10:00", rent_cnt=1, return_cnt=0, lst_prk_cnt=9),
            b"{broken",
        )
    )
    rows = hourly[["ymd", "hh", "rent_cnt", "return_cnt", "lst_prk_cnt", "event_cnt", "lst_crt_dttm"]]
    assert rows.to_dict("records") == [
        {"ymd": "20250112", "hh": "23", "rent_cnt": 3, "return_cnt": 0, "lst_prk_cnt": 7, "event_cnt": 2,
         "lst_crt_dttm": "2025-01-12 23:58:00"},
        {"ymd": "20250113", "hh": "00", "rent_cnt": 0, "return_cnt": 1, "lst_prk_cnt": 8, "event_cnt": 1,
         "lst_crt_dttm": "2025-01-13 00:01:00"},
    ]  # fmt: skip
    assert rejected.to_dict("records") == [
        {"reason": "not a JSON object", "source_topic": "bikes", "source_partition": 1, "source_offset": 3}
    ]


def test_bike_hourly_breaks_a_tie_on_time_by_the_higher_count() -> None:
    hourly, _ = bike_hourly(bike_records(bike(lst_prk_cnt=12), bike(lst_prk_cnt=3)))
    assert hourly["lst_prk_cnt"].tolist() == [12]


def snapshot_value(count: int, at: str, station: str = "ST-1") -> bytes:
    return json.dumps({"stt_id": station, "stt_nm": "n", "tot_prk_cnt": count, "stt_lttd": "37.5",
                       "stt_lgtd": "127.0", "crt_dttm": at}).encode()  # fmt: skip


def test_bike_derived_events_compare_each_snapshot_with_the_one_before_in_time() -> None:
    events, rejected = bike_derived_events(
        bike_records(
            snapshot_value(5, "2025-01-12 22:02:00"),
            snapshot_value(9, "2025-01-12 22:00:00"),  # the station's first snapshot, arriving second
            snapshot_value(5, "2025-01-12 22:03:00"),  # no change: no event
            snapshot_value(6, "2025-01-12 22:04:00"),
            snapshot_value(1, "2025-01-12 22:00:00", station="ST-2"),  # alone: no event
            b'{"stt_id": "ST-3"}',
        )
    )
    assert events[["stt_id", "crt_dttm", "rent_cnt", "return_cnt", "lst_prk_cnt"]].to_dict("records") == [
        {"stt_id": "ST-1", "crt_dttm": "2025-01-12 22:02:00", "rent_cnt": 4, "return_cnt": 0, "lst_prk_cnt": 5},
        {"stt_id": "ST-1", "crt_dttm": "2025-01-12 22:04:00", "rent_cnt": 0, "return_cnt": 1, "lst_prk_cnt": 6},
    ]
    assert rejected["reason"].tolist() == ["missing field: stt_nm"]


def test_differences_accepts_float_sums_within_the_relative_tolerance() -> None:
    engine = pd.DataFrame({"k": ["a", "b"], "v": [841501120.75001, 1.0]})
    oracle = pd.DataFrame({"k": ["a", "b"], "v": [841501120.749999, 1.0 + 1e-6]})
    assert differences(engine, oracle, ["k"], ["v"], rel_tolerance=1e-9)["k"].tolist() == ["b"]
    assert len(differences(engine, oracle, ["k"], ["v"])) == 2


def test_differences_flags_a_key_the_engine_wrote_twice(expected: pd.DataFrame) -> None:
    twice = pd.concat([engine_table(expected), engine_table(expected).head(1)], ignore_index=True)
    diff = differences(twice, expected, KEYS, VALUES)
    assert len(diff) == 2 and diff[KEYS].drop_duplicates().shape[0] == 1


def test_a_value_must_be_strict_utf8_without_replacement_characters() -> None:
    assert bike_event_reject_reason(bike(stt_nm="x").replace(b'"x"', b'"\xffx"'))[0] == "not UTF-8"
    assert bike_event_reject_reason(bike(stt_nm="\ufffd"))[0] == "not UTF-8"  # Flink cannot tell them apart


def test_the_size_limit_counts_code_points() -> None:
    bare = len(json.dumps({"a": ""}))
    assert json_object(json.dumps({"a": "한" * (MAX_VALUE_CHARS - bare)}, ensure_ascii=False).encode())[0] is None
    assert json_object(json.dumps({"a": "x" * (MAX_VALUE_CHARS - bare + 1)}).encode())[0] == "too large"


def test_a_duplicate_key_keeps_its_last_value_and_trailing_space_is_allowed() -> None:
    assert json_object(b'{"a": 1, "a": "two"} \r\n') == (None, {"a": "two"})


def test_numbers_are_read_as_values_not_texts() -> None:
    good = {"strategy": "A", "key": "k1", "value": 30, "ts": "2025-01-01 10:00:00"}
    assert strategy_reject_reason(json.dumps({**good, "value": "30"}).encode())[0] == "not a number: value"
    assert strategy_reject_reason(json.dumps(good).replace("30", "3e1").encode()) == (None, {**good, "value": 30.0})
    assert strategy_reject_reason(json.dumps({**good, "value": 1e9}).encode())[0] == "bad number: value"
    output = {"key": "k1", "result": 1.0e16, "ts": "2025-01-01 10:00:00"}
    assert strategy_output_reject_reason(json.dumps(output).encode())[0] is None
    assert strategy_output_reject_reason(json.dumps(output).replace("1e+16", "1e400").encode())[0] == (
        "bad number: result"
    )


def test_a_window_of_the_first_years_ends_with_a_four_digit_year() -> None:
    # as the engines write it: strftime("%Y") would write the year 1 as "1"
    counts, _ = message_windows([Record("t", 0, 0, 0, None, b'{"timestamp": "0001-04-21 14:10:45"}')])
    assert counts.to_dict("records") == [
        {"window_start": "0001-04-21 14:10:00", "window_end": "0001-04-21 14:11:00", "message_count": 1}
    ]


def test_the_join_takes_a_record_of_the_year_one_without_a_partner() -> None:
    # pandas' nanosecond clock cannot hold the year 1: the oracle must not fail on what the engines take
    c = [Record("C", 0, 0, 0, None, b'{"key": "k", "ts": "2025-04-21 12:00:00", "result": 1}')]
    d = [
        Record("D", 0, 0, 0, None, b'{"strategy": "D", "key": "k", "ts": "0001-04-21 12:00:00", "value": 2}'),
        Record("D", 0, 1, 0, None, b'{"strategy": "D", "key": "k", "ts": "2025-04-21 12:04:59", "value": 3}'),
    ]
    pairs, rejected = strategy_pairs(c, d)
    assert rejected.empty and pairs[["d_ts", "d_value"]].to_dict("records") == [
        {"d_ts": "2025-04-21 12:04:59", "d_value": 3.0}
    ]
