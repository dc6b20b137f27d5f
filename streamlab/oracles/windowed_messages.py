"""windowed-messages: the rules of sql/windowed-messages/*_parse.sql and the 1-minute window, in Python."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd

from streamlab.kafka_admin import Record
from streamlab.oracles.common import clock, field_reason, json_object, round_trips, split


def message_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, {"timestamp": ...}): a message needs a timestamp that round-trips."""
    reason, message = json_object(raw)
    reason = reason or field_reason(message, strings=("timestamp",))
    if reason:
        return reason, {}
    if not round_trips(message["timestamp"]):
        return "bad timestamp: timestamp", {}
    return None, {"timestamp": message["timestamp"]}


WINDOW_COLUMNS = ["window_start", "window_end", "message_count"]


def windows(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(messages per 1-minute tumbling window, rejected records): every valid message counted.

    The engines drop or route what their watermark calls late; the callers take those records out
    first (see streamlab.run.verdict), so this answer holds for what the engine kept."""
    valid, rejected = split(records, message_reject_reason)
    if valid.empty:
        return pd.DataFrame(columns=WINDOW_COLUMNS), rejected
    # from the text, not pd.Timestamp: the engines take years pandas' nanosecond clock cannot hold
    starts = valid["timestamp"].str.slice(0, 16) + ":00"
    counts = starts.value_counts().sort_index()
    ends = [_minute_later(start) for start in counts.index]
    return pd.DataFrame(
        {"window_start": counts.index, "window_end": ends, "message_count": counts.to_numpy()}
    ), rejected


def _minute_later(start: str) -> str:
    # isoformat, not strftime("%Y"): that writes the year 1 as "1", where the engines write "0001"
    return (clock(start) + timedelta(minutes=1)).isoformat(sep=" ")
