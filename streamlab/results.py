"""Reading engine output back: a compacted topic as a table, followed live or read once."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from kafka import TopicPartition

from streamlab import kafka_admin
from streamlab.errors import LabError


class CompactedView:
    """The latest JSON value per key of an upsert topic, kept up to date by refresh().

    Reads every partition from the beginning, so it sees what a compacted topic converges to
    whether or not the log cleaner has run yet; a null value (tombstone) removes its key.
    """

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self._consumer = kafka_admin.new_consumer(bootstrap_servers)
        partitions = self._consumer.partitions_for_topic(topic)
        if not partitions:
            self._consumer.close()
            raise LabError(f"topic {topic!r} does not exist on {bootstrap_servers}")
        self._partitions = [TopicPartition(topic, p) for p in sorted(partitions)]
        self._consumer.assign(self._partitions)
        self._consumer.seek_to_beginning(*self._partitions)
        self._latest: dict[bytes, dict[str, Any]] = {}
        self.records_read = 0

    def refresh(self, max_wait_ms: int = 200) -> bool:
        """Read what has arrived (up to the current end offsets); True if anything changed."""
        ends = self._consumer.end_offsets(self._partitions)
        changed = False
        while any(self._consumer.position(tp) < ends[tp] for tp in self._partitions):
            batches = self._consumer.poll(timeout_ms=max_wait_ms)
            if not batches:
                break
            for batch in batches.values():
                for message in batch:
                    self._apply(message.key, message.value)
                    changed = True
        return changed

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        self.records_read += 1
        if key is None:
            return
        if value is None:
            self._latest.pop(key, None)
        else:
            self._latest[key] = json.loads(value)

    def frame(self, sort_by: list[str] | None = None) -> pd.DataFrame:
        frame = pd.DataFrame(list(self._latest.values()))
        if sort_by and not frame.empty:
            frame = frame.sort_values(sort_by, ignore_index=True)
        return frame

    def close(self) -> None:
        self._consumer.close()


def read_compacted(bootstrap_servers: str, topic: str, sort_by: list[str] | None = None) -> pd.DataFrame:
    """The compacted view of a topic, read once up to its current end."""
    view = CompactedView(bootstrap_servers, topic)
    try:
        view.refresh(max_wait_ms=1000)
        return view.frame(sort_by)
    finally:
        view.close()


def topic_size(bootstrap_servers: str, topic: str) -> int:
    """Records ever appended to a topic (the sum of its end offsets); 0 if it does not exist."""
    try:
        return sum(kafka_admin.end_offsets(bootstrap_servers, topic).values())
    except LabError:
        return 0
