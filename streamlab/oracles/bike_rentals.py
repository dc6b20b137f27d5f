"""bike-rentals: the rules of sql/bike-rentals/*_parse.sql, the hourly rows and the derived events, in Python."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from streamlab.kafka_admin import Record
from streamlab.oracles.common import as_count, field_reason, json_object, optional_text, round_trips, split

BIKE_TEXTS = ("stt_id", "stt_nm", "crt_dttm")

BIKE_EVENT_COUNTS = ("rent_cnt", "return_cnt", "lst_prk_cnt")

BIKE_SNAPSHOT_COUNTS = ("tot_prk_cnt",)

_BIKE_OPTIONAL = ("stt_lttd", "stt_lgtd")


def _bike_reject_reason(raw: bytes | None, counts: tuple[str, ...]) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, the fields): checks in the order the SQL CASE does."""
    reason, record = json_object(raw)
    if reason:
        return reason, {}
    reason = field_reason(record, strings=BIKE_TEXTS, numbers=counts)
    if reason:
        return reason, {}
    numbers = {name: as_count(record[name]) for name in counts}
    bad = next((name for name in counts if numbers[name] is None), None)
    if bad:
        return f"bad count: {bad}", {}
    if not round_trips(record["crt_dttm"]):
        return "bad timestamp: crt_dttm", {}
    optional = {name: optional_text(record, name) for name in _BIKE_OPTIONAL}
    return None, {**{name: record[name] for name in BIKE_TEXTS}, **numbers, **optional}


def bike_event_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    return _bike_reject_reason(raw, BIKE_EVENT_COUNTS)


def bike_snapshot_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    return _bike_reject_reason(raw, BIKE_SNAPSHOT_COUNTS)


HOURLY_COLUMNS = ["stt_id", "ymd", "hh", "stt_nm", "rent_cnt", "return_cnt", "lst_prk_cnt", "event_cnt",
                  "lst_crt_dttm", "stt_lttd", "stt_lgtd"]  # fmt: skip


def hourly(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per station and hour, rejected events): what both engines write as Parquet."""
    events, rejected = split(records, bike_event_reject_reason)
    if events.empty:
        return pd.DataFrame(columns=HOURLY_COLUMNS), rejected
    events = events.assign(
        ymd=events["crt_dttm"].str.slice(0, 4)
        + events["crt_dttm"].str.slice(5, 7)
        + events["crt_dttm"].str.slice(8, 10),
        hh=events["crt_dttm"].str.slice(11, 13),
        rent_cnt=events["rent_cnt"].astype("int64"),
        return_cnt=events["return_cnt"].astype("int64"),
        lst_prk_cnt=events["lst_prk_cnt"].astype("int64"),
    )
    # the parked count of the newest event in the hour; ties on time go to the higher count, as in the SQL
    newest = events.sort_values(["crt_dttm", "lst_prk_cnt"]).groupby(["stt_id", "ymd", "hh"]).tail(1)
    hourly = events.groupby(["stt_id", "ymd", "hh"], as_index=False).agg(
        stt_nm=("stt_nm", "max"),
        rent_cnt=("rent_cnt", "sum"),
        return_cnt=("return_cnt", "sum"),
        event_cnt=("crt_dttm", "size"),
        lst_crt_dttm=("crt_dttm", "max"),
        stt_lttd=("stt_lttd", _max_text),
        stt_lgtd=("stt_lgtd", _max_text),
    )
    hourly = hourly.merge(newest[["stt_id", "ymd", "hh", "lst_prk_cnt"]], on=["stt_id", "ymd", "hh"])
    return hourly[HOURLY_COLUMNS].sort_values(["stt_id", "ymd", "hh"], ignore_index=True), rejected


def _max_text(values: pd.Series) -> str | None:
    """SQL's MAX over text: NULLs ignored, NULL when there is nothing else."""
    present = values.dropna()
    return present.max() if not present.empty else None


EVENT_COLUMNS = ["stt_id", "crt_dttm", "stt_nm", "rent_cnt", "return_cnt", "lst_prk_cnt", "stt_lttd", "stt_lgtd"]


def derived_events(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rent/return events from the snapshot topic, rejected snapshots): each station's parked count
    compared with its previous snapshot in time order; a change is an event, no change is none."""
    snapshots, rejected = split(records, bike_snapshot_reject_reason)
    if snapshots.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS), rejected
    snapshots = snapshots.assign(tot_prk_cnt=snapshots["tot_prk_cnt"].astype("int64"))
    snapshots = snapshots.sort_values(["stt_id", "crt_dttm"], ignore_index=True)
    diff = snapshots["tot_prk_cnt"] - snapshots.groupby("stt_id")["tot_prk_cnt"].shift(1)
    events = snapshots.assign(
        rent_cnt=(-diff).clip(lower=0), return_cnt=diff.clip(lower=0), lst_prk_cnt=snapshots["tot_prk_cnt"]
    )[diff.notna() & (diff != 0)]
    events = events.astype({"rent_cnt": "int64", "return_cnt": "int64"})
    return events[EVENT_COLUMNS].reset_index(drop=True), rejected


def events_from_records(records: list[Record]) -> pd.DataFrame:
    """Event records as written (by the producer or an engine), as rows in EVENT_COLUMNS."""
    rows = [json.loads(record.value) for record in records if record.value is not None]
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    return frame.sort_values(["stt_id", "crt_dttm"], ignore_index=True)
