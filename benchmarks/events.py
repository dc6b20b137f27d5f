"""The benchmark's input: events in a workload's own shape, made fast enough for tens of thousands per
second from one Python process, and what a correct run must output for them.

Two shapes: behavior events (the behavior-stats producer's, read by behavior-stats and passthrough)
and timestamped messages (the windowed-messages producer's). The random part of an event comes from
a seeded pool built once; per event only the timestamp text is formatted. The text is the
producer's exactly (`{"user_id": ..., "ts": "2026-11-25 16:40:01.123"}`, `{"id": 7, "message": ...,
"timestamp": "2026-11-25 16:40:01"}`), so every workload parses it unchanged.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from producers.behavior_stats import BEHAVIORS, CATEGORIES, ITEM_IDS, USER_IDS
from producers.windowed_messages import message

POOL_SIZE = 4096
INTENTS = ("add_to_cart", "purchase")  # what the passthrough workload keeps
WINDOW_MS = 60_000  # windowed-messages' tumbling window


@dataclass(frozen=True)
class Template:
    key: bytes
    head: bytes  # the JSON up to the timestamp's opening quote
    category: str = ""  # behavior events only
    behavior: str = ""


def behavior_templates(seed: int) -> list[Template]:
    chooser = random.Random(seed)
    pool = []
    for _ in range(POOL_SIZE):
        user, item = chooser.choice(USER_IDS), chooser.choice(ITEM_IDS)
        category, behavior = chooser.choice(CATEGORIES), chooser.choice(BEHAVIORS)
        fields = {"user_id": user, "item_id": item, "category": category, "behavior": behavior, "ts": ""}
        pool.append(Template(user.encode(), head_of(fields), category, behavior))
    return pool


def message_templates(seed: int) -> list[Template]:
    """The windowed-messages producer's messages (keyed by id); nothing is random but the time, so the
    seed only shifts the ids."""
    pool = []
    for number in range(seed * POOL_SIZE, (seed + 1) * POOL_SIZE):
        fields = {**message(number, datetime(2000, 1, 1)), "timestamp": ""}  # the time goes in per event
        pool.append(Template(str(number).encode(), head_of(fields)))
    return pool


def head_of(fields: dict[str, object]) -> bytes:
    """The JSON text of `fields`, whose last field is an empty time, cut before that time's text."""
    text = json.dumps(fields, ensure_ascii=False)
    assert text.endswith('""}'), "the time must be the last field"
    return text[: -len('"}')].encode()


@dataclass(frozen=True)
class Shape:
    name: str
    templates: Callable[[int], list[Template]]
    millis: bool  # event time with milliseconds (behavior events) or in whole seconds (messages)


SHAPES = {
    shape.name: shape
    for shape in (
        Shape("behavior", behavior_templates, millis=True),
        Shape("messages", message_templates, millis=False),
    )
}
WORKLOAD_SHAPES = {"behavior-stats": "behavior", "passthrough": "behavior", "windowed-messages": "messages"}


class TimeText:
    """epoch ms -> 'YYYY-MM-DD HH:MM:SS.mmm' (or without '.mmm'), UTC, formatting the seconds part once
    per second."""

    def __init__(self, millis: bool = True) -> None:
        self._millis = millis
        self._second = -1
        self._prefix = b""

    def __call__(self, epoch_ms: int) -> bytes:
        second, millis = divmod(epoch_ms, 1000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second)).encode()
        return b"%s.%03d" % (self._prefix, millis) if self._millis else self._prefix


class Events:
    """Event number i of a shape at a time: (template, value). The pool repeats every POOL_SIZE events."""

    def __init__(self, shape: str, seed: int) -> None:
        known = SHAPES[shape]
        self.pool = known.templates(seed)
        self.stamp = TimeText(known.millis)

    def make(self, index: int, epoch_ms: int) -> tuple[Template, bytes]:
        template = self.pool[index % POOL_SIZE]
        return template, template.head + self.stamp(epoch_ms) + b'"}'


@dataclass
class Expected:
    """What a correct run writes for the events sent: counts per (category, behavior), kept intents,
    messages per 1-minute window (by its start, as the windowed result prints it)."""

    counts: Counter = field(default_factory=Counter)
    windows: Counter = field(default_factory=Counter)
    intents: int = 0
    events: int = 0

    def add(self, template: Template, epoch_ms: int) -> None:
        if template.behavior:
            self.counts[(template.category, template.behavior)] += 1
            self.intents += template.behavior in INTENTS
        else:
            self.windows[epoch_ms // WINDOW_MS] += 1
        self.events += 1

    def as_json(self) -> dict[str, object]:
        return {
            "events": self.events,
            "intents": self.intents,
            "counts": {f"{category}|{behavior}": n for (category, behavior), n in sorted(self.counts.items())},
            "windows": {window_start(minute): n for minute, n in sorted(self.windows.items())},
        }


def window_start(minute: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(minute * WINDOW_MS // 1000))
