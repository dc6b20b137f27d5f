"""Every kind of bad (and borderline good) record a parse step must judge the same on both engines.

Given one valid event of a workload, these functions return its spoiled variants as the bytes a
producer would send, each with a label. Producers mix some of them into their output (--bad-every);
tests/integration/test_validation.py sends all of them to both engines and compares the dead letters
record by record. Whether a case is rejected, and why, is not written here: the pandas oracle
(streamlab.oracles) decides, independently of the engines' SQL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from streamlab.settings import MAX_VALUE_CHARS

Event = Mapping[str, object]
NOTE = "note"  # an extra text field the spoilers play with; no parse step reads it


def _text(event: Event, **extra: object) -> str:
    return json.dumps({**event, **extra})


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogatepass")


def envelope_cases(event: Event) -> dict[str, bytes]:
    """The value as a whole: empty, not UTF-8, too large, not one JSON object, and the edges of each."""
    text = _text(event)
    marked = _text(event, **{NOTE: "@@"}).encode()
    return {
        "empty value": b"",
        "invalid UTF-8 byte": marked.replace(b"@@", b"\xff\xfe"),
        "encoded surrogate (CESU bytes)": marked.replace(b"@@", b"\xed\xa0\x80"),
        "truncated UTF-8 sequence": marked.replace(b"@@", b"\xe2\x82"),
        "a genuine U+FFFD": _utf8(json.dumps({**event, NOTE: "\ufffd"}, ensure_ascii=False)),
        "too large by one": _utf8(_padded(event, MAX_VALUE_CHARS + 1)),
        "exactly the largest": _utf8(_padded(event, MAX_VALUE_CHARS)),
        "not JSON": b"{not json at all",
        "unterminated object": _utf8(text[:-1]),
        "a JSON array": _utf8(json.dumps([event])),
        "a JSON string": b'"text"',
        "a JSON number": b"7",
        "JSON null": b"null",
        "an empty object": b"{}",
        "single quotes": _utf8(text.replace('"', "'")),
        "a raw tab in a string": _utf8(_text(event, **{NOTE: "a\tb"}).replace("\\t", "\t")),
        "trailing text": _utf8(text + " x"),
        "two objects": _utf8(text + text),
        "trailing comma": _utf8(text[:-1] + ", }"),
        "byte order mark": _utf8("\ufeff" + text),
        "NaN": _utf8(_text(event, **{NOTE: float("nan")})),
        "lone high surrogate escape": _utf8(_text(event, **{NOTE: "\ud800"})),
        "lone low surrogate escape": _utf8(_text(event, **{NOTE: "\udc00"})),
        "escaped surrogate pair": _utf8(_text(event, **{NOTE: "\U0001f600"})),
        "escaped backslash before u": _utf8(_text(event, **{NOTE: "\\ud800"})),
        "white space around": _utf8(f" \t{text}\r\n"),
        "multi-byte text": _utf8(json.dumps({**event, NOTE: "한글 😀"}, ensure_ascii=False)),
    }


def _padded(event: Event, characters: int) -> str:
    """The event with a note that makes the whole text exactly `characters` code points long."""
    bare = _text(event, **{NOTE: ""})
    return _text(event, **{NOTE: "x" * (characters - len(bare))})


def text_field_cases(event: Event, name: str) -> dict[str, bytes]:
    """A required text field that is absent, null, or some other JSON type than a string."""
    value = event[name]
    without = {key: item for key, item in event.items() if key != name}
    return {
        f"{name} missing": _utf8(json.dumps(without)),
        f"{name} null": _utf8(_text(event, **{name: None})),
        f"{name} a number": _utf8(_text(event, **{name: 7})),
        f"{name} a boolean": _utf8(_text(event, **{name: True})),
        f"{name} an array": _utf8(_text(event, **{name: [value]})),
        f"{name} an object": _utf8(_text(event, **{name: {"v": value}})),
        f"{name} an empty string": _utf8(_text(event, **{name: ""})),
        f"{name} twice, the last good": _utf8(_twice(event, name, 7, value)),
        f"{name} twice, the last bad": _utf8(_twice(event, name, value, 7)),
    }


def _twice(event: Event, name: str, first: object, last: object) -> str:
    """The object with `name` written twice (a duplicate key): first `first`, later `last`."""
    body = ", ".join(f"{json.dumps(key)}: {json.dumps(item)}" for key, item in event.items() if key != name)
    return f"{{{json.dumps(name)}: {json.dumps(first)}, {body}, {json.dumps(name)}: {json.dumps(last)}}}"


def number_field_cases(event: Event, name: str) -> dict[str, bytes]:
    """A required number field: other JSON types, and number spellings the two engines print differently."""
    raw = _text(event, **{name: "@@"})
    spellings = (
        "5.0",
        "5e0",
        "0.5e1",
        "1.5",
        "-1",
        "1e3",
        "0.0001",
        "1e9",
        "1e400",
        "4.99999999999",
    )
    return {
        f"{name} missing": _utf8(json.dumps({key: item for key, item in event.items() if key != name})),
        f"{name} null": _utf8(_text(event, **{name: None})),
        f"{name} a string": _utf8(_text(event, **{name: str(event[name])})),
        f"{name} a boolean": _utf8(_text(event, **{name: False})),
        f"{name} an array": _utf8(_text(event, **{name: [event[name]]})),
        **{f"{name} = {number}": _utf8(raw.replace('"@@"', number)) for number in spellings},
    }


def timestamp_field_cases(event: Event, name: str) -> dict[str, bytes]:
    """A timestamp text field: other types, and texts a lenient parser would move or accept."""
    good = str(event[name])
    day, _, clock = good.partition(" ")
    texts = {
        "not a time": "yesterday",
        "30 February": good.replace(day[5:], "02-30"),
        "24 o'clock": f"{day} 24:00:00{clock[8:]}",
        "second 60": f"{day} {clock[:6]}60{clock[8:]}",
        "leading space": " " + good,
        "one-digit month": f"{day[:5]}{int(day[5:7])}{day[7:]} {clock}",
        "T separator": good.replace(" ", "T"),
        "slashes": good.replace("-", "/"),
        "no milliseconds": good[:19],
        "one fraction digit": good[:19] + ".1",
        "six fraction digits": good[:19] + ".123456",
        "year 0001": "0001" + good[4:],
    }
    return {
        f"{name} a number": _utf8(_text(event, **{name: 1745244645123})),
        f"{name} an array": _utf8(_text(event, **{name: [good]})),
        **{f"{name} {label}": _utf8(_text(event, **{name: text})) for label, text in texts.items()},
    }


def double_field_cases(event: Event, name: str) -> dict[str, bytes]:
    """A required number read as a DOUBLE: the cases of number_field_cases, and the edges of a double (zero's
    sign, underflow, overflow, the largest, more digits than a double holds, integers beyond a long)."""
    raw = _text(event, **{name: "@@"})
    spellings = (
        "-0",
        "-0.0",
        "1e-400",
        "4.9e-324",
        "-1e9",
        "999999999.9999999",
        "999999999.99999999999",
        "0.12345678901234567",
        "2.2250738585072011e-308",
        "12345678901234567890",
        "123456789012345678901234567890",
        "1.7976931348623157e308",
        "1.7976931348623159e308",
        "0.1e1",
        "1E2",
    )
    return {
        **number_field_cases(event, name),
        **{f"{name} = {number}": _utf8(raw.replace('"@@"', number)) for number in spellings},
    }
