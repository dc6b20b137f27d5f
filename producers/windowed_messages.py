"""windowed-messages producer: timestamped test messages for 1-minute event-time windows (seed 004, section 4).

Each record is `{id, message, timestamp}` (`message` like "테스트 메시지 12", `timestamp` as
`YYYY-MM-DD HH:MM:SS`), keyed by id. As in the seed, the timestamps cover the last five minutes
(`--span-minutes`). They follow a steady schedule from the start of that span to its end, each
moved back by a random 0 to `--max-disorder` seconds (50 by default), so events arrive out of order,
within a partition and across partitions, but never by more than the jobs' 1-minute watermark
allows: none of them may be lost.

`--late-fraction F` adds about F late messages per on-time one: a message of its own (next id)
stamped 3 to 4 minutes behind the schedule. A watermark that has seen the messages before it is at
least schedule - 50 s - 60 s, so the late message's window (ending at most 2 minutes behind the
schedule) is closed by then. Whether an engine calls it late depends on how far its watermark had
really moved when the message arrived; the README shows what each engine did with them.
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
    schedule_start,
)
from streamlab.producing import OutgoingRecord, ProduceStats, send_all
from streamlab.settings import INPUT, Settings

TS_FORMAT = EVENT_TIME_FORMAT
LATE_BEHIND_S = (180, 240)  # how far behind its schedule a late event is stamped
WARM_UP = 0.2  # no late events in the first fifth: a watermark needs events before it can pass one


def messages(
    count: int, start: datetime, span_s: float, max_disorder_s: int, late_fraction: float, seed: int
) -> Iterator[dict[str, object]]:
    """On-time messages on a schedule across the span, late ones mixed in after the warm-up."""
    chooser = random.Random(seed)
    step = span_s / max(count, 1)
    next_id = 0
    for index in range(count):
        scheduled = start + timedelta(seconds=index * step)
        stamp = scheduled - timedelta(seconds=chooser.randint(0, max_disorder_s))
        yield message(next_id, stamp)
        next_id += 1
        if index >= count * WARM_UP and chooser.random() < late_fraction:
            yield message(next_id, scheduled - timedelta(seconds=chooser.randint(*LATE_BEHIND_S)))
            next_id += 1


def message(number: int, stamp: datetime) -> dict[str, object]:
    return {"id": number, "message": f"테스트 메시지 {number}", "timestamp": stamp.strftime(TS_FORMAT)}


def spoil(event: dict[str, object], kind: int) -> bytes:
    """A malformed variant: the ways a message topic goes wrong."""
    broken = dict(event)
    if kind == 0:
        return b"{not json"
    if kind == 1:
        broken.pop("timestamp")
    elif kind == 2:
        broken["timestamp"] = "2025-02-30 10:00:00"  # no such day
    elif kind == 3:
        broken["timestamp"] = 1745244515  # epoch seconds where the text belongs
    else:
        return json.dumps([event], ensure_ascii=False).encode()
    return json.dumps(broken, ensure_ascii=False).encode()


BAD_KINDS = 5


def records(events: Iterator[dict[str, object]], bad_every: int = 0) -> Iterator[OutgoingRecord]:
    for index, event in enumerate(events, start=1):
        key = str(event["id"]).encode()
        if bad_every and index % bad_every == 0:
            yield OutgoingRecord(key, spoil(event, (index // bad_every) % BAD_KINDS))
        else:
            yield OutgoingRecord(key, json.dumps(event, ensure_ascii=False).encode())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=non_negative_int, default=300, help="on-time messages (default 300)")
    parser.add_argument("--rate", type=non_negative_float, default=10.0, help="records per second, 0 = at once")
    parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same messages")
    add_schedule_arguments(parser, span_minutes=5.0, max_disorder_s=50)
    parser.add_argument(
        "--late-fraction",
        type=non_negative_float,
        default=0.0,
        metavar="F",
        help="add about F late events (3-4 minutes behind) per on-time message, e.g. 0.05",
    )
    parser.add_argument(
        "--bad-every", type=non_negative_int, default=0, metavar="N", help="make every Nth record malformed"
    )


def produce(
    settings: Settings, options: argparse.Namespace, stats: ProduceStats | None = None, show_progress: bool = True
) -> str:
    """Send the messages to the input topic; returns what was done, in one line."""
    span_s = options.span_minutes * 60
    start = schedule_start(options)

    def events() -> Iterator[dict[str, object]]:
        return messages(options.count, start, span_s, options.max_disorder, options.late_fraction, options.seed)

    total = sum(1 for _ in events())  # the same seed makes the same messages twice: the first pass counts them
    stats = stats or ProduceStats(total)
    stats.target = total
    topics = {INPUT: settings.input_topic}
    sent = send_all(settings.bootstrap_servers, topics, records(events(), options.bad_every), total, options.rate,
                    show_progress, stats)  # fmt: skip
    late = total - options.count
    return f"sent {sent:,} messages to {settings.input_topic} ({late:,} of them stamped late on purpose)"
