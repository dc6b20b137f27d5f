"""The benchmark's input: behavior events (the behavior-stats producer's shape), made fast enough for
tens of thousands per second from one Python process, and what a correct run must output for them.

The random part of an event (user, item, category, behavior) comes from a seeded pool built once;
per event only the timestamp text is formatted. The text is the producer's exactly
(`{"user_id": ..., "ts": "2026-11-25 16:40:01.123"}`), so every workload parses it unchanged.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from producers.behavior_stats import BEHAVIORS, CATEGORIES, ITEM_IDS, USER_IDS

POOL_SIZE = 4096
INTENTS = ("add_to_cart", "purchase")  # what the passthrough workload keeps


@dataclass(frozen=True)
class Template:
    key: bytes
    head: bytes  # the JSON up to the timestamp's opening quote
    category: str
    behavior: str


def templates(seed: int) -> list[Template]:
    chooser = random.Random(seed)
    pool = []
    for _ in range(POOL_SIZE):
        user, item = chooser.choice(USER_IDS), chooser.choice(ITEM_IDS)
        category, behavior = chooser.choice(CATEGORIES), chooser.choice(BEHAVIORS)
        fields = {"user_id": user, "item_id": item, "category": category, "behavior": behavior, "ts": ""}
        head = json.dumps(fields)[: -len('"}')].encode()
        pool.append(Template(user.encode(), head, category, behavior))
    return pool


class TimeText:
    """epoch ms -> 'YYYY-MM-DD HH:MM:SS.mmm' (UTC), formatting the seconds part once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = b""

    def __call__(self, epoch_ms: int) -> bytes:
        second, millis = divmod(epoch_ms, 1000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second)).encode()
        return b"%s.%03d" % (self._prefix, millis)


@dataclass
class Expected:
    """What a correct run writes for the events sent: counts per (category, behavior), kept intents."""

    counts: Counter = field(default_factory=Counter)
    intents: int = 0
    events: int = 0

    def add(self, template: Template) -> None:
        self.counts[(template.category, template.behavior)] += 1
        self.intents += template.behavior in INTENTS
        self.events += 1

    def as_json(self) -> dict[str, object]:
        return {
            "events": self.events,
            "intents": self.intents,
            "counts": {f"{category}|{behavior}": n for (category, behavior), n in sorted(self.counts.items())},
        }


def event_value(template: Template, stamp: bytes) -> bytes:
    return template.head + stamp + b'"}'
