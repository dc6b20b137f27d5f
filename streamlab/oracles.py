"""Independent answers computed with pandas over exactly the records that were produced.

No engine computes its own score: these functions re-implement each workload's validation
and aggregation in plain Python/pandas from the raw Kafka records, so a bug in the shared SQL
shows up as a difference instead of being repeated on both sides.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from streamlab.kafka_admin import Record

_TS_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")


def _json_text(value: Any) -> str | None:
    """What a SQL JSON_VALUE returns for a field: scalars as text, null/objects/arrays as NULL."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _valid_ts(text: str | None) -> bool:
    if text is None or not _TS_PATTERN.match(text):
        return False
    try:
        pd.Timestamp(text)
    except ValueError:
        return False
    return True


def behavior_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, parsed event): the same rules as sql/behavior-stats/*_parse.sql, in Python."""
    if raw is None:
        return "empty value", {}
    try:
        event = json.loads(raw)
    except ValueError:
        return "not a JSON object", {}
    if not isinstance(event, dict):
        return "not a JSON object", {}
    fields = {name: _json_text(event.get(name)) for name in ("category", "behavior", "ts")}
    for name in ("category", "behavior", "ts"):
        if fields[name] is None:
            return f"missing field: {name}", fields
    if not _valid_ts(fields["ts"]):
        return "bad timestamp: ts", fields
    return None, fields


def behavior_stats(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(counts per (category, behavior) with the newest ts, rejected records with reasons)."""
    counted, rejected = [], []
    for record in records:
        reason, fields = behavior_reject_reason(record.value)
        if reason:
            rejected.append({"reason": reason, "source_partition": record.partition, "source_offset": record.offset})
        else:
            counted.append(fields)
    events = pd.DataFrame(counted, columns=["category", "behavior", "ts"])
    counts = (
        events.groupby(["category", "behavior"], as_index=False)
        .agg(behavior_count=("ts", "size"), last_event_ts=("ts", "max"))
        .sort_values(["category", "behavior"], ignore_index=True)
    )
    return counts, pd.DataFrame(rejected, columns=["reason", "source_partition", "source_offset"])


def differences(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """Rows where the engine's table and the oracle disagree (missing on either side, or other values)."""
    merged = actual.reindex(columns=keys + values).merge(
        expected.reindex(columns=keys + values), on=keys, how="outer", suffixes=("_engine", "_oracle"), indicator=True
    )
    disagree = merged["_merge"] != "both"
    for name in values:
        # compare values, not their text: a key missing on one side turns an int column into floats
        engine, oracle = merged[f"{name}_engine"], merged[f"{name}_oracle"]
        disagree |= ~((engine == oracle) | (engine.isna() & oracle.isna()))
    return merged[disagree].drop(columns="_merge").reset_index(drop=True)
