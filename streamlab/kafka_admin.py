"""Topics, offsets, lag and bounded reads against any Kafka cluster (embedded or not)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError, TopicAlreadyExistsError

from streamlab.errors import LabError

CLIENT_TIMEOUT_MS = 10_000
# how long a client waits for the first broker to answer; kafka-python's default is 30 s
BOOTSTRAP_TIMEOUT_MS = 5_000


@dataclass(frozen=True)
class TopicSpec:
    """A topic a producer or job needs; compacted topics hold upsert tables (latest value per key)."""

    name: str
    partitions: int = 3
    compacted: bool = False

    def configs(self) -> dict[str, str]:
        if not self.compacted:
            return {}
        # small dirty ratio so that a lab run actually sees compaction happen
        return {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"}


@dataclass(frozen=True)
class Record:
    """One Kafka record as read back: raw bytes plus where it came from."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None


def no_broker_message(bootstrap_servers: str) -> str:
    return (
        f"no Kafka broker answers at {bootstrap_servers}: start one with `make cluster-up` "
        "(or `streamlab cluster up`), or point --bootstrap-servers / KAFKA_BOOTSTRAP_SERVERS at yours"
    )


@contextmanager
def admin_client(bootstrap_servers: str) -> Iterator[KafkaAdminClient]:
    try:
        client = KafkaAdminClient(
            bootstrap_servers=bootstrap_servers,
            client_id="streamlab-admin",
            request_timeout_ms=CLIENT_TIMEOUT_MS,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        )
    except (KafkaError, ValueError) as error:
        raise LabError(no_broker_message(bootstrap_servers)) from error
    try:
        yield client
    finally:
        client.close()


def broker_ids(bootstrap_servers: str) -> list[int]:
    with admin_client(bootstrap_servers) as admin:
        return sorted(broker["broker_id"] for broker in admin.describe_cluster()["brokers"])


def ensure_topics(bootstrap_servers: str, specs: list[TopicSpec]) -> list[str]:
    """Create the topics that are missing; returns the names created. Replication follows the cluster size."""
    with admin_client(bootstrap_servers) as admin:
        existing = set(admin.list_topics())
        wanted = [spec for spec in specs if spec.name not in existing]
        if not wanted:
            return []
        replication = min(3, len(admin.describe_cluster()["brokers"]))
        request = {
            spec.name: {"num_partitions": spec.partitions, "replication_factor": replication, "configs": spec.configs()}
            for spec in wanted
        }
        with suppress(TopicAlreadyExistsError):  # created by someone else since we listed: fine
            admin.create_topics(request)
        admin.wait_for_topics([spec.name for spec in wanted], timeout_ms=30_000)
        return [spec.name for spec in wanted]


def describe_topics(bootstrap_servers: str) -> list[dict[str, Any]]:
    """[{name, partitions, replication, compacted}] for the user topics, sorted by name."""
    with admin_client(bootstrap_servers) as admin:
        names = sorted(name for name in admin.list_topics() if not name.startswith("__"))
        if not names:
            return []
        described = admin.describe_topics(names)
        compacted = _compacted_topics(admin, names)
    rows = []
    for topic in sorted(described, key=lambda t: t["name"]):
        partitions = topic["partitions"]
        rows.append(
            {
                "topic": topic["name"],
                "partitions": len(partitions),
                "replication": len(partitions[0]["replica_nodes"]) if partitions else 0,
                "compacted": topic["name"] in compacted,
            }
        )
    return rows


def _compacted_topics(admin: KafkaAdminClient, names: list[str]) -> set[str]:
    from kafka.admin import ConfigResource, ConfigResourceType

    # kafka-python 3 answers {"topic": {name: {config: {"value": ...}}}}
    answer = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
    configs = answer.get("topic", {})
    return {name for name in names if "compact" in (configs.get(name, {}).get("cleanup.policy", {}).get("value") or "")}


def new_consumer(bootstrap_servers: str, **overrides: Any) -> KafkaConsumer:
    try:
        return KafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            enable_auto_commit=False,
            request_timeout_ms=CLIENT_TIMEOUT_MS + 5_000,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
            **overrides,
        )
    except KafkaError as error:
        raise LabError(no_broker_message(bootstrap_servers)) from error


def end_offsets(bootstrap_servers: str, topic: str) -> dict[int, int]:
    """{partition: next offset} now; the sum is the number of records ever written (before compaction)."""
    consumer = new_consumer(bootstrap_servers)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise LabError(f"topic {topic!r} does not exist on {bootstrap_servers}")
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        consumer.close()


def read_topic(
    bootstrap_servers: str, topic: str, read_committed: bool = False, timeout_s: float = 60.0
) -> list[Record]:
    """Every record in the topic up to the end offsets seen at the start: a bounded read."""
    isolation = "read_committed" if read_committed else "read_uncommitted"
    consumer = new_consumer(bootstrap_servers, isolation_level=isolation)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            raise LabError(f"topic {topic!r} does not exist on {bootstrap_servers}")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = consumer.end_offsets(assigned)
        records: list[Record] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in assigned):
            if time.monotonic() > deadline:
                raise LabError(f"reading {topic!r} did not reach its end offsets within {timeout_s:.0f} s")
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(Record(m.topic, m.partition, m.offset, m.timestamp, m.key, m.value) for m in batch)
        return records
    finally:
        consumer.close()


def latest_per_key(records: list[Record]) -> dict[bytes, bytes]:
    """What a compacted topic converges to: the last value per key, tombstones removing the key."""
    view: dict[bytes, bytes] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        if record.key is None:
            continue
        if record.value is None:
            view.pop(record.key, None)
        else:
            view[record.key] = record.value
    return view


def json_rows(values: list[bytes]) -> list[dict[str, Any]]:
    return [json.loads(value) for value in values]


def group_lag(bootstrap_servers: str) -> list[dict[str, Any]]:
    """[{group, topic, partition, committed, end, lag}] for every consumer group with committed offsets."""
    with admin_client(bootstrap_servers) as admin:
        groups = sorted(group[0] if isinstance(group, tuple) else group["group_id"] for group in admin.list_groups())
        committed = {group: admin.list_group_offsets(group) for group in groups}
    if not committed:
        return []
    consumer = new_consumer(bootstrap_servers)
    try:
        all_partitions = {tp for offsets in committed.values() for tp in _as_offsets(offsets)}
        ends = consumer.end_offsets(list(all_partitions)) if all_partitions else {}
    finally:
        consumer.close()
    rows = []
    for group, offsets in committed.items():
        for tp, offset in sorted(_as_offsets(offsets).items()):
            rows.append(
                {
                    "group": group,
                    "topic": tp.topic,
                    "partition": tp.partition,
                    "committed": offset,
                    "end": ends.get(tp, 0),
                    "lag": max(0, ends.get(tp, 0) - offset),
                }
            )
    return rows


def _as_offsets(offsets: Any) -> dict[TopicPartition, int]:
    """list_group_offsets answers {tp: OffsetAndMetadata}, or {group: {tp: ...}} for several groups."""
    if offsets and isinstance(next(iter(offsets)), str):
        offsets = next(iter(offsets.values()))
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str, poll_s: float = 0.25) -> None:
    """Poll a readiness condition; the error names what did not become true."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise LabError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(poll_s)
