"""Independent answers computed with pandas over exactly the records that were produced.

No engine computes its own score: these functions re-implement each workload's validation
and aggregation in plain Python/pandas from the raw Kafka records, so a bug in the shared SQL
shows up as a difference instead of being repeated on both sides.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any

import pandas as pd

from streamlab.errors import LabError
from streamlab.kafka_admin import Record
from streamlab.settings import MAX_VALUE_CHARS

# ---- the checks every parse step makes (sql/shared/*_envelope.sql and each *_parse.sql), in Python ----
# The same verdict as both engines on the same bytes (docs/design/validation-parity.md lists the cases):
# a value is a JSON object when it is valid UTF-8 without U+FFFD, at most MAX_VALUE_CHARS code points,
# starts with '{' and ends with '}' (white space around), holds no unpaired surrogate escape, and the JSON
# value starting at its '{' parses; what follows that value is not looked at, as Jackson does not.

_OBJECT_START = re.compile(r"[ \t\r\n]*\{")
_OBJECT_END = re.compile(r"(?s)\}[ \t\r\n]*(?!.)")  # (?s)...(?!.): "nothing after", the same in Java
_LONE_SURROGATE = re.compile(
    r"(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
SECONDS_FORMAT = "%Y-%m-%d %H:%M:%S"  # yyyy-MM-dd HH:mm:ss
MILLIS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # yyyy-MM-dd HH:mm:ss.SSS, with exactly three digits (below)
_TS_TEXT = {
    SECONDS_FORMAT: re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"),
    MILLIS_FORMAT: re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}"),
}
MAX_COUNT = 999_999_999  # 'bad count' above it
MAX_NUMBER = 1e9  # 'bad number' at or above it, in absolute value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python accepts them, the engines do not


# numbers as Decimal: the exact value the engines cast from; booleans stay bool (not numbers)
_DECODER = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constants)


def json_object(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, the object): the envelope checks, in the order of sql/shared/*_envelope.sql."""
    if raw is None or raw == b"":
        return "empty value", {}
    try:
        text = raw.decode("utf-8")  # strict: an invalid byte is a reject, not a U+FFFD
    except UnicodeDecodeError:
        return "not UTF-8", {}
    if "\ufffd" in text:
        return "not UTF-8", {}  # Flink cannot tell it from a replaced byte, so it is one on all three
    if len(text) > MAX_VALUE_CHARS:
        return "too large", {}  # code points, as CHAR_LENGTH counts
    start = _OBJECT_START.match(text)
    if not start or not _OBJECT_END.search(text) or _LONE_SURROGATE.search(text):
        return "not a JSON object", {}
    try:
        value, _ = _DECODER.raw_decode(text, start.end() - 1)
    except (ValueError, RecursionError):
        return "not a JSON object", {}
    return None, value  # a value that starts with '{' is a dict


def is_number(value: Any) -> bool:
    return isinstance(value, Decimal)


def field_reason(event: dict[str, Any], strings: tuple[str, ...] = (), numbers: tuple[str, ...] = ()) -> str | None:
    """The first of 'missing field', 'not a string', 'not a number' for the required fields, in the
    order the parse steps check them: every field's presence first (JSON null is missing), then types."""
    for name in (*strings, *numbers):
        if event.get(name) is None:
            return f"missing field: {name}"
    for name in strings:
        if not isinstance(event[name], str):
            return f"not a string: {name}"
    for name in numbers:
        if not is_number(event[name]):
            return f"not a number: {name}"
    return None


def optional_text(event: dict[str, Any], name: str) -> str | None:
    """An optional text field: its value when it is a JSON string, else NULL (number text is not the same
    on the two engines: Flink prints 1E+3 where Spark prints 1000.0)."""
    value = event.get(name)
    return value if isinstance(value, str) else None


def round_trips(text: str, pattern: str = SECONDS_FORMAT) -> bool:
    """The timestamp check of every parse step: the text parses with the pattern and prints back the same
    (rejects 2025-02-30 and 24:00:00, which a lenient parser would move to another day)."""
    if not _TS_TEXT[pattern].fullmatch(text):
        return False
    try:
        datetime.strptime(text, pattern)
    except ValueError:
        return False
    return True


def as_count(value: Decimal) -> int | None:
    """The count the engines read: TRY_CAST(.. AS DECIMAL(20,10)) rounds half up to 10 places, then a whole
    number from 0 to MAX_COUNT; None when it is not one (a 'bad count')."""
    with localcontext() as context:
        context.prec = 100
        try:
            exact = value.quantize(Decimal("1E-10"), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            return None
    if abs(exact) >= Decimal(10) ** 10 or exact != exact.to_integral_value() or not 0 <= exact <= MAX_COUNT:
        return None  # 10 digits before the point: what DECIMAL(20,10) holds
    return int(exact)


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
            _, event = json_object(record.value)
            ids = {name: optional_text(event, name) for name in ("user_id", "item_id")}
            intents.append({"source_partition": record.partition, "source_offset": record.offset, **ids, **fields})
    table = pd.DataFrame(intents, columns=INTENT_COLUMNS)
    return table.sort_values(INTENT_COLUMNS[:2], ignore_index=True), pd.DataFrame(rejected, columns=REJECT_COLUMNS)


def _rejected(record: Record, reason: str) -> dict[str, Any]:
    return {"reason": reason, "source_topic": record.topic, "source_partition": record.partition,
            "source_offset": record.offset}  # fmt: skip


# ---- bike-rentals: the rules of sql/bike-rentals/*_parse.sql, in Python ----------------------

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
    reason, message = json_object(raw)
    reason = reason or field_reason(message, strings=("timestamp",))
    if reason:
        return reason, {}
    if not round_trips(message["timestamp"]):
        return "bad timestamp: timestamp", {}
    return None, {"timestamp": message["timestamp"]}


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


def _clock(text: str) -> datetime:
    return datetime.strptime(text, SECONDS_FORMAT)


def _minute_later(start: str) -> str:
    # isoformat, not strftime("%Y"): that writes the year 1 as "1", where the engines write "0001"
    return (_clock(start) + timedelta(minutes=1)).isoformat(sep=" ")


# ---- patient-events: the rules of sql/patient-events/*_parse.sql, in Python ------------------------


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

STRATEGY_COLUMNS = ["strategy", "key", "ts", "value", "result"]
PAIR_COLUMNS = ["key", "c_ts", "d_ts", "c_result", "d_value"]
JOIN_BOUND = timedelta(minutes=5)


def _strategy_fields(
    raw: bytes | None, strings: tuple[str, ...], number: str, accept: Callable[[float], bool]
) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, fields): a JSON object with text fields, one number `accept`s and a timestamp ts."""
    reason, record = json_object(raw)
    reason = reason or field_reason(record, strings=strings, numbers=(number,))
    if reason:
        return reason, {}
    value = float(record[number])  # a DOUBLE, as both engines cast it (1e400 is infinite)
    if not accept(value):
        return f"bad number: {number}", {}
    if not round_trips(record["ts"]):
        return "bad timestamp: ts", {}
    return None, {**{name: record[name] for name in strings}, number: value}


def strategy_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, fields): the checks of sql/strategy-join/*_parse.sql in their order."""
    return _strategy_fields(raw, ("strategy", "key", "ts"), "value", lambda value: abs(value) < MAX_NUMBER)


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
    return _strategy_fields(raw, ("key", "ts"), "result", math.isfinite)  # any finite result


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
    # datetime, not pd.to_datetime: the engines take years (0001) pandas' nanosecond clock cannot hold
    near = [abs(_clock(d) - _clock(c)) <= JOIN_BOUND for c, d in zip(pairs["ts_c"], pairs["ts_d"], strict=True)]
    pairs = pairs.loc[pd.Series(near, index=pairs.index, dtype=bool)].rename(
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


def merge_on_keys(left: pd.DataFrame, right: pd.DataFrame, keys: list[str], **how: object) -> pd.DataFrame:
    """An outer merge on the key columns; an empty side (object columns) takes the other side's key types."""
    for frame, other in ((left, right), (right, left)):
        if frame.empty and not other.empty:
            for key in keys:
                frame[key] = frame[key].astype(other[key].dtype)
    return left.merge(right, on=keys, how="outer", **how)


def paired_rows(
    engine: pd.DataFrame, oracle: pd.DataFrame, keys: list[str], values: list[str], rel_tolerance: float = 0.0
) -> tuple[pd.DataFrame, pd.Series]:
    """The engine's rows and the oracle's merged on the keys (suffixes _engine, _oracle; `_merge` says which side
    has the key), and per merged row whether every value is the same: what `check` and `chaos` each tally."""
    columns = keys + values
    merged = merge_on_keys(
        engine.reindex(columns=columns), oracle.reindex(columns=columns), keys, suffixes=("_engine", "_oracle"),
        indicator=True,
    )  # fmt: skip
    same = pd.Series(True, index=merged.index)
    for name in values:
        same &= same_values(merged[f"{name}_engine"], merged[f"{name}_oracle"], rel_tolerance)
    return merged, same


def same_values(engine: pd.Series, oracle: pd.Series, rel_tolerance: float = 0.0) -> pd.Series:
    """Row by row: equal (floats within rel_tolerance), or missing on both sides."""
    # compare values, not their text: a key missing on one side turns an int column into floats
    equal = (engine == oracle) | (engine.isna() & oracle.isna())
    if rel_tolerance and pd.api.types.is_numeric_dtype(engine) and pd.api.types.is_numeric_dtype(oracle):
        scale = pd.concat([engine.abs(), oracle.abs()], axis=1).max(axis=1)
        equal |= (engine - oracle).abs() <= rel_tolerance * scale
    return equal
