"""behavior-stats producer: simulated user clicks, views, carts and purchases (seed 004, section 2).

Events are `{user_id, item_id, category, behavior, ts}` keyed by user_id. The same --seed gives
the same users, items, categories and behaviours; `ts` is the event's scheduled send time in UTC
(or, with a fixed origin, a fully deterministic schedule for tests).
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from streamlab.cliargs import non_negative_float, non_negative_int
from streamlab.producing import OutgoingRecord, ProduceStats, send_all
from streamlab.settings import INPUT, Settings

USER_IDS = [f"user_{i}" for i in range(1, 100)]
ITEM_IDS = [f"item_{i}" for i in range(1, 200)]
CATEGORIES = ["electronics", "books", "clothing", "home", "sports"]
BEHAVIORS = ["click", "view", "add_to_cart", "purchase"]
TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # printed with milliseconds: 2025-04-21 14:10:45.123


def format_ts(moment: datetime) -> str:
    return moment.strftime(TS_FORMAT)[:-3]


def event_times(count: int, rate: float, origin: datetime | None) -> Iterator[datetime]:
    """Scheduled send times: one every 1/rate seconds from origin (1 ms apart when rate is 0)."""
    start = origin or datetime.now(UTC).replace(tzinfo=None)
    step = timedelta(seconds=1 / rate) if rate > 0 else timedelta(milliseconds=1)
    for index in range(count):
        yield start + index * step


def generate_events(
    count: int, seed: int = 42, rate: float = 0.0, origin: datetime | None = None
) -> Iterator[dict[str, str]]:
    chooser = random.Random(seed)
    for moment in event_times(count, rate, origin):
        yield {
            "user_id": chooser.choice(USER_IDS),
            "item_id": chooser.choice(ITEM_IDS),
            "category": chooser.choice(CATEGORIES),
            "behavior": chooser.choice(BEHAVIORS),
            "ts": format_ts(moment),
        }


def spoil(event: dict[str, str], kind: int) -> bytes:
    """A malformed variant of an event, one of the ways real input goes wrong."""
    broken: dict[str, object] = dict(event)
    if kind == 0:
        return b"{not json at all"
    if kind == 1:
        broken.pop("category")
    elif kind == 2:
        broken["behavior"] = None
    elif kind == 3:
        broken["ts"] = 1745244645123  # epoch millis where a timestamp string belongs
    elif kind == 4:
        broken["ts"] = "yesterday"
    else:
        return json.dumps([event]).encode()  # valid JSON, but not an object
    return json.dumps(broken).encode()


BAD_KINDS = 6


def records(
    count: int, seed: int = 42, rate: float = 0.0, origin: datetime | None = None, bad_every: int = 0
) -> Iterator[OutgoingRecord]:
    """The events as Kafka records; with bad_every=N, every Nth record is malformed on purpose."""
    for index, event in enumerate(generate_events(count, seed, rate, origin), start=1):
        key = event["user_id"].encode()
        if bad_every and index % bad_every == 0:
            yield OutgoingRecord(key, spoil(event, (index // bad_every) % BAD_KINDS))
        else:
            yield OutgoingRecord(key, json.dumps(event).encode())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=non_negative_int, default=1000, help="events to send (default 1000)")
    parser.add_argument(
        "--rate", type=non_negative_float, default=10.0, help="events per second, 0 = as fast as possible"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same events")
    parser.add_argument(
        "--bad-every",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="make every Nth record malformed, to exercise the dead-letter path",
    )


def produce(
    settings: Settings, options: argparse.Namespace, stats: ProduceStats | None = None, show_progress: bool = True
) -> str:
    """Send the events to the input topic; returns what was done, in one line."""
    stats = stats or ProduceStats(options.count)
    stats.target = options.count
    events = records(options.count, seed=options.seed, rate=options.rate, bad_every=options.bad_every)
    topics = {INPUT: settings.input_topic}
    sent = send_all(settings.bootstrap_servers, topics, events, options.count, options.rate, show_progress, stats)
    return f"sent {sent:,} records to {settings.input_topic}"
