"""argparse types shared by the CLI and the producers' own flags: numbers with bounds, event times, paths."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

EVENT_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # how every producer writes event times (and --start takes them)
MAX_DISORDER_S = 59  # the event-time jobs' watermarks trail by 1 minute: records within it are never late


def _at_least(kind: type, minimum: float, inclusive: bool, wording: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value < minimum or (value == minimum and not inclusive):
            raise argparse.ArgumentTypeError(f"must {wording}, not {value:g}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in "invalid int value" messages
    return parse


non_negative_int = _at_least(int, 0, True, "not be negative")
positive_int = _at_least(int, 1, True, "be at least 1")
non_negative_float = _at_least(float, 0.0, True, "not be negative")
positive_float = _at_least(float, 0.0, False, "be above 0")


def event_time(text: str) -> datetime:
    """A --start flag: YYYY-MM-DD HH:MM:SS."""
    try:
        return datetime.strptime(text, EVENT_TIME_FORMAT)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD HH:MM:SS, not {text!r}") from None


def disorder_seconds(text: str) -> int:
    """A --max-disorder flag, at most 59 s: records must stay within the jobs' 1-minute watermark, or the
    windows or pairs they belong to could be closed before they arrive."""
    value = non_negative_int(text)
    if value > MAX_DISORDER_S:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_DISORDER_S} (the watermark allows 60 s), not {value}")
    return int(value)


def add_schedule_arguments(parser: argparse.ArgumentParser, span_minutes: float, max_disorder_s: int) -> None:
    """--span-minutes, --start and --max-disorder: the event-time schedule of a producer for windows or joins."""
    parser.add_argument(
        "--span-minutes",
        type=positive_float,
        default=span_minutes,
        help=f"event times cover this many minutes (default {span_minutes:g})",
    )
    parser.add_argument(
        "--start", type=event_time, help="first event time, YYYY-MM-DD HH:MM:SS (default: now minus the span)"
    )
    parser.add_argument(
        "--max-disorder",
        type=disorder_seconds,
        default=max_disorder_s,
        metavar="S",
        help=f"stamp each record up to S seconds early, 0 to 59 (default {max_disorder_s}; the watermark allows 60)",
    )


def schedule_start(options: argparse.Namespace) -> datetime:
    """--start, or the span ending now."""
    return options.start or (datetime.now().replace(microsecond=0) - timedelta(minutes=options.span_minutes))


def path(text: str) -> Path:
    """A flag naming a file or folder, anywhere: made absolute (an engine takes a folder as a file:// URI)."""
    return Path(text).expanduser().absolute()


def path_or_file_uri(text: str) -> Path:
    """A folder given as a path or as the file: URI Flink prints for it (a savepoint's location)."""
    if text.startswith("file:"):
        text = urlsplit(text).path
    return path(text)


def key_value(text: str) -> tuple[str, str]:
    """A --conf flag: KEY=VALUE (the value may contain '=' and spaces)."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key.strip(), value.strip()
