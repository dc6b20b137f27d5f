"""`streamlab cluster up|down|status|kill`: the embedded Apache Kafka cluster, and what any cluster holds."""

from __future__ import annotations

import argparse

from streamlab import cluster, display, engine_clusters, kafka_admin, results
from streamlab.cli.common import EMBEDDED, embedded_bootstrap
from streamlab.cli.flags import bootstrap_flag
from streamlab.cliargs import positive_int
from streamlab.dashboard import background
from streamlab.errors import LabError
from streamlab.processes import resident_mib


def add_parser(commands: argparse._SubParsersAction) -> None:
    cluster_cmd = commands.add_parser("cluster", help="the embedded Apache Kafka cluster (KRaft)")
    cluster_actions = cluster_cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = cluster_actions.add_parser(
        "up", help="start broker(s); restarts only the nodes that are down, a no-op when all are up"
    )
    up.add_argument(
        "--brokers",
        type=int,
        choices=(1, 3),
        default=None,
        help="1 broker on 9092, or 3 on 9092-9094 with replication factor 3 (default: the size the "
        "cluster was created with, else 1)",
    )
    up.add_argument(
        "--engines",
        action="store_true",
        help="also a Flink standalone session cluster (1 JobManager, 2 TaskManagers of 1 slot) and a Spark "
        "standalone master with a worker of 2 cores, on loopback (jobs use them with --cluster)",
    )
    down = cluster_actions.add_parser("down", help="stop the brokers, and the Flink and Spark clusters, `up` started")
    down.add_argument("--wipe", action="store_true", help="also delete their data under .run/kafka")
    status = cluster_actions.add_parser(
        "status", help="nodes, brokers, topics with their in-sync replicas, and consumer-group lag"
    )
    kill = cluster_actions.add_parser(
        "kill", help="SIGKILL one embedded node, as a crash would (`cluster up` restarts it)"
    )
    kill.add_argument("--node", type=positive_int, required=True, metavar="N", help="the node id (1-3)")
    for sub in (up, down, status):
        bootstrap_flag(sub)


def cmd_cluster(args: argparse.Namespace) -> None:
    if args.action == "up":
        if args.bootstrap_servers:
            brokers = kafka_admin.broker_ids(args.bootstrap_servers)
            display.console.print(
                f"using the existing cluster at {args.bootstrap_servers} ({len(brokers)} broker(s)); nothing to start"
            )
        else:
            cluster.up(EMBEDDED, args.brokers)
        if args.engines:
            engine_clusters.up(engine_clusters.engine_layout(EMBEDDED))
    elif args.action == "down":
        # the dashboard a demo started goes first, while its clients still have a broker to say goodbye to
        if (pid := background.stop(EMBEDDED.run_dir)) is not None:
            display.console.print(f"stopped the dashboard (pid {pid})")
        engine_clusters.down(engine_clusters.engine_layout(EMBEDDED))  # their jobs' clients first
        cluster.down(EMBEDDED, wipe=args.wipe)
    elif args.action == "kill":
        cluster.kill_node(EMBEDDED, args.node)
    else:
        cluster_status(args.bootstrap_servers or embedded_bootstrap())


def _show_nodes(embedded: list[cluster.NodeState], live_ids: list[int]) -> None:
    """Per embedded node: its process runs, and the cluster lists it as a broker (it has rejoined)."""
    if embedded:
        gone = [str(n.node_id) for n in embedded if not n.alive and n.node_id in live_ids]
        display.show(
            [{"node": n.node_id, "port": n.port, "pid": n.pid or "", "running": n.alive,
              "in cluster": n.node_id in live_ids, "RSS MiB": resident_mib(n.pid) if n.alive else 0}
             for n in embedded],
            title=f"embedded brokers ({results.display_path(EMBEDDED.home)})",
            # a crashed broker stays registered until its session times out (broker.session.timeout.ms)
            caption=f"node {', '.join(gone)}: process gone, the cluster drops it within about 10 s" if gone else "",
        )  # fmt: skip


def cluster_status(bootstrap: str) -> None:
    engines = engine_clusters.status(engine_clusters.engine_layout(EMBEDDED))
    if engines:
        display.show(engines, title="Flink and Spark clusters (`cluster up --engines`)")
    embedded = cluster.nodes(EMBEDDED)
    try:
        live_ids = kafka_admin.broker_ids(bootstrap)
    except LabError:
        _show_nodes(embedded, [])  # which nodes are down, even when no broker answers
        raise
    _show_nodes(embedded, live_ids)
    display.console.print(f"cluster at {bootstrap}: brokers {live_ids}")
    resident = sum(resident_mib(n.pid) for n in embedded if n.alive) + sum(int(row["RSS MiB"]) for row in engines)
    if resident:
        display.console.print(f"resident memory of the lab's brokers and engine processes: {resident:,} MiB")
    _show_topics(bootstrap)
    lag = kafka_admin.group_lag(bootstrap)
    display.show(
        lag,
        title="consumer-group lag",
        columns=["group", "topic", "partition", "committed", "end", "lag"],
        caption="Spark keeps its offsets in its checkpoint, not in a group; Flink commits on checkpoints",
    )


def _show_topics(bootstrap: str) -> None:
    """The user topics, each with its partitions' in-sync replicas: '3/3', or which partitions lag
    (a broker down, or one that has come back and is still catching up)."""
    partitions = kafka_admin.partition_replicas(bootstrap)
    in_sync = kafka_admin.in_sync_by_topic(partitions)
    topics = [{**row, "in-sync": in_sync.get(row["topic"], "")} for row in kafka_admin.describe_topics(bootstrap)]
    lagging = sorted({p.topic for p in partitions if p.topic.startswith("__") and p.under_replicated})
    internal = f"under-replicated internal topics: {', '.join(lagging)}" if lagging else "internal topics in sync"
    display.show(
        topics,
        title="topics",
        columns=["topic", "partitions", "replication", "compacted", "in-sync"],
        caption=f"in-sync: replicas in sync / replicas of each partition; {internal}",
    )
