"""Topics, offsets, lag and bounded reads against any Kafka cluster (embedded or not)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, NodeNotReadyError, TopicAlreadyExistsError

from streamlab.errors import LabError

CLIENT_TIMEOUT_MS = 10_000
# how long a client waits for the first broker to answer before NoBrokersAvailable
BOOTSTRAP_TIMEOUT_MS = 5_000
# how old a consumer's view of partition leaders may grow. kafka-python's end_offsets retries a
# NOT_LEADER answer without refreshing that view, so a leader that moved (a node rejoined, then the
# controller's preferred-leader election moved its partitions back) made every retry ask the old
# leader until the 15 s timeout: CI's exactly-once chaos failure of 2026-12-06, reproduced by
# test_cluster.py's killed-node test. Its default is 5 minutes.
METADATA_MAX_AGE_MS = 1_000


@dataclass(frozen=True)
class TopicSpec:
    """A topic a producer or job needs; compacted topics hold upsert tables (latest value per key)."""

    name: str
    partitions: int = 3
    compacted: bool = False
    log_append_time: bool = False  # the broker stamps each record with the time it appended it

    def configs(self) -> dict[str, str]:
        configs = {"message.timestamp.type": "LogAppendTime"} if self.log_append_time else {}
        if self.compacted:
            # small dirty ratio so that a lab run actually sees compaction happen
            configs.update({"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"})
        return configs


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
    client = _new_admin(bootstrap_servers)
    try:
        yield client
    finally:
        client.close()


# A broker that has just died stays registered until its session times out (broker.session.timeout.ms,
# 9 s), and a KRaft cluster names any registered broker as the "controller" an admin client first
# connects to: while it names the dead one, the client fails with NodeNotReadyError. Ask again.
DEAD_CONTROLLER_WAIT_S = 20.0


def _new_admin(bootstrap_servers: str) -> KafkaAdminClient:
    deadline = time.monotonic() + DEAD_CONTROLLER_WAIT_S
    while True:
        try:
            return KafkaAdminClient(
                bootstrap_servers=bootstrap_servers,
                client_id="streamlab-admin",
                request_timeout_ms=CLIENT_TIMEOUT_MS,
                api_version_auto_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
            )
        except NodeNotReadyError as error:
            if time.monotonic() > deadline:
                raise LabError(
                    f"the Kafka cluster at {bootstrap_servers} answers, but not the broker it names as its "
                    f"controller ({error}): is a broker down? (`streamlab cluster status`, `streamlab cluster up`)"
                ) from error
            time.sleep(0.5)
        except (KafkaError, ValueError) as error:
            raise LabError(no_broker_message(bootstrap_servers)) from error


def broker_ids(bootstrap_servers: str) -> list[int]:
    with admin_client(bootstrap_servers) as admin:
        return sorted(broker["node_id"] for broker in admin.describe_cluster()["brokers"])


def ensure_topics(bootstrap_servers: str, specs: list[TopicSpec]) -> list[str]:
    """Create the topics that are missing; returns the names this call created (one request per topic: a
    topic someone else creates meanwhile is theirs, not counted). Replication follows the cluster size."""
    with admin_client(bootstrap_servers) as admin:
        existing = set(admin.list_topics())
        wanted = [spec for spec in specs if spec.name not in existing]
        if not wanted:
            return []
        replication = min(3, len(admin.describe_cluster()["brokers"]))
        created = []
        for spec in wanted:
            try:
                new = NewTopic(spec.name, spec.partitions, replication, topic_configs=spec.configs())
                admin.create_topics([new], timeout_ms=CLIENT_TIMEOUT_MS)
            except TopicAlreadyExistsError:  # created by someone else since we listed: theirs
                continue
            created.append(spec.name)
        names = [spec.name for spec in wanted]
        # "created" is not "usable": wait until every partition has a leader
        wait_until(lambda: _have_leaders(admin, names), 30, f"leaders for {', '.join(names)}")
        return created


def delete_topics(bootstrap_servers: str, names: list[str]) -> list[str]:
    """Delete the topics that exist; returns their names once the cluster no longer lists them."""
    with admin_client(bootstrap_servers) as admin:
        doomed = sorted(set(names) & set(admin.list_topics()))
        if doomed:
            admin.delete_topics(doomed, timeout_ms=CLIENT_TIMEOUT_MS)
            wait_until(lambda: not set(doomed) & set(admin.list_topics()), 30, f"deletion of {', '.join(doomed)}")
    return doomed


def topic_ids(bootstrap_servers: str, names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """(the cluster's id, {topic: topic id} for those of the topics that exist). Ids come from
    confluent-kafka's admin client: kafka-python's metadata leaves them out."""
    from confluent_kafka import KafkaError as KafkaErrorCode
    from confluent_kafka import KafkaException, TopicCollection
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})  # its errors come back as exceptions
    try:
        cluster_id = admin.describe_cluster(request_timeout=CLIENT_TIMEOUT_MS / 1000).result().cluster_id
    except KafkaException as error:
        raise LabError(no_broker_message(bootstrap_servers)) from error
    ids = {}
    if names:
        described = admin.describe_topics(TopicCollection(list(names)), request_timeout=CLIENT_TIMEOUT_MS / 1000)
        for name, future in described.items():
            try:
                ids[name] = str(future.result().topic_id)
            except KafkaException as error:
                if error.args[0].code() != KafkaErrorCode.UNKNOWN_TOPIC_OR_PART:
                    raise
    return cluster_id, ids


def _have_leaders(admin: KafkaAdminClient, names: list[str]) -> bool:
    described = admin.describe_topics(names)
    return len(described) == len(names) and all(
        topic["error_code"] == 0 and topic["partitions"] and all(p["leader"] >= 0 for p in topic["partitions"])
        for topic in described
    )


def describe_topics(bootstrap_servers: str) -> list[dict[str, Any]]:
    """[{topic, partitions, replication, compacted}] for the user topics, sorted by name."""
    with admin_client(bootstrap_servers) as admin:
        names = sorted(name for name in admin.list_topics() if not name.startswith("__"))
        if not names:
            return []
        described = admin.describe_topics(names)
        compacted = _compacted_topics(admin, names)
    rows = []
    for topic in sorted(described, key=lambda t: t["topic"]):
        partitions = topic["partitions"]
        rows.append(
            {
                "topic": topic["topic"],
                "partitions": len(partitions),
                "replication": len(partitions[0]["replicas"]) if partitions else 0,
                "compacted": topic["topic"] in compacted,
            }
        )
    return rows


def _compacted_topics(admin: KafkaAdminClient, names: list[str]) -> set[str]:
    """Topics whose cleanup.policy includes compact, from DescribeConfigs responses."""
    found = set()
    for response in admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in names]):
        # each resource: (error_code, error_message, resource_type, resource_name, config_entries)
        for _, _, _, name, entries in response.resources:
            # each entry starts with (config_name, config_value, ...)
            if any(entry[0] == "cleanup.policy" and "compact" in (entry[1] or "") for entry in entries):
                found.add(name)
    return found


def new_consumer(bootstrap_servers: str, **overrides: Any) -> KafkaConsumer:
    try:
        return KafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            enable_auto_commit=False,
            request_timeout_ms=CLIENT_TIMEOUT_MS + 5_000,
            api_version_auto_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            **overrides,
        )
    except KafkaError as error:
        raise LabError(no_broker_message(bootstrap_servers)) from error


def end_offsets(bootstrap_servers: str, topic: str, read_committed: bool = False) -> dict[int, int]:
    """{partition: next offset} now; the sum is the number of records ever written (before compaction), plus
    one offset per transaction marker of a transactional writer. read_committed: up to the last stable
    offset instead, the end a read_committed reader can reach (an open transaction's records lie beyond)."""
    isolation = "read_committed" if read_committed else "read_uncommitted"
    consumer = new_consumer(bootstrap_servers, isolation_level=isolation)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise LabError(f"topic {topic!r} does not exist on {bootstrap_servers}")
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        consumer.close()


def read_topic(
    bootstrap_servers: str,
    topic: str,
    read_committed: bool = True,
    timeout_s: float | None = None,
    since_ms: int | None = None,
) -> list[Record]:
    """Every record in the topic up to the end offsets seen at the start: a bounded read. since_ms: only
    those stamped at or after that time (epoch ms), found by the broker's time index.

    read_committed by default: what an exactly-once Flink sink wrote counts once its transaction is
    committed, and records of aborted transactions (a killed run's) are left out; a topic no transaction
    wrote reads the same either way. The end is then the last stable offset, so an open transaction (a
    killed job's, until its restart aborts it) stops the read there instead of making it wait.

    Bulk reads go through confluent-kafka (librdkafka): an oracle over millions of records
    would spend minutes in kafka-python. The default timeout grows with the topic's size.
    """
    from confluent_kafka import OFFSET_BEGINNING, Consumer
    from confluent_kafka import KafkaError as KafkaErrorCode
    from confluent_kafka import TopicPartition as Partition

    ends = end_offsets(bootstrap_servers, topic, read_committed)  # also the "no such topic" / "no broker" errors
    remaining = {p: end for p, end in ends.items() if end > 0}
    if not remaining:
        return []  # an empty topic (offsets_for_times refuses an empty list of partitions)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": "streamlab-reader",  # required by the client; nothing is committed
            "enable.auto.commit": False,
            "isolation.level": "read_committed" if read_committed else "read_uncommitted",
        }
    )
    deadline = time.monotonic() + (timeout_s or 60 + sum(ends.values()) / 20_000)
    records: list[Record] = []
    try:
        starts = [Partition(topic, p, OFFSET_BEGINNING if since_ms is None else since_ms) for p in remaining]
        if since_ms is not None:  # -1 where nothing is that recent: the end, nothing to read there
            found = consumer.offsets_for_times(starts, timeout=CLIENT_TIMEOUT_MS / 1000)
            starts = [Partition(topic, t.partition, t.offset if t.offset >= 0 else ends[t.partition]) for t in found]
            remaining = {t.partition: ends[t.partition] for t in starts if t.offset < ends[t.partition]}
        consumer.assign(starts)
        while remaining:
            if time.monotonic() > deadline:
                raise LabError(f"reading {topic!r} did not reach its end offsets in time")
            for message in consumer.consume(num_messages=10_000, timeout=0.5):
                if message.error():
                    if message.error().code() == KafkaErrorCode._PARTITION_EOF:
                        continue
                    raise LabError(f"reading {topic!r} failed: {message.error().str()}")
                if message.offset() >= ends[message.partition()]:
                    continue  # a record written after we started
                records.append(
                    Record(topic, message.partition(), message.offset(), message.timestamp()[1], message.key(),
                           message.value())
                )  # fmt: skip
            # positions, not the last offset seen: transaction markers take offsets but are never delivered
            for position in consumer.position([Partition(topic, p) for p in remaining]):
                if position.offset >= remaining[position.partition]:
                    del remaining[position.partition]
        return records
    finally:
        consumer.close()


_timestamp_admins: dict[str, Any] = {}  # newest_timestamp's confluent AdminClient per cluster


def newest_timestamp(bootstrap_servers: str, topic: str) -> float | None:
    """The largest record timestamp in a topic (epoch s), None while it is empty: one ListOffsets request per
    partition for the max timestamp (KIP-734), nothing read."""
    from confluent_kafka import TopicPartition as Partition
    from confluent_kafka.admin import AdminClient, OffsetSpec

    partitions = end_offsets(bootstrap_servers, topic)  # also the "no such topic" / "no broker" errors
    if bootstrap_servers not in _timestamp_admins:  # asked each second per job by the dashboard: one client
        _timestamp_admins[bootstrap_servers] = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 3})
    admin = _timestamp_admins[bootstrap_servers]
    asked = {Partition(topic, partition): OffsetSpec.max_timestamp() for partition in partitions}
    stamps = [
        future.result().timestamp
        for future in admin.list_offsets(asked, request_timeout=CLIENT_TIMEOUT_MS / 1000).values()
    ]
    return max((stamp / 1000 for stamp in stamps if stamp >= 0), default=None)


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


def group_lag(bootstrap_servers: str) -> list[dict[str, Any]]:
    """[{group, topic, partition, committed, end, lag}] for every consumer group with committed offsets."""
    with admin_client(bootstrap_servers) as admin:
        groups = sorted(group_id for group_id, _protocol in admin.list_consumer_groups())
        committed = {
            group: {
                tp: meta.offset for tp, meta in admin.list_consumer_group_offsets(group).items() if meta.offset >= 0
            }
            for group in groups
        }
    partitions = {tp for offsets in committed.values() for tp in offsets}
    if not partitions:
        return []
    consumer = new_consumer(bootstrap_servers)
    try:
        ends = consumer.end_offsets(list(partitions))
    finally:
        consumer.close()
    return [
        {"group": group, "topic": tp.topic, "partition": tp.partition, "committed": offset,
         "end": ends.get(tp, 0), "lag": max(0, ends.get(tp, 0) - offset)}
        for group, offsets in committed.items()
        for tp, offset in sorted(offsets.items())
    ]  # fmt: skip


def committed_lag(bootstrap_servers: str, group: str, topics: tuple[str, ...]) -> int | None:
    """Records in `topics` beyond what `group` has committed; None until it has committed every partition."""
    with admin_client(bootstrap_servers) as admin:
        try:
            committed = {tp: meta.offset for tp, meta in admin.list_consumer_group_offsets(group).items()}
        except KafkaError as error:
            if not error.retriable:
                raise
            # e.g. COORDINATOR_NOT_AVAILABLE on a new broker while __consumer_offsets is being created: not known yet
            return None
    consumer = new_consumer(bootstrap_servers)
    try:
        wanted = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = consumer.end_offsets(wanted)
    except KafkaTimeoutError:
        # a partition's leader is moving (a broker that has just come back takes its partitions back): not known yet
        return None
    finally:
        consumer.close()
    lag = 0
    for tp in wanted:
        offset = committed.get(tp, -1)
        if offset < 0:  # never committed: nothing to read if the partition is empty, unknown otherwise
            if ends[tp] > 0:
                return None
            continue
        lag += max(0, ends[tp] - offset)
    return lag


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str, poll_s: float = 0.25) -> None:
    """Poll a readiness condition; the error names what did not become true."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise LabError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(poll_s)


@dataclass(frozen=True, order=True)
class PartitionReplicas:
    """One partition's replica set as the cluster reports it: who leads, who holds it, who is in sync."""

    topic: str
    partition: int
    leader: int  # -1 while no replica can lead
    replicas: tuple[int, ...]
    isr: tuple[int, ...]

    @property
    def under_replicated(self) -> bool:
        return len(self.isr) < len(self.replicas)

    @property
    def in_sync(self) -> str:
        """'3/3' when every replica is in sync, else e.g. '2/3 under-replicated'."""
        figure = f"{len(self.isr)}/{len(self.replicas)}"
        return f"{figure} under-replicated" if self.under_replicated else figure


def partition_replicas(bootstrap_servers: str, internal: bool = True) -> list[PartitionReplicas]:
    """Every partition's leader, replicas and in-sync replicas, by topic and partition; `internal`
    includes the broker's own topics (__consumer_offsets, ...), which a rejoining broker must catch up too."""
    with admin_client(bootstrap_servers) as admin:
        described = admin.describe_topics()  # one metadata request for every topic
    return sorted(
        PartitionReplicas(
            topic["topic"], p["partition"], p["leader"], tuple(sorted(p["replicas"])), tuple(sorted(p["isr"]))
        )
        for topic in described
        if topic["error_code"] == 0 and (internal or not topic["topic"].startswith("__"))
        for p in topic["partitions"]
    )


def in_sync_by_topic(partitions: list[PartitionReplicas]) -> dict[str, str]:
    """{topic: '3/3'} when every partition's ISR is full, else the partitions that lag, e.g.
    'under-replicated: p0 2/3, p2 2/3': what `cluster status` shows per topic."""
    by_topic: dict[str, list[PartitionReplicas]] = {}
    for partition in partitions:
        by_topic.setdefault(partition.topic, []).append(partition)
    summary = {}
    for topic, members in by_topic.items():
        lagging = [p for p in members if p.under_replicated]
        if lagging:
            summary[topic] = "under-replicated: " + ", ".join(
                f"p{p.partition} {len(p.isr)}/{len(p.replicas)}" for p in lagging
            )
        else:
            summary[topic] = ", ".join(sorted({f"{len(p.isr)}/{len(p.replicas)}" for p in members}))
    return summary


def fully_replicated(bootstrap_servers: str, brokers: int) -> bool:
    """True once `brokers` brokers are registered and no partition (internal ones included) lacks an
    in-sync replica: a restarted broker has rejoined and caught up."""
    try:
        if len(broker_ids(bootstrap_servers)) != brokers:
            return False
        return not any(p.under_replicated or p.leader < 0 for p in partition_replicas(bootstrap_servers))
    except (LabError, KafkaError):
        return False
