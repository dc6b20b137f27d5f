"""The dashboard's one consumer: it follows streaming-metrics and streaming-alerts into the in-memory state,
starting about HISTORY_S back (the broker's time index: offsets_for_times) so the plots open with a past.

A topic that does not exist yet (no job has reported, no alerter has run) is looked for again every few
seconds; a broker that goes away is retried by the client itself, and its complaint is shown on the page."""

from __future__ import annotations

import threading
import time
from typing import Any

from streamlab.dashboard.state import DashboardState
from streamlab.monitoring.alerts import ALERTS_TOPIC, Alert
from streamlab.monitoring.envelope import Envelope
from streamlab.monitoring.publish import METRICS_TOPIC

LOOK_AGAIN_S = 5.0  # how often a topic still missing is looked for
CLIENT_TIMEOUT_S = 10.0


class TopicFollower(threading.Thread):
    def __init__(self, bootstrap_servers: str, state: DashboardState) -> None:
        super().__init__(name="dashboard-follower", daemon=True)
        self.bootstrap_servers = bootstrap_servers
        self.state = state
        self._stopping = threading.Event()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        self.join(timeout_s)

    def run(self) -> None:
        from confluent_kafka import Consumer

        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap_servers,
                "group.id": "streamlab-dashboard",  # required by the client; nothing is committed
                "enable.auto.commit": False,
                "error_cb": self._complain,
                "log_level": 0,  # its complaints go to error_cb, and from there to the page, not to stderr
            }
        )
        missing, next_look = {METRICS_TOPIC, ALERTS_TOPIC}, 0.0
        try:
            while not self._stopping.is_set():
                if missing and time.monotonic() >= next_look:
                    missing -= self._assign(consumer, missing)
                    next_look = time.monotonic() + LOOK_AGAIN_S
                for message in consumer.consume(num_messages=500, timeout=0.5):
                    if not message.error() and message.value():
                        self._take(message.topic(), message.value())
        finally:
            consumer.close()

    def _assign(self, consumer: Any, topics: set[str]) -> set[str]:
        """Adds the topics of these that exist to the consumer, each from about HISTORY_S ago; returns them."""
        from confluent_kafka import OFFSET_END, KafkaException
        from confluent_kafka import TopicPartition as Partition

        since_ms = int((time.time() - self.state.history_s) * 1000)
        try:
            listed = consumer.list_topics(timeout=CLIENT_TIMEOUT_S).topics
            present = [listed[topic] for topic in topics if topic in listed and listed[topic].error is None]
            wanted = [Partition(found.topic, number, since_ms) for found in present for number in found.partitions]
            if not wanted:
                return set()
            found = consumer.offsets_for_times(wanted, timeout=CLIENT_TIMEOUT_S)
        except KafkaException as error:  # the broker away: look again later
            self._complain(error.args[0] if error.args else error)
            return set()
        # -1: nothing that recent in the partition; follow it from its end
        consumer.incremental_assign([Partition(p.topic, p.partition, p.offset if p.offset >= 0 else OFFSET_END)
                                     for p in found])  # fmt: skip
        self.state.kafka_error = ""
        return {partition.topic for partition in found}

    def _take(self, topic: str, value: bytes) -> None:
        try:
            if topic == METRICS_TOPIC:
                self.state.add_envelope(Envelope.from_json(value))
            else:
                self.state.add_alert(Alert.from_json(value))
        except (ValueError, TypeError, AttributeError):  # not a report of this lab's (another writer): skipped
            pass

    def _complain(self, error: Any) -> None:
        """librdkafka's KafkaError (its str() is the readable text), or anything else that says what failed."""
        text = error.str() if hasattr(error, "str") else str(error)
        self.state.kafka_error = f"Kafka at {self.bootstrap_servers}: {text}"
