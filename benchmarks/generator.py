"""Open-loop event generator, run in its own process so its CPU is measured apart from the engine's.

    python -m benchmarks.generator '{"bootstrap": ..., "topic": ..., "rate": 5000, "seconds": 10, ...}'

Event i is scheduled at start + i/rate and stamped with that time, not the time it left: if the
generator (or the broker) falls behind, the events still carry the time they should have left, and
the delay counts as latency (no coordinated omission). How late each event left is recorded too;
a run where too many left too late is invalid (benchmarks.latency.fell_behind). With rate 0 it
preloads `count` events as fast as it can, stamped 1 ms apart from the start. `shape` says which
events (benchmarks.events.SHAPES).

Prints one JSON line per second ({"sent": N}) and a last one with the summary.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from benchmarks.events import Events, Expected
from benchmarks.latency import fell_behind
from streamlab.producing import new_producer

MIN_SLEEP_S = 0.001


def produce(producer: object, topic: str, key: bytes, value: bytes, delivered: object = None) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key, on_delivery=delivered)
            return
        except BufferError:  # librdkafka's queue is full: let it drain
            producer.poll(0.01)


def preload(spec: dict) -> dict:
    """`count` events as fast as possible; returns what a correct job must output for them."""
    producer = new_producer(spec["bootstrap"])
    events, expected = Events(spec["shape"], spec["seed"]), Expected()
    start_ms, count, started = int(spec["start_ms"]), int(spec["count"]), time.monotonic()
    for index in range(count):
        template, value = events.make(index, start_ms + index)
        produce(producer, spec["topic"], template.key, value)
        expected.add(template, start_ms + index)
        if index % 10_000 == 0:
            producer.poll(0)
            if index % 200_000 == 0:
                print(json.dumps({"sent": index}), flush=True)
    left = producer.flush(60)
    seconds = time.monotonic() - started
    return {"sent": count - left, "seconds": seconds, "expected": expected.as_json()}


def paced(spec: dict) -> dict:
    """`rate` events per second for `seconds`, from wall-clock time start_ms (epoch ms)."""
    producer = new_producer(spec["bootstrap"])
    events = Events(spec["shape"], spec["seed"])
    rate, start_s = float(spec["rate"]), spec["start_ms"] / 1000
    total = int(rate * spec["seconds"])
    lag_ms = np.zeros(total)
    failed: list[str] = []

    def delivered(error: object, _message: object) -> None:
        if error is not None:
            failed.append(str(error))

    cpu_before, sent, next_report = time.process_time(), 0, start_s + 1
    while sent < total:
        now = time.time()
        due = min(total, int((now - start_s) * rate) + 1)
        while sent < due:
            scheduled_ms = int((start_s + sent / rate) * 1000)
            template, value = events.make(sent, scheduled_ms)
            produce(producer, spec["topic"], template.key, value, delivered)
            # taken after the hand-over, so a wait for room in librdkafka's queue counts as lag
            lag_ms[sent] = time.time() * 1000 - scheduled_ms
            sent += 1
        producer.poll(0)
        if now >= next_report:
            print(json.dumps({"sent": sent}), flush=True)
            next_report += 1
        wait = start_s + sent / rate - time.time()
        if wait > 0:  # at least 1 ms: waking up for every event costs more CPU than the events do
            time.sleep(max(wait, MIN_SLEEP_S))
    left = producer.flush(30)
    return {
        "sent": sent - left - len(failed),
        "failed": len(failed) + left,
        "rate": rate,
        "seconds": spec["seconds"],
        "lag_ms": {"p50": float(np.percentile(lag_ms, 50)), "p99": float(np.percentile(lag_ms, 99)),
                   "max": float(lag_ms.max()) if total else 0.0},
        "fell_behind": bool(fell_behind(lag_ms)) or left > 0 or bool(failed),
        "cpu_s": time.process_time() - cpu_before,
    }  # fmt: skip


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    summary = paced(spec) if spec.get("rate") else preload(spec)
    print(json.dumps({"done": summary}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
