"""behavior-stats: the rules of sql/behavior-stats/*_parse.sql and its count, in Python."""

from __future__ import annotations

from typing import Any

import pandas as pd

from streamlab.kafka_admin import Record
from streamlab.oracles.common import MILLIS_FORMAT, field_reason, json_object, round_trips, split


def behavior_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, parsed event): the same rules as sql/behavior-stats/*_parse.sql, in Python."""
    reason, event = json_object(raw)
    if reason:
        return reason, {}
    reason = field_reason(event, strings=("category", "behavior", "ts"))
    if reason:
        return reason, {}
    if not round_trips(event["ts"], MILLIS_FORMAT):
        return "bad timestamp: ts", {}
    return None, {name: event[name] for name in ("category", "behavior", "ts")}


def counts(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(counts per (category, behavior) with the newest ts, rejected records with reasons)."""
    events, rejects = split(records, behavior_reject_reason)
    table = (
        events.reindex(columns=["category", "behavior", "ts"])
        .groupby(["category", "behavior"], as_index=False)
        .agg(behavior_count=("ts", "size"), last_event_ts=("ts", "max"))
        .sort_values(["category", "behavior"], ignore_index=True)
    )
    return table, rejects
