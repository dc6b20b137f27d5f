"""The checks every parse step makes (sql/shared/*_envelope.sql and each *_parse.sql), in Python.

The same verdict as both engines on the same bytes (docs/design/validation-parity.md lists the cases):
a value is a JSON object when it is valid UTF-8 without U+FFFD, at most MAX_VALUE_CHARS code points,
starts with '{' and ends with '}' (white space around), holds no unpaired surrogate escape, and the JSON
value starting at its '{' parses; what follows that value is not looked at, as Jackson does not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any

import pandas as pd

from streamlab.kafka_admin import Record
from streamlab.settings import MAX_VALUE_CHARS

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


REJECT_COLUMNS = ["reason", "source_topic", "source_partition", "source_offset"]  # as the dead letters name them


def rejected(record: Record, reason: str) -> dict[str, Any]:
    """A rejected record as the dead letters name it: its reason and where it was read."""
    return {"reason": reason, "source_topic": record.topic, "source_partition": record.partition,
            "source_offset": record.offset}  # fmt: skip


def split(
    records: list[Record], check: Callable[[bytes | None], tuple[str | None, dict[str, Any]]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the fields of each record `check` accepts, the rejected records with their reasons)."""
    valid, rejects = [], []
    for record in records:
        reason, fields = check(record.value)
        if reason:
            rejects.append(rejected(record, reason))
        else:
            valid.append(fields)
    return pd.DataFrame(valid), pd.DataFrame(rejects, columns=REJECT_COLUMNS)


def clock(text: str) -> datetime:
    """yyyy-MM-dd HH:mm:ss as a datetime (not pd.Timestamp: the engines take years pandas cannot hold)."""
    return datetime.strptime(text, SECONDS_FORMAT)


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
