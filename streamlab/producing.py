"""Open-loop sending: records go out on a fixed schedule (or as fast as possible), with progress.

The schedule matters for latency numbers later: an event's timestamp is its *scheduled* send
time, so a slow broker shows up as latency instead of silently slowing the generator down.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaProducer
from kafka.errors import KafkaError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from streamlab.errors import LabError
from streamlab.kafka_admin import BOOTSTRAP_TIMEOUT_MS, no_broker_message


@dataclass(frozen=True)
class OutgoingRecord:
    key: bytes | None
    value: bytes | None


def new_producer(bootstrap_servers: str) -> KafkaProducer:
    try:
        # acks=all: a record the producer counts as sent is on every in-sync replica
        return KafkaProducer(
            bootstrap_servers=bootstrap_servers,
            acks="all",
            linger_ms=5,
            client_id="streamlab-producer",
            api_version_auto_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        )
    except KafkaError as error:
        raise LabError(no_broker_message(bootstrap_servers)) from error


def send_all(
    bootstrap_servers: str,
    topic: str,
    records: Iterable[OutgoingRecord],
    count: int,
    rate: float = 0.0,
    show_progress: bool = True,
) -> int:
    """Send up to `count` records at `rate` per second (0 = as fast as possible).

    Returns how many were sent and acknowledged (fewer than `count` if `records` ran out early).
    """
    producer = new_producer(bootstrap_servers)
    failures: list[Exception] = []
    sent = 0
    started = time.monotonic()
    with _progress(show_progress, topic, rate) as progress:
        task = progress.add_task("produce", total=count)
        for index, record in enumerate(records):
            if rate > 0:
                _sleep_until(started + index / rate)
            future = producer.send(topic, key=record.key, value=record.value)
            future.add_errback(failures.append)
            sent += 1
            progress.advance(task)
        producer.flush()
    producer.close()
    if failures:
        raise LabError(f"{len(failures)} of {sent} records were not acknowledged by Kafka: {failures[0]}")
    return sent


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _progress(enabled: bool, topic: str, rate: float) -> Progress:
    pace = f"{rate:g}/s" if rate > 0 else "max rate"
    return Progress(
        TextColumn(f"producing to [bold]{topic}[/] ({pace})"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )
