"""Independent answers computed with pandas over exactly the records that were produced.

No engine computes its own score: these functions re-implement each workload's validation
and aggregation in plain Python/pandas from the raw Kafka records, so a bug in the shared SQL
shows up as a difference instead of being repeated on both sides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from streamlab.errors import LabError
from streamlab.kafka_admin import Record

_TS_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")


def _json_text(value: Any) -> str | None:
    """What a SQL JSON_VALUE returns for a field: scalars as text, null/objects/arrays as NULL.
    A fractional number as the JVM prints a double (Jackson, then Double.toString), as both engines do."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return java_double_text(value)
    return json.dumps(value)


def java_double_text(number: float) -> str:
    """Java's Double.toString: plain from 10^-3 up to 10^7 (30.0, 0.002), else 1.0E-5 and 1.2345E7."""
    if number != number or number in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(number)]
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        return repr(number)  # Python's shortest digits, plain in this range as in Java
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    text = "".join(str(digit) for digit in digits)
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{exponent + len(text) - 1}"


def _valid_ts(text: str | None) -> bool:
    if text is None or not _TS_PATTERN.match(text):
        return False
    try:
        pd.Timestamp(text)
    except ValueError:
        return False
    return True


def _json_object(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, the object): the first two checks of every parse step."""
    if raw is None:
        return "empty value", {}
    try:
        # as the engines read it: UTF-8, an invalid byte becomes U+FFFD (json.loads(bytes) would guess
        # UTF-16 or fail instead)
        parsed = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError:
        return "not a JSON object", {}
    return (None, parsed) if isinstance(parsed, dict) else ("not a JSON object", {})


def behavior_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, parsed event): the same rules as sql/behavior-stats/*_parse.sql, in Python."""
    reason, event = _json_object(raw)
    if reason:
        return reason, {}
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
            rejected.append(_rejected(record, reason))
        else:
            counted.append(fields)
    events = pd.DataFrame(counted, columns=["category", "behavior", "ts"])
    counts = (
        events.groupby(["category", "behavior"], as_index=False)
        .agg(behavior_count=("ts", "size"), last_event_ts=("ts", "max"))
        .sort_values(["category", "behavior"], ignore_index=True)
    )
    return counts, pd.DataFrame(rejected, columns=REJECT_COLUMNS)


REJECT_COLUMNS = ["reason", "source_topic", "source_partition", "source_offset"]  # as the dead letters name them


# ---- passthrough: sql/passthrough/query.sql over behavior-stats's parse, in Python ----------------

PURCHASE_INTENTS = ("add_to_cart", "purchase")  # the behaviours query.sql keeps
INTENT_COLUMNS = ["source_partition", "source_offset", "user_id", "item_id", "category", "behavior", "ts"]


def purchase_intents(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per valid add_to_cart or purchase event, rejected records with reasons). Valid and rejected
    by behavior-stats's rules (behavior_reject_reason), so the rejects are behavior_stats'; ts as sent."""
    intents, rejected = [], []
    for record in records:
        reason, fields = behavior_reject_reason(record.value)
        if reason:
            rejected.append(_rejected(record, reason))
        elif fields["behavior"] in PURCHASE_INTENTS:
            _, event = _json_object(record.value)
            ids = {name: _json_text(event.get(name)) for name in ("user_id", "item_id")}
            intents.append({"source_partition": record.partition, "source_offset": record.offset, **ids, **fields})
    table = pd.DataFrame(intents, columns=INTENT_COLUMNS)
    return table.sort_values(INTENT_COLUMNS[:2], ignore_index=True), pd.DataFrame(rejected, columns=REJECT_COLUMNS)


def _rejected(record: Record, reason: str) -> dict[str, Any]:
    return {"reason": reason, "source_topic": record.topic, "source_partition": record.partition,
            "source_offset": record.offset}  # fmt: skip


# ---- bike-rentals: the rules of sql/bike-rentals/*_parse.sql, in Python ----------------------

# (?s)...(?!.) is "and nothing after", in Java and in Python alike; a bare $ would also match before a
# final line break in Java (and a different set of them in Python)
_BIKE_COUNT = re.compile(r"(?s)^[0-9]{1,9}(?!.)")
_BIKE_TS = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")
BIKE_EVENT_FIELDS = ("stt_id", "stt_nm", "crt_dttm", "rent_cnt", "return_cnt", "lst_prk_cnt")
BIKE_SNAPSHOT_FIELDS = ("stt_id", "stt_nm", "crt_dttm", "tot_prk_cnt")
_BIKE_OPTIONAL = ("stt_lttd", "stt_lgtd")


def _bike_reject_reason(raw: bytes | None, required: tuple[str, ...]) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, fields as text): checks in the order the SQL CASE does."""
    reason, record = _json_object(raw)
    if reason:
        return reason, {}
    fields = {name: _json_text(record.get(name)) for name in (*required, *_BIKE_OPTIONAL)}
    for name in required:
        if fields[name] is None:
            return f"missing field: {name}", fields
    for name in required[3:]:
        if not _BIKE_COUNT.match(fields[name]):
            return f"bad count: {name}", fields
    if not _round_trips(fields["crt_dttm"]):
        return "bad timestamp: crt_dttm", fields
    return None, fields


def _round_trips(text: str) -> bool:
    """What the SQL checks: the text parses as yyyy-MM-dd HH:mm:ss and formats back to itself."""
    if not _BIKE_TS.match(text):
        return False
    try:
        return pd.Timestamp(text).strftime("%Y-%m-%d %H:%M:%S") == text
    except ValueError:
        return False


def bike_event_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    return _bike_reject_reason(raw, BIKE_EVENT_FIELDS)


def bike_snapshot_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    return _bike_reject_reason(raw, BIKE_SNAPSHOT_FIELDS)


def _split(records: list[Record], check: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    valid, rejected = [], []
    for record in records:
        reason, fields = check(record.value)
        if reason:
            rejected.append(_rejected(record, reason))
        else:
            valid.append(fields)
    return pd.DataFrame(valid), pd.DataFrame(rejected, columns=REJECT_COLUMNS)


HOURLY_COLUMNS = ["stt_id", "ymd", "hh", "stt_nm", "rent_cnt", "return_cnt", "lst_prk_cnt", "event_cnt",
                  "lst_crt_dttm", "stt_lttd", "stt_lgtd"]  # fmt: skip


def bike_hourly(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per station and hour, rejected events): what both engines write as Parquet."""
    events, rejected = _split(records, bike_event_reject_reason)
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
        stt_lttd=("stt_lttd", "max"),
        stt_lgtd=("stt_lgtd", "max"),
    )
    hourly = hourly.merge(newest[["stt_id", "ymd", "hh", "lst_prk_cnt"]], on=["stt_id", "ymd", "hh"])
    return hourly[HOURLY_COLUMNS].sort_values(["stt_id", "ymd", "hh"], ignore_index=True), rejected


EVENT_COLUMNS = ["stt_id", "crt_dttm", "stt_nm", "rent_cnt", "return_cnt", "lst_prk_cnt", "stt_lttd", "stt_lgtd"]


def bike_derived_events(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rent/return events from the snapshot topic, rejected snapshots): each station's parked count
    compared with its previous snapshot in time order; a change is an event, no change is none."""
    snapshots, rejected = _split(records, bike_snapshot_reject_reason)
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


# ---- windowed-messages: the rules of sql/windowed-messages/*_parse.sql and the window, in Python ----


def message_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, {"timestamp": ...}): a message needs a timestamp that round-trips."""
    reason, message = _json_object(raw)
    if reason:
        return reason, {}
    stamp = _json_text(message.get("timestamp"))
    if stamp is None:
        return "missing field: timestamp", {}
    if not _round_trips(stamp):
        return "bad timestamp: timestamp", {}
    return None, {"timestamp": stamp}


WINDOW_COLUMNS = ["window_start", "window_end", "message_count"]


def message_windows(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(messages per 1-minute tumbling window, rejected records): every valid message counted.

    The engines drop or route what their watermark calls late; the callers take those records out
    first (see streamlab.runner.oracle_check), so this answer holds for what the engine kept."""
    valid, rejected = _split(records, message_reject_reason)
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
    return (datetime.strptime(start, "%Y-%m-%d %H:%M:%S") + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")


# ---- patient-events: the rules of sql/patient-events/*_parse.sql, in Python ------------------------


def patient_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, {"action": ...}): a row needs an action that is not empty or only spaces."""
    reason, event = _json_object(raw)
    if reason:
        return reason, {}
    action = _json_text(event.get("action"))
    if action is None:
        return "missing field: action", {}
    if action.strip(" ") == "":  # SQL TRIM removes spaces only, on both engines
        return "empty field: action", {}
    return None, {"action": action}


def patient_action_counts(records: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events per action, rejected records with reasons)."""
    valid, rejected = _split(records, patient_reject_reason)
    events = valid if not valid.empty else pd.DataFrame(columns=["action"])
    counts = (
        events.groupby("action", as_index=False)
        .agg(event_count=("action", "size"))
        .sort_values("action", ignore_index=True)
    )
    return counts, rejected


# ---- strategy-join: the rules of sql/strategy-join/*.sql, in Python ------------------------------

_DECIMAL = re.compile(r"(?s)^-?[0-9]{1,9}([.][0-9]{1,9})?(?!.)")
_JVM_DOUBLE = re.compile(r"(?s)^-?[0-9]{1,12}([.][0-9]{1,20})?(E-?[0-9]{1,3})?(?!.)")
STRATEGY_COLUMNS = ["strategy", "key", "ts", "value", "result"]
PAIR_COLUMNS = ["key", "c_ts", "d_ts", "c_result", "d_value"]
JOIN_BOUND = timedelta(minutes=5)


def _required_fields(raw: bytes | None, names: tuple[str, ...]) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, the fields as text): a JSON object holding every one of `names`."""
    reason, record = _json_object(raw)
    if reason:
        return reason, {}
    fields = {name: _json_text(record.get(name)) for name in names}
    missing = next((name for name in names if fields[name] is None), None)
    return (f"missing field: {missing}" if missing else None), fields


def strategy_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, fields): the checks of sql/strategy-join/*_parse.sql in their order."""
    reason, fields = _required_fields(raw, ("strategy", "key", "value", "ts"))
    if reason:
        return reason, fields
    if not _DECIMAL.match(fields["value"]):
        return "bad number: value", fields
    if not _round_trips(fields["ts"]):
        return "bad timestamp: ts", fields
    return None, {**fields, "value": float(fields["value"])}


def strategy_result(value: float) -> float:
    """The seed's rule: below 30 doubled; 30 to 60, both included, x1.5 + 10; above 60 squared / 100."""
    if value < 30:
        return value * 2
    if value <= 60:
        return value * 1.5 + 10
    return value * value / 100


def strategy_outputs(*inputs: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per valid record of the strategy inputs with its result, rejected records)."""
    valid, rejected = _split([record for records in inputs for record in records], strategy_reject_reason)
    if valid.empty:
        return pd.DataFrame(columns=STRATEGY_COLUMNS), rejected
    _require_unique(valid, ["strategy", "key", "ts"])
    table = valid.assign(result=[strategy_result(value) for value in valid["value"]])
    return table[STRATEGY_COLUMNS].sort_values(["strategy", "key", "ts"], ignore_index=True), rejected


def _require_unique(records: pd.DataFrame, identity: list[str]) -> None:
    """Rows are compared by identity: two input records with one identity (two producer runs into the
    same topics) would make a correct result look wrong, so say so instead."""
    repeated = records[records.duplicated(identity, keep=False)]
    if not repeated.empty:
        first = ", ".join(str(repeated.iloc[0][name]) for name in identity)
        raise LabError(
            f"{len(repeated):,} input records share their ({', '.join(identity)}), e.g. ({first}): "
            "two producer runs into the same topics, or a stage that wrote its output twice; "
            "produce into fresh topics (--topic-prefix) and run with --bounded"
        )


def strategy_output_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, fields): the checks the join makes on C_output (sql/strategy-join/*_output_parse.sql)."""
    reason, fields = _required_fields(raw, ("key", "result", "ts"))
    if reason:
        return reason, fields
    if not _JVM_DOUBLE.match(fields["result"]):
        return "bad number: result", fields
    if not _round_trips(fields["ts"]):
        return "bad timestamp: ts", fields
    return None, {**fields, "result": float(fields["result"])}


def strategy_pairs(c_outputs: list[Record], d_inputs: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every pair of a C result and a D record with the same key, at most 5 minutes apart, rejected
    records of both inputs): the inner join of sql/strategy-join/join.sql, bounds included."""
    c_side, c_rejected = _split(c_outputs, strategy_output_reject_reason)
    d_side, d_rejected = _split(d_inputs, strategy_reject_reason)
    # an empty side would turn the position columns into objects: leave it out
    rejected = pd.concat(
        [side for side in (c_rejected, d_rejected) if not side.empty] or [c_rejected], ignore_index=True
    )
    if c_side.empty or d_side.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS), rejected
    _require_unique(c_side, ["key", "ts"])
    _require_unique(d_side, ["key", "ts"])
    pairs = c_side[["key", "ts", "result"]].merge(d_side[["key", "ts", "value"]], on="key", suffixes=("_c", "_d"))
    apart = (pd.to_datetime(pairs["ts_d"]) - pd.to_datetime(pairs["ts_c"])).abs()
    pairs = pairs[apart <= JOIN_BOUND].rename(
        columns={"ts_c": "c_ts", "ts_d": "d_ts", "result": "c_result", "value": "d_value"}
    )
    return pairs[PAIR_COLUMNS].sort_values(["key", "c_ts", "d_ts"], ignore_index=True), rejected


# ---- sales-batch: the rules of sql/sales-batch/parse.sql, in Python -----------------------------

# one CSV field: quoted (a doubled quote inside is a quote) or bare (no comma, no quote)
_CSV_FIELD = r'("[^"]*(?:""[^"]*)*"|[^,"]*)'
_SALES_ROW = re.compile("(?s)^" + ",".join([_CSV_FIELD] * 5) + "(?!.)")
_PRICE = re.compile(r"(?s)^-?[0-9]{1,12}([.][0-9]{1,6})?(?!.)")
_QUANTITY = re.compile(r"(?s)^-?[0-9]{1,9}(?!.)")
SALES_COLUMNS = ["category", "total_revenue", "avg_price", "total_quantity", "transaction_count"]


def _unquote(field: str) -> str:
    return field[1:-1].replace('""', '"') if field.startswith('"') else field


def sales_reject_reason(line: str) -> tuple[str | None, dict[str, Any]]:
    match = _SALES_ROW.match(line)
    if not match:
        return "expected 5 comma-separated columns", {}
    _, category, price, quantity, _ = (_unquote(field) for field in match.groups())
    if not _PRICE.match(price):
        return "price is not a number", {}
    if not _QUANTITY.match(quantity):
        return "quantity is not a whole number", {}
    return None, {"category": category, "price": float(price), "quantity": int(quantity)}


def sales_summary(path: Path, chunk_lines: int = 1_000_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(totals per category, rejected lines with their 1-based line numbers) over a sales CSV file.

    Works through the file a million lines at a time, so a 10-million-line file fits in memory:
    each chunk is validated with vectorised regular expressions and reduced to partial sums.
    """
    partials, rejected = [], []
    first_number = 1
    for lines in _chunks(file_lines(path), chunk_lines):
        sums, bad = _sales_chunk(pd.Series(lines, dtype=object), first_number)
        partials.append(sums)
        rejected.append(bad)
        first_number += len(lines)
    rejected_lines = (
        pd.concat(rejected, ignore_index=True)
        if rejected
        else pd.DataFrame(columns=["line_number", "raw_line", "reason"])
    )
    totals = pd.concat(partials).groupby("category", as_index=False).sum() if partials else pd.DataFrame()
    if totals.empty:
        return pd.DataFrame(columns=SALES_COLUMNS), rejected_lines
    summary = totals.assign(avg_price=totals["price_sum"] / totals["transaction_count"])
    return summary[SALES_COLUMNS].sort_values("category", ignore_index=True), rejected_lines


def _sales_chunk(lines: pd.Series, first_number: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    fields = lines.str.extract(_SALES_ROW)
    unquoted = {
        name: fields[index].where(~fields[index].str.startswith('"', na=False),
                                  fields[index].str.slice(1, -1).str.replace('""', '"'))
        for index, name in ((1, "category"), (2, "price"), (3, "quantity"))
    }  # fmt: skip
    reason = pd.Series(None, index=lines.index, dtype=object)
    reason = reason.mask(~unquoted["quantity"].str.match(_QUANTITY, na=False), "quantity is not a whole number")
    reason = reason.mask(~unquoted["price"].str.match(_PRICE, na=False), "price is not a number")
    reason = reason.mask(fields[0].isna(), "expected 5 comma-separated columns")
    good = reason.isna()
    price = unquoted["price"][good].astype("float64")
    quantity = unquoted["quantity"][good].astype("int64")
    sums = (
        pd.DataFrame({"category": unquoted["category"][good], "price_sum": price, "total_quantity": quantity,
                      "total_revenue": price * quantity, "transaction_count": 1})
        .groupby("category", as_index=False).sum()
    )  # fmt: skip
    bad = pd.DataFrame(
        {"line_number": lines.index[~good] + first_number, "raw_line": lines[~good], "reason": reason[~good]}
    )
    return sums, bad.reset_index(drop=True)


def _chunks(items: Iterator[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def first_line_numbers(path: Path, raw_lines: set[str], limit: int = 5) -> list[int]:
    """The first line numbers of a file whose text is one of raw_lines (to point people at bad lines)."""
    found: list[int] = []
    if not raw_lines:
        return found
    for number, text in enumerate(file_lines(path), start=1):
        if text in raw_lines:
            found.append(number)
            if len(found) == limit:
                break
    return found


def file_lines(path: Path) -> Iterator[str]:
    """The lines of a text file as both engines split it: on "\\n", a "\\r" before it dropped (Windows
    line ends), invalid UTF-8 replaced."""
    with path.open("rb") as handle:
        for raw in handle:
            yield raw.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8", errors="replace")


# ---- comparing an engine's table with the oracle's ------------------------------------------


def differences(
    actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], values: list[str], rel_tolerance: float = 0.0
) -> pd.DataFrame:
    """Rows where the engine's table and the oracle disagree (missing on either side, or other values).

    Floats agree within rel_tolerance (relative to the larger magnitude): engines add partial sums
    in their own order, so the last digits of a float sum differ from engine to engine.
    """
    merged = actual.reindex(columns=keys + values).merge(
        expected.reindex(columns=keys + values), on=keys, how="outer", suffixes=("_engine", "_oracle"), indicator=True
    )
    disagree = merged["_merge"] != "both"
    # a key the engine wrote twice (a rerun that added a second copy) is a difference, even with equal values
    disagree |= merged.duplicated(keys, keep=False)
    for name in values:
        engine, oracle = merged[f"{name}_engine"], merged[f"{name}_oracle"]
        disagree |= ~same_values(engine, oracle, rel_tolerance)
    return merged[disagree].drop(columns="_merge").reset_index(drop=True)


def same_values(engine: pd.Series, oracle: pd.Series, rel_tolerance: float = 0.0) -> pd.Series:
    """Row by row: equal (floats within rel_tolerance), or missing on both sides."""
    # compare values, not their text: a key missing on one side turns an int column into floats
    equal = (engine == oracle) | (engine.isna() & oracle.isna())
    if rel_tolerance and pd.api.types.is_numeric_dtype(engine) and pd.api.types.is_numeric_dtype(oracle):
        scale = pd.concat([engine.abs(), oracle.abs()], axis=1).max(axis=1)
        equal |= (engine - oracle).abs() <= rel_tolerance * scale
    return equal
