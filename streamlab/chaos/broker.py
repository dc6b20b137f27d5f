"""A node down during a chaos run: one node of the embedded 3-broker cluster (BrokerFault), or a worker of an
engine cluster (streamlab.chaos.worker.WorkerFault), killed with SIGKILL, left down until the rest of the
topology has dropped it while the producer writes on, and started again beside the run once the run lets it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

from kafka.errors import KafkaError

from streamlab import cluster, display, kafka_admin
from streamlab.chaos.report import Outage
from streamlab.errors import LabError
from streamlab.producing import ProduceStats

BROKERS = 3  # one node down leaves two replicas of every partition: min.insync.replicas (cluster.py)
# Chaos.wait: (ready, status, what, timeout_s) -> None, polling `ready` with its status shown
Wait = Callable[[Callable[[], bool], Callable[[], str], str, float | None], None]


class Fault(Protocol):
    """A node to take down during a run and bring back: what the run needs of it."""

    @property
    def node(self) -> int | str: ...  # the broker's id, the worker's process name

    @property
    def kind(self) -> str: ...  # "broker", "worker"

    @property
    def label(self) -> str: ...  # "node 2", "flink-taskmanager-1"

    @property
    def dropped_what(self) -> str: ...  # what `dropped` waits for, in words

    def check(self) -> None: ...  # every node it needs runs, or one message naming the fix

    def kill(self) -> None: ...  # SIGKILL, as a crash

    def dropped(self) -> bool: ...  # the rest of the topology has noticed

    def restart(self) -> None: ...  # started again; returns once the topology is whole

    def what_happened(self) -> list[str]: ...  # what the engine (or the cluster) did, from its own REST or logs


@dataclass(frozen=True)
class BrokerFault:
    """A node of the embedded 3-broker cluster to take down during the run."""

    layout: cluster.ClusterLayout
    node: int = 2
    kind: str = "broker"

    @property
    def label(self) -> str:
        return f"node {self.node}"

    @property
    def dropped_what(self) -> str:
        return f"the cluster to drop node {self.node}"

    def check(self) -> None:
        check_cluster(self.layout, self.node)

    def kill(self) -> None:
        cluster.kill_node(self.layout, self.node, progress=display.console.print)

    def dropped(self) -> bool:
        """The cluster no longer lists the node (KRaft fences a broker whose heartbeats stop, after
        broker.session.timeout.ms); asked through the other nodes only: before that, leaders have not moved."""
        others = ",".join(
            f"{self.layout.host}:{self.layout.broker_port(n)}" for n in range(1, BROKERS + 1) if n != self.node
        )
        try:
            return self.node not in kafka_admin.broker_ids(others)
        except (LabError, KafkaError):
            return False

    def restart(self) -> None:
        """`cluster up`: restarts the dead node only, returns once every partition's ISR is full again."""
        cluster.up(self.layout, progress=display.console.print)

    def what_happened(self) -> list[str]:
        return []  # the report's rows say it: dropped, then back in sync


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


class NodeOutage:
    """The fault's outage during one run: taken down, then back beside the run once `let_back` is called."""

    def __init__(self, fault: Fault, stats: ProduceStats, wait: Wait, timeout_s: float) -> None:
        self.fault = fault
        self.stats = stats
        self.wait = wait
        self.timeout_s = timeout_s
        self.outage: Outage | None = None
        self._coming_back: Future[None] | None = None
        self._may_come_back = threading.Event()  # set once the last restart runs (or the node's record is sent)

    @property
    def label(self) -> str:
        return self.fault.label

    def take_down(self) -> None:
        """SIGKILL to the node, then wait until the rest have dropped it: only then has the outage begun for
        the clients (leaders move, tasks fail over; before that, a client that asks the dead node fails)."""
        killed_at, down_at = time.monotonic(), self.stats.sent
        self.fault.kill()
        what = self.fault.dropped_what
        self.wait(self.fault.dropped, lambda: f"waiting for {what}: produced {self.stats.sent:,}", what, self.timeout_s)
        dropped_s = time.monotonic() - killed_at
        executor = ThreadPoolExecutor(1, thread_name_prefix="node-down")
        self._coming_back = executor.submit(self._come_back, killed_at, down_at, dropped_s)
        executor.shutdown(wait=False)  # its one task runs on

    def let_back(self) -> None:
        """The node may come back now (a failed run lets it back too: the cluster is left whole)."""
        self._may_come_back.set()

    def back(self) -> None:
        """Before the verdict: the outage has ended (or its error is raised here)."""
        if self._coming_back is not None:
            with display.console.status(f"waiting for {self.label} to be back ..."):
                self._coming_back.result()
            if self.outage is not None:
                self.outage = replace(self.outage, events=tuple(self.fault.what_happened()))

    def _come_back(self, killed_at: float, down_at: int, dropped_s: float) -> None:
        """Beside the run, once it lets the node come back."""
        self._may_come_back.wait()
        up_at = self.stats.sent
        self.fault.restart()
        down_s = time.monotonic() - killed_at
        self.outage = Outage(self.fault.node, down_at, up_at, dropped_s, down_s, kind=self.fault.kind)
