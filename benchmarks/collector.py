"""Latency collector, run in its own process: reads a job's output topic(s) and keeps, for every
record, the broker's append time and the newest event time the record includes.

    python -m benchmarks.collector '{"bootstrap": ..., "topics": [...], "field": "last_event_ts", "out": "F.npz"}'

The output topics are created with message.timestamp.type=LogAppendTime, so a record's timestamp is
when the broker made it readable, whatever the engine put there; a record with another timestamp
type is counted and reported, never used. The event time is the text of `field` in the record's
JSON value ('YYYY-MM-DD HH:MM:SS.mmm', UTC), found with a regex rather than a JSON parser: the
collector must stay far cheaper than what it measures. Prints one JSON line per half second
({"records": N, "newest_event_ms": T}) and, once stdin closes, saves the samples and prints a summary.
"""

from __future__ import annotations

import calendar
import json
import re
import sys
import threading
import time

import numpy as np
from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME, Consumer

REPORT_EVERY_S = 0.5


class EventTimes:
    """'YYYY-MM-DD HH:MM:SS.mmm' -> epoch ms (UTC), converting the seconds part once per distinct second."""

    def __init__(self) -> None:
        self._seconds: dict[bytes, int] = {}

    def __call__(self, text: bytes) -> int:
        head = text[:19]
        second = self._seconds.get(head)
        if second is None:
            second = calendar.timegm(time.strptime(head.decode(), "%Y-%m-%d %H:%M:%S"))
            self._seconds[head] = second
        return second * 1000 + int(text[20:23] or 0)


def new_consumer(bootstrap: str) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"streamlab-bench-collector-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 5,  # the collector's own wait must not add to what it measures
            "log_level": 3,
        }
    )


def collect(spec: dict, stop: threading.Event) -> dict:
    consumer = new_consumer(spec["bootstrap"])
    consumer.subscribe(spec["topics"])
    pattern = re.compile(b'"' + spec["field"].encode() + b'":"([^"]+)"')
    parse = EventTimes()
    appended: list[int] = []
    events: list[int] = []
    other_stamps = unreadable = 0
    next_report = time.monotonic()
    newest = 0
    while not stop.is_set():
        for message in consumer.consume(num_messages=5000, timeout=0.1):
            if message.error() or message.value() is None:
                continue  # partition-end notices, tombstones
            kind, stamp = message.timestamp()
            found = pattern.search(message.value())
            if kind != TIMESTAMP_LOG_APPEND_TIME:
                other_stamps += 1
            elif found is None:
                unreadable += 1
            else:
                event_ms = parse(found.group(1))
                appended.append(stamp)
                events.append(event_ms)
                newest = max(newest, event_ms)
        if time.monotonic() >= next_report:
            print(json.dumps({"records": len(appended), "newest_event_ms": newest}), flush=True)
            next_report += REPORT_EVERY_S
    consumer.close()
    np.savez(spec["out"], append_ms=np.array(appended, dtype=np.int64), event_ms=np.array(events, dtype=np.int64))
    return {"records": len(appended), "other_timestamp_type": other_stamps, "without_event_time": unreadable}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    stop = threading.Event()
    # the harness closes stdin to stop the collector: it then saves what it has
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    started = time.process_time()
    summary = collect(spec, stop)
    summary["cpu_s"] = time.process_time() - started
    print(json.dumps({"done": summary}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
