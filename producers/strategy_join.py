"""strategy-join producer: `{strategy, key, value, ts}` records into A_input, B_input, C_input and D_input.

As in the seed, each strategy has its own input topic and the records are keyed by `key`. Event
times follow a steady schedule across `--span-minutes` (ending now by default); each record is
stamped up to `--max-disorder` seconds (30 by default) before its place in the schedule, so records
arrive out of order within a partition and across them, but never by more than the jobs' 1-minute
watermark allows: a complete join loses no pair. The four topics advance together, record by record.

Values are decimals from 0 to 100 with one digit after the point; about one in twenty is one of the
rule's edges (29.9, 30, 60, 60.1), so both ends of "30 to 60, both included" are always exercised.
A (strategy, key, ts) never repeats within a run (records of two runs into the same topics can:
produce into fresh topics with --topic-prefix), so each row of a result is one identifiable record.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from streamlab.cliargs import (
    EVENT_TIME_FORMAT,
    add_schedule_arguments,
    non_negative_float,
    non_negative_int,
    positive_int,
    schedule_start,
)
from streamlab.errors import LabError
from streamlab.producing import OutgoingRecord, ProduceStats, send_all
from streamlab.settings import Settings
from streamlab.workloads import STRATEGY_INPUTS

EDGE_VALUES = (29.9, 30.0, 60.0, 60.1)
EDGE_SHARE = 0.05


def events(
    count: int, keys: int, start: datetime, span_s: float, max_disorder_s: int, seed: int
) -> Iterator[tuple[str, dict[str, object]]]:
    """(input role, record) pairs: `count` records per strategy, the strategies interleaved."""
    chooser = random.Random(seed)
    step = span_s / max(count, 1)
    used: set[tuple[str, str, datetime]] = set()
    for index in range(count):
        scheduled = start + timedelta(seconds=index * step)
        for role in STRATEGY_INPUTS:
            strategy = role[0].upper()
            key, stamp = _fresh_key_and_time(chooser, keys, scheduled, max_disorder_s, strategy, used)
            ts = stamp.strftime(EVENT_TIME_FORMAT)
            yield role, {"strategy": strategy, "key": key, "value": _value(chooser), "ts": ts}


def check_room(count: int, keys: int, span_s: float) -> None:
    """Each strategy needs a free (key, second) for every record; at most half of them taken keeps the
    draws quick (the schedule puts count / span records in every second, and each has `keys` slots)."""
    if count > keys * span_s / 2:
        raise LabError(
            f"{count:,} records per strategy need more (key, second) slots than {keys} keys over "
            f"{span_s / 60:g} minutes give: raise --keys or --span-minutes (at most keys x seconds / 2)"
        )


def _fresh_key_and_time(
    chooser: random.Random, keys: int, scheduled: datetime, max_disorder_s: int, strategy: str, used: set
) -> tuple[str, datetime]:
    """A key and a time this strategy has not had together yet (draw again on a repeat; check_room
    makes sure there is room)."""
    while True:
        key = f"key-{chooser.randrange(keys):03d}"
        # whole seconds, as written: two records in one second would be the same (strategy, key, ts)
        stamp = (scheduled - timedelta(seconds=chooser.randint(0, max_disorder_s))).replace(microsecond=0)
        if (strategy, key, stamp) not in used:
            used.add((strategy, key, stamp))
            return key, stamp


def _value(chooser: random.Random) -> float:
    if chooser.random() < EDGE_SHARE:
        return chooser.choice(EDGE_VALUES)
    return chooser.randrange(1001) / 10


def spoil(event: dict[str, object], kind: int) -> bytes:
    """A malformed variant: the ways a strategy topic goes wrong."""
    broken = dict(event)
    if kind == 0:
        return b"{not json"
    if kind == 1:
        broken.pop("key")
    elif kind == 2:
        broken["value"] = "high"  # text where a number belongs
    elif kind == 3:
        broken["ts"] = "2025-02-30 10:00:00"  # no such day
    elif kind == 4:
        broken.pop("value")
    else:
        return json.dumps([event]).encode()
    return json.dumps(broken).encode()


BAD_KINDS = 6


def records(pairs: Iterator[tuple[str, dict[str, object]]], bad_every: int = 0) -> Iterator[OutgoingRecord]:
    for index, (role, event) in enumerate(pairs, start=1):
        key = str(event["key"]).encode()
        if bad_every and index % bad_every == 0:
            yield OutgoingRecord(key, spoil(event, (index // bad_every) % BAD_KINDS), role=role)
        else:
            yield OutgoingRecord(key, json.dumps(event).encode(), role=role)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=non_negative_int, default=200, help="records per strategy (default 200)")
    parser.add_argument("--rate", type=non_negative_float, default=20.0, help="records per second, 0 = at once")
    parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same records")
    parser.add_argument("--keys", type=positive_int, default=20, help="distinct keys (default 20)")
    add_schedule_arguments(parser, span_minutes=30.0, max_disorder_s=30)
    parser.add_argument(
        "--bad-every", type=non_negative_int, default=0, metavar="N", help="make every Nth record malformed"
    )


def produce(
    settings: Settings, options: argparse.Namespace, stats: ProduceStats | None = None, show_progress: bool = True
) -> str:
    """Send the records to the four input topics; returns what was done, in one line."""
    span_s = options.span_minutes * 60
    start = schedule_start(options)
    check_room(options.count, options.keys, span_s)
    pairs = events(options.count, options.keys, start, span_s, options.max_disorder, options.seed)
    total = options.count * len(STRATEGY_INPUTS)
    stats = stats or ProduceStats(total)
    stats.target = total
    topics = {role: settings.topic(role) for role in STRATEGY_INPUTS}
    sent = send_all(settings.bootstrap_servers, topics, records(pairs, options.bad_every), total, options.rate,
                    show_progress, stats)  # fmt: skip
    return f"sent {sent:,} records, {options.count:,} to each of {', '.join(topics.values())}"
