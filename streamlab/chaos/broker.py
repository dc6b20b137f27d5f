"""A broker down: one node of the embedded 3-broker cluster killed with SIGKILL during a chaos run, left
down until the others have dropped it while the producer (acks=all) writes on, and started again with
`cluster up` beside the run once the run lets it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from kafka.errors import KafkaError

from streamlab import cluster, display, kafka_admin
from streamlab.chaos.report import Outage
from streamlab.errors import LabError
from streamlab.producing import ProduceStats

BROKERS = 3  # one node down leaves two replicas of every partition: min.insync.replicas (cluster.py)
# Chaos.wait: (ready, status, what, timeout_s) -> None, polling `ready` with its status shown
Wait = Callable[[Callable[[], bool], Callable[[], str], str, float | None], None]


@dataclass(frozen=True)
class BrokerFault:
    """A node of the embedded 3-broker cluster to take down during the run (check_cluster first)."""

    layout: cluster.ClusterLayout
    node: int = 2


def check_cluster(layout: cluster.ClusterLayout, node: int) -> None:
    """A broker down takes a node of the embedded cluster: three of them, all running, or one message why not."""
    states = cluster.nodes(layout)
    running = [state.node_id for state in states if state.alive]
    if len(states) != BROKERS or len(running) != BROKERS:
        raise LabError(
            f"a broker down kills one node of the embedded {BROKERS}-broker cluster, which has "
            f"{len(states)} node(s), running: {running or 'none'}: start it with `streamlab cluster up --brokers 3` "
            "(make cluster-up BROKERS=3)"
        )
    if node not in running:
        raise LabError(f"the node to kill must be one of the cluster's nodes {running}, not {node}")


class BrokerOutage:
    """The node's outage during one run: taken down, then back beside the run once `let_back` is called."""

    def __init__(self, fault: BrokerFault, stats: ProduceStats, wait: Wait, timeout_s: float) -> None:
        self.fault = fault
        self.stats = stats
        self.wait = wait
        self.timeout_s = timeout_s
        self.outage: Outage | None = None
        self._coming_back: Future[None] | None = None
        self._may_come_back = threading.Event()  # set once the last restart runs (or the node's record is sent)

    @property
    def node(self) -> int:
        return self.fault.node

    def take_down(self) -> None:
        """SIGKILL to the node, then wait until the others have dropped it: only then has the outage begun for
        the clients (leaders move; before that, a client that asks the dead node fails)."""
        killed_at, down_at = time.monotonic(), self.stats.sent
        cluster.kill_node(self.fault.layout, self.node, progress=display.console.print)
        self._wait_until_dropped()
        dropped_s = time.monotonic() - killed_at
        executor = ThreadPoolExecutor(1, thread_name_prefix="broker-down")
        self._coming_back = executor.submit(self._come_back, killed_at, down_at, dropped_s)
        executor.shutdown(wait=False)  # its one task runs on

    def let_back(self) -> None:
        """The node may come back now (a failed run lets it back too: the cluster is left whole)."""
        self._may_come_back.set()

    def back(self) -> None:
        """Before the verdict: the outage has ended (or its error is raised here)."""
        if self._coming_back is not None:
            with display.console.status(f"waiting for node {self.node} to be back in sync ..."):
                self._coming_back.result()

    def _come_back(self, killed_at: float, down_at: int, dropped_s: float) -> None:
        """Beside the run, once it lets the node come back: `cluster up`, which restarts the dead node only
        and returns once every partition's ISR is full again."""
        self._may_come_back.wait()
        up_at = self.stats.sent
        cluster.up(self.fault.layout, progress=display.console.print)
        self.outage = Outage(self.node, down_at, up_at, dropped_s, time.monotonic() - killed_at)

    def _wait_until_dropped(self) -> None:
        """Until the cluster no longer lists the node (KRaft fences a broker whose heartbeats stop, after
        broker.session.timeout.ms). Asked through the other nodes only."""
        layout, node = self.fault.layout, self.node
        others = ",".join(f"{layout.host}:{layout.broker_port(n)}" for n in range(1, BROKERS + 1) if n != node)

        def dropped() -> bool:
            try:
                return node not in kafka_admin.broker_ids(others)
            except (LabError, KafkaError):
                return False

        what = f"the cluster to drop node {node}"
        self.wait(dropped, lambda: f"waiting for {what}: produced {self.stats.sent:,}", what, self.timeout_s)
