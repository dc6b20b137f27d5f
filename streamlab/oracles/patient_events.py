"""patient-events: the rules of sql/patient-events/*_parse.sql and the count per action, in Python."""

from __future__ import annotations

from typing import Any

import pandas as pd

from streamlab.kafka_admin import Record
from streamlab.oracles.common import field_reason, json_object, split


def patient_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, {"action": ...}): a row needs an action that is not empty or only spaces."""
    reason, event = json_object(raw)
    reason = reason or field_reason(event, strings=("action",))
    if reason:
        return reason, {}
    action = event["action"]
    if action.strip(" ") == "":  # SQL TRIM removes spaces only, on both engines
        return "empty field: action", {}
    return None, {"action": action}


def action_counts(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events per action, rejected records with reasons)."""
    valid, rejected = split(records, patient_reject_reason)
    events = valid if not valid.empty else pd.DataFrame(columns=["action"])
    counts = (
        events.groupby("action", as_index=False)
        .agg(event_count=("action", "size"))
        .sort_values("action", ignore_index=True)
    )
    return counts, rejected
