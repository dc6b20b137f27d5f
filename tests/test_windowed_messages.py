"""producers/windowed_messages.py (schedule, disorder, late events), its oracle and the late-data verdict."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from producers import windowed_messages as producer
from streamlab import cliargs, workloads
from streamlab.compare import Drops, Rows, explained_by_drops
from streamlab.kafka_admin import Record
from streamlab.oracles.windowed_messages import message_reject_reason
from streamlab.oracles.windowed_messages import windows as message_windows

START = datetime(2025, 4, 21, 14, 5, 0)
SPAN_S = 300


def stamps(events: list[dict[str, object]]) -> list[datetime]:
    return [datetime.strptime(str(e["timestamp"]), producer.TS_FORMAT) for e in events]


def test_messages_look_like_the_seed_and_cover_the_span() -> None:
    events = list(producer.messages(300, START, SPAN_S, 50, 0.0, seed=3))
    assert len(events) == 300
    assert events[12] == {"id": 12, "message": "테스트 메시지 12", "timestamp": events[12]["timestamp"]}
    times = stamps(events)
    assert START - timedelta(seconds=50) <= min(times) and max(times) < START + timedelta(seconds=SPAN_S)


def test_on_time_messages_are_out_of_order_but_never_behind_the_watermark() -> None:
    times = stamps(list(producer.messages(600, START, SPAN_S, 50, 0.0, seed=3)))
    newest = times[0]
    behind = []
    for moment in times[1:]:
        behind.append((newest - moment).total_seconds())
        newest = max(newest, moment)
    assert max(behind) > 0  # out of order
    assert max(behind) <= 50 < 60  # but within the 1-minute watermark, whatever the partitioning


def test_late_messages_come_after_the_warm_up_and_far_behind() -> None:
    events = list(producer.messages(1000, START, SPAN_S, 50, 0.05, seed=3))
    late = len(events) - 1000
    assert 25 <= late <= 75
    times = stamps(events)
    newest, far_behind = times[0], 0
    for index, moment in enumerate(times[1:], start=1):
        if (newest - moment).total_seconds() >= 120:
            far_behind += 1
            assert index >= 200  # none in the warm-up fifth
        newest = max(newest, moment)
    assert far_behind == late
    assert [e["id"] for e in events] == list(range(len(events)))


def test_same_seed_same_messages() -> None:
    first = list(producer.messages(50, START, SPAN_S, 50, 0.1, seed=9))
    assert first == list(producer.messages(50, START, SPAN_S, 50, 0.1, seed=9))
    assert first != list(producer.messages(50, START, SPAN_S, 50, 0.1, seed=10))


@pytest.mark.parametrize("kind", range(producer.BAD_KINDS))
def test_every_spoiled_kind_is_rejected_by_the_oracle(kind: int) -> None:
    spoiled = producer.spoil(producer.message(1, START), kind)
    assert message_reject_reason(spoiled)[0] is not None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "empty value"),
        (b"[1]", "not a JSON object"),
        (b'{"id": 1}', "missing field: timestamp"),
        (b'{"timestamp": "2025-02-30 10:00:00"}', "bad timestamp: timestamp"),
        (b'{"timestamp": "2025-04-21 14:05:00.5"}', "bad timestamp: timestamp"),
        (b'{"timestamp": 1745244515}', "not a string: timestamp"),
        (b'{"timestamp": "2025-04-21 14:05:00"}', None),
    ],
)
def test_oracle_reasons(raw: bytes | None, reason: str | None) -> None:
    assert message_reject_reason(raw)[0] == reason


def test_oracle_counts_per_minute_window_with_its_bounds() -> None:
    values = ["2025-04-21 23:59:59", "2025-04-22 00:00:00", "2025-04-22 00:00:59", "2025-04-21 23:59:00"]
    records = [Record("t", 0, i, 0, None, json.dumps({"timestamp": v}).encode()) for i, v in enumerate(values)]
    counts, rejected = message_windows([*records, Record("t", 1, 0, 0, None, b"oops")])
    assert counts.to_dict("records") == [
        {"window_start": "2025-04-21 23:59:00", "window_end": "2025-04-22 00:00:00", "message_count": 2},
        {"window_start": "2025-04-22 00:00:00", "window_end": "2025-04-22 00:01:00", "message_count": 2},
    ]
    assert rejected["reason"].tolist() == ["not a JSON object"]


def explained(engine_counts: list[float | None], oracle_counts: list[int], records: int, rows: int) -> bool:
    """Whether windows short by these counts are what dropping `records` late records (`rows` rows) does."""
    ends = [f"2025-04-21 14:0{i + 1}:00" for i in range(len(oracle_counts))]
    diff = pd.DataFrame(
        {"window_end": ends, "message_count_engine": engine_counts, "message_count_oracle": oracle_counts}
    )
    short = Rows(expected=len(oracle_counts), missing=len(oracle_counts), differences=diff)
    drops = Drops(records, rows, watermark="2025-04-21 14:05:00")
    return explained_by_drops(short, drops, workloads.get("windowed-messages").job().result)


def test_dropped_late_rows_explain_short_windows_only_by_the_engines_own_figures() -> None:
    assert explained([58, None], [60, 1], records=3, rows=2)  # a window lost entirely counts too
    assert explained([58, None], [60, 1], records=3, rows=3)
    assert not explained([58, 1], [60, 2], records=2, rows=2)  # short by 3, but only 2 went missing
    assert not explained([61], [60], records=1, rows=1)  # more than pandas: never explained by drops
    assert not explained([58, None], [60, 1], records=3, rows=1)  # two windows short, one row dropped
    assert not explained([58], [60], records=2, rows=3)  # more rows than records: not pre-aggregated drops
    # the 14:06 window was still open at the final watermark (14:05)
    assert not explained([1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7], records=6, rows=6)


def test_max_disorder_stays_within_the_watermark() -> None:
    assert cliargs.disorder_seconds("59") == 59
    with pytest.raises(argparse.ArgumentTypeError, match="at most 59"):
        cliargs.disorder_seconds("60")


def test_oracle_windows_hold_any_year_the_engines_take() -> None:
    counts, _ = message_windows([Record("t", 0, 0, 0, None, b'{"timestamp": "1500-01-01 00:00:30"}')])
    assert counts.to_dict("records") == [
        {"window_start": "1500-01-01 00:00:00", "window_end": "1500-01-01 00:01:00", "message_count": 1}
    ]
