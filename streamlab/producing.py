"""Open-loop sending: records go out on a fixed schedule (or as fast as possible), with progress.

The schedule matters for latency numbers later: an event's timestamp is its *scheduled* send
time, so a slow broker shows up as latency instead of silently slowing the generator down.

Producers use confluent-kafka (librdkafka): kafka-python manages about 20k records/s on one
core here, librdkafka about 150k/s with the JSON encoding included, which is what 24
simulated hours of 2,000 bike stations need to be produced in well under a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import KafkaException, Producer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from streamlab.errors import LabError
from streamlab.settings import INPUT

DELIVERY_TIMEOUT_MS = 30_000  # a record not acknowledged by then is reported, not retried forever


@dataclass(frozen=True)
class OutgoingRecord:
    key: bytes | None
    value: bytes | None
    role: str = INPUT  # which of the workload's topics it goes to (see Settings.topics)
    due_s: float | None = None  # when to send it, in seconds after the start; None: as the rate says


@dataclass
class ProduceStats:
    """Shared between a producer (maybe in a thread) and whoever shows its progress."""

    target: int
    sent: int = 0
    done: bool = False
    error: Exception | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    behind_s: float = 0.0  # how far the sender fell behind its schedule, at worst
    # records from this index on wait until it is raised (None: no limit). `streamlab chaos` pauses the
    # producer until the job has completed a checkpoint, and at each kill point until the kill is done
    limit: int | None = None

    def wait_turn(self, index: int, poll_s: float = 0.02) -> float:
        """Block before record `index` while the limit holds it back (or until stop is set); the seconds held."""
        held_since = time.monotonic()
        while self.limit is not None and index >= self.limit and not self.stop.is_set():
            self.stop.wait(poll_s)
        return time.monotonic() - held_since


def new_producer(bootstrap_servers: str) -> Producer:
    return Producer(
        {
            "bootstrap.servers": bootstrap_servers,
            "acks": "all",  # a record counted as sent is on every in-sync replica
            # a retried batch is not written twice (and keeps its order): without it librdkafka
            # resends after a transient error, e.g. a leader still being elected for a new topic
            "enable.idempotence": True,
            "linger.ms": 5,
            "client.id": "streamlab-producer",
            # the Java client's key hashing, so a key lands in the partition a JVM producer would choose
            "partitioner": "murmur2_random",
            "message.timeout.ms": DELIVERY_TIMEOUT_MS,
            "queue.buffering.max.messages": 500_000,
            # warnings such as "coordinator load in progress: retrying" on a just-started broker
            # are retried by librdkafka itself; errors still show, and failures reach the caller
            "log_level": 3,
        }
    )


def send_all(
    bootstrap_servers: str,
    topics: Mapping[str, str],
    records: Iterable[OutgoingRecord],
    count: int,
    rate: float = 0.0,
    show_progress: bool = True,
    stats: ProduceStats | None = None,
    pace: str = "",
) -> int:
    """Send up to `count` records, each to topics[record.role], at its due time or at `rate` per second.

    rate 0 and no due times: as fast as possible. `pace` describes the schedule in the progress bar.
    Returns how many were sent and acknowledged.
    """
    stats = stats or ProduceStats(count)
    producer = new_producer(bootstrap_servers)
    failures: list[str] = []

    def delivered(error: object, _message: object) -> None:
        if error is not None:
            failures.append(str(error))

    started = time.monotonic()
    pace = pace or (f"{rate:g}/s" if rate > 0 else "as fast as possible")
    with _progress(show_progress, ", ".join(sorted(set(topics.values()))), pace) as progress:
        task = progress.add_task("produce", total=count)
        for index, record in enumerate(records):
            # a hold is a pause: the schedule moves on by it, instead of sending what it held back in a burst
            started += stats.wait_turn(index)
            if stats.stop.is_set():
                break
            due = record.due_s if record.due_s is not None else (index / rate if rate > 0 else None)
            if due is not None:
                stats.behind_s = max(stats.behind_s, _sleep_until(started + due))
            _produce(producer, topics[record.role], record, delivered)
            stats.sent += 1
            progress.advance(task)
        remaining = producer.flush(DELIVERY_TIMEOUT_MS / 1000)
    if remaining:
        raise LabError(
            f"{remaining:,} of {stats.sent:,} records were not acknowledged by Kafka at {bootstrap_servers}: "
            "is the broker up? (`make cluster-status`)"
        )
    if failures:
        raise LabError(f"{len(failures):,} of {stats.sent:,} records were not acknowledged by Kafka: {failures[0]}")
    return stats.sent


def _produce(producer: Producer, topic: str, record: OutgoingRecord, delivered: object) -> None:
    while True:
        try:
            producer.produce(topic, value=record.value, key=record.key, on_delivery=delivered)
            producer.poll(0)  # serve delivery callbacks as we go
            return
        except BufferError:  # librdkafka's queue is full: let it drain, then retry
            producer.poll(0.05)
        except KafkaException as error:
            raise LabError(f"Kafka refused a record for {topic}: {error}") from error


def _sleep_until(deadline: float) -> float:
    """Sleep until the deadline; returns how late we already were (0 when on time)."""
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)
        return 0.0
    return -delay


def _progress(enabled: bool, topic: str, pace: str) -> Progress:
    return Progress(
        TextColumn(f"producing to [bold]{topic}[/] ({pace})"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )
