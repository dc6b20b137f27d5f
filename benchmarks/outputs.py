"""Was a benchmark run right? Its output, read back with librdkafka (a million upserts in seconds,
where kafka-python would take longer than the engine did), against what the generator sent."""

from __future__ import annotations

import json
import time

import pandas as pd
from confluent_kafka import Consumer, TopicPartition

from benchmarks.events import INTENTS
from streamlab import kafka_admin
from streamlab.compare import Rows, compare_rows
from streamlab.results import UPSERT_TOPIC, ResultSpec

READ_TIMEOUT_S = 120


def topic_records(bootstrap: str, topics: list[str]) -> int:
    """Records ever written to the topics (sum of end offsets): what a run wrote, without reading it."""
    return sum(sum(kafka_admin.end_offsets(bootstrap, topic).values()) for topic in topics)


def latest_values(bootstrap: str, topic: str) -> dict[bytes, bytes]:
    """The newest value per key over the whole topic (tombstones remove the key)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"streamlab-bench-check-{time.time_ns()}",
                         "enable.auto.commit": False, "log_level": 3})  # fmt: skip
    try:
        ends = kafka_admin.end_offsets(bootstrap, topic)
        consumer.assign([TopicPartition(topic, partition, 0) for partition in ends])
        left = {partition: end for partition, end in ends.items() if end > 0}
        latest: dict[bytes, bytes] = {}
        deadline = time.monotonic() + READ_TIMEOUT_S
        while left and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=10_000, timeout=0.5):
                if message.error():
                    continue
                if message.value() is None:
                    latest.pop(message.key(), None)
                else:
                    latest[message.key()] = message.value()
                if message.offset() + 1 >= left.get(message.partition(), 0):
                    left.pop(message.partition(), None)
        return latest
    finally:
        consumer.close()


def check_counts(bootstrap: str, topic: str, expected: dict) -> str:
    """behavior-stats: the final count of every (category, behavior) equals the events sent; '' if so."""
    found = {}
    for value in latest_values(bootstrap, topic).values():
        row = json.loads(value)
        found[f"{row['category']}|{row['behavior']}"] = row["behavior_count"]
    return differences(found, expected["counts"], "counts")


COUNTS = ResultSpec(UPSERT_TOPIC, ("key",), ("count",), count_column="count")  # a count per key, as the checks read


def differences(found: dict, expected: dict, what: str) -> str:
    """'' when every expected key has its count and nothing else was found; else the comparison in
    streamlab.compare's words (a lower count is missing records, a higher one wrong), with an example."""
    rows = compare_rows(_counts(found), _counts(expected), COUNTS)
    if rows.agrees:
        return ""
    first = rows.differences.iloc[0]
    return f"{what}: {rows.words()}; e.g. {first['key']}: {first['count_engine']} for {first['count_oracle']}"


def _counts(counts: dict) -> pd.DataFrame:
    return pd.DataFrame({"key": list(counts), "count": list(counts.values())})


def check_intents(bootstrap: str, topic: str, expected: dict) -> str:
    """passthrough: one output record per add_to_cart or purchase event sent (at least once: never fewer).
    Counted by offsets, not read: a million records would take longer to read than the engine took."""
    written, wanted = topic_records(bootstrap, [topic]), expected["intents"]
    if written >= wanted:
        return ""
    rows = Rows(expected=wanted, correct=written, missing=wanted - written)
    return f"{' or '.join(INTENTS)} records: {rows.words()}"


def check_windows(bootstrap: str, topic: str, expected: dict) -> str:
    """windowed-messages: the final count of every 1-minute window equals the messages sent in it."""
    found = {}
    for value in latest_values(bootstrap, topic).values():
        row = json.loads(value)
        found[row["window_start"]] = row["message_count"]
    return differences(found, expected["windows"], "windows")


CHECKS = {"behavior-stats": check_counts, "passthrough": check_intents, "windowed-messages": check_windows}
