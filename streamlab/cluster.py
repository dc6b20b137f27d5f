"""The embedded Apache Kafka cluster: real broker processes (KRaft combined mode) from jars/kafka/lib.

Node i (0-based) listens for clients on base_port + i and for the controller quorum on
base_port + 100 + i. Everything a node writes (config, data, server.log, pid) lives under
<run_dir>/kafka/node-<id>/, so `down` stops exactly what `up` started and nothing else, and `up`
on a cluster with nodes down restarts only those (same id, ports, data and cluster id).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from streamlab import jars, kafka_admin, ownership, sqlfiles
from streamlab.errors import LabError
from streamlab.paths import COMPOSE_DIR, RUN_DIR

CONFIG_TEMPLATE = COMPOSE_DIR / "kafka" / "server.properties.template"
LOG4J_CONFIG = COMPOSE_DIR / "kafka" / "log4j2.properties"
CONTROLLER_PORT_OFFSET = 100
READY_TIMEOUT_S = 90.0
# a restarted node replays its log, then every replica it holds catches up with the leaders
REJOIN_TIMEOUT_S = 180.0
BIND_ATTEMPTS = 3  # a restarted node whose port was taken in the meantime starts again (see _bind_failed)
# how long a dead node's port may stay taken before `up` says so (see _bind_failed): librdkafka keeps
# a socket that connected to itself until its request times out (socket.timeout.ms, 60 s)
PORT_FREE_WAIT_S = 65.0
STOP_TIMEOUT_S = 30.0
BROKER_HEAP = "-Xmx1g"


@dataclass(frozen=True)
class ClusterLayout:
    """Where a cluster lives; tests use their own ports and folder so they never touch the user's."""

    run_dir: Path = RUN_DIR
    host: str = "localhost"
    base_port: int = 9092

    @property
    def home(self) -> Path:
        return self.run_dir / "kafka"

    @property
    def state_file(self) -> Path:
        return self.home / "cluster.json"

    def node_dir(self, node_id: int) -> Path:
        return self.home / f"node-{node_id}"

    def broker_port(self, node_id: int) -> int:
        return self.base_port + node_id - 1

    def controller_port(self, node_id: int) -> int:
        return self.broker_port(node_id) + CONTROLLER_PORT_OFFSET

    def bootstrap_servers(self, brokers: int) -> str:
        return ",".join(f"{self.host}:{self.broker_port(n)}" for n in range(1, brokers + 1))


@dataclass(frozen=True)
class NodeState:
    node_id: int
    port: int
    pid: int | None
    alive: bool


CLUSTER_DIR_ENV = "STREAMLAB_CLUSTER_DIR"  # the folder of another embedded cluster than .run's (a test's own)


def embedded_layout() -> ClusterLayout:
    """The embedded cluster the commands manage: the one in .run, or the one in $STREAMLAB_CLUSTER_DIR on the
    ports it was created with (its cluster.json)."""
    folder = os.environ.get(CLUSTER_DIR_ENV)
    if not folder:
        return ClusterLayout()
    layout = ClusterLayout(run_dir=Path(folder))
    try:
        base_port = int(json.loads(layout.state_file.read_text())["base_port"])
    except (OSError, ValueError, KeyError):
        return layout  # none there yet: `cluster up` creates it, on the default ports
    return ClusterLayout(run_dir=layout.run_dir, base_port=base_port)


def java_executable() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    if candidate and candidate.is_file():
        return str(candidate)
    found = shutil.which("java")
    if not found:
        raise LabError("no `java` found: install Java 17 (e.g. openjdk-17-jre) or set JAVA_HOME")
    return found


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host if host != "localhost" else "127.0.0.1", port))
        except OSError:
            return True
    return False


def pid_alive(pid: int, marker: str) -> bool:
    """True if pid runs and is ours (its command line names our config, the marker), not a reused pid."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return marker in cmdline


def _read_pid(layout: ClusterLayout, node_id: int) -> int | None:
    pid_file = layout.node_dir(node_id) / "pid"
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def recorded_brokers(layout: ClusterLayout) -> int:
    try:
        return int(json.loads(layout.state_file.read_text())["brokers"])
    except (OSError, ValueError, KeyError):
        return 0


def nodes(layout: ClusterLayout) -> list[NodeState]:
    """The nodes the last `up` recorded, and whether each still runs."""
    states = []
    for node_id in range(1, recorded_brokers(layout) + 1):
        pid = _read_pid(layout, node_id)
        alive = pid is not None and pid_alive(pid, _marker(layout, node_id))
        states.append(NodeState(node_id, layout.broker_port(node_id), pid, alive))
    return states


def _render_config(layout: ClusterLayout, node_id: int, brokers: int) -> Path:
    voters = ",".join(f"{n}@{layout.host}:{layout.controller_port(n)}" for n in range(1, brokers + 1))
    values = {
        "NODE_ID": node_id,
        "QUORUM_VOTERS": voters,
        "HOST": layout.host,
        "BROKER_PORT": layout.broker_port(node_id),
        "CONTROLLER_PORT": layout.controller_port(node_id),
        "DATA_DIR": layout.node_dir(node_id) / "data",
        "REPLICATION_FACTOR": min(3, brokers),
        "MIN_ISR": 2 if brokers >= 3 else 1,
    }
    text = sqlfiles.render(CONFIG_TEMPLATE.read_text(), values)
    path = layout.node_dir(node_id) / "server.properties"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _java_command(layout: ClusterLayout, node_id: int, main_class: str, *args: str) -> list[str]:
    return [
        java_executable(),
        BROKER_HEAP,
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        f"-Dkafka.logs.dir={layout.node_dir(node_id)}",
        "-cp",
        jars.classpath("kafka"),
        main_class,
        *args,
    ]


def _format_storage(layout: ClusterLayout, node_id: int, config: Path, cluster_id: str) -> None:
    """kafka-storage format, once per node: a formatted data dir carries meta.properties."""
    if (layout.node_dir(node_id) / "data" / "meta.properties").exists():
        return
    command = _java_command(
        layout, node_id, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config), "--ignore-formatted"
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise LabError(
            f"formatting Kafka storage for node {node_id} failed: "
            f"{(result.stderr or result.stdout).strip().splitlines()[-1:]}"
        )


def _check_ports_free(layout: ClusterLayout, node_ids: Iterable[int]) -> None:
    for node_id in node_ids:
        for port in (layout.broker_port(node_id), layout.controller_port(node_id)):
            if port_in_use(layout.host, port):
                raise LabError(
                    f"port {port} is already in use by another process: stop it, or use that "
                    "cluster with --bootstrap-servers instead of starting an embedded one"
                )


def up(
    layout: ClusterLayout = ClusterLayout(), brokers: int | None = None, progress: Callable[[str], None] = print
) -> str:
    """Start the cluster, or the nodes of it that are down; a no-op if all of it runs. Returns its bootstrap.

    brokers=None means the recorded cluster's size (1 for a fresh one).
    """
    recorded = recorded_brokers(layout)
    brokers = brokers or recorded or 1
    if brokers not in (1, 3):
        raise LabError("--brokers must be 1 or 3")
    states = nodes(layout)
    running = [node for node in states if node.alive]
    if running and recorded != brokers:
        raise LabError(
            f"a {recorded}-broker cluster is running ({len(running)} alive): run `streamlab cluster down` first"
        )
    if running and len(running) == brokers:
        progress(f"Kafka cluster already up ({brokers} broker(s)) at {layout.bootstrap_servers(brokers)}")
        return layout.bootstrap_servers(brokers)
    if running:
        return _restart_down_nodes(layout, [node.node_id for node in states if not node.alive], brokers, progress)
    if recorded not in (0, brokers):
        raise LabError(
            f"{layout.home} holds a {recorded}-broker cluster's data: "
            "run `streamlab cluster down --wipe` to start over with a different size"
        )
    jars.verify("kafka")
    _check_ports_free(layout, range(1, brokers + 1))
    cluster_id = _cluster_id(layout)
    ownership.make_folder(layout.home)  # the lab's: `down --wipe` may remove it
    layout.state_file.write_text(
        json.dumps({"brokers": brokers, "cluster_id": cluster_id, "base_port": layout.base_port})
    )
    progress(f"starting {brokers} Kafka broker(s) (KRaft) ...")
    bootstrap = layout.bootstrap_servers(brokers)
    _start_nodes(
        layout,
        list(range(1, brokers + 1)),
        brokers,
        lambda: len(kafka_admin.broker_ids(bootstrap)) == brokers,
        READY_TIMEOUT_S,
        "become ready",
        progress,
    )
    progress(f"Kafka cluster up at {bootstrap} (logs in {layout.home})")
    return bootstrap


def _restart_down_nodes(
    layout: ClusterLayout, down_ids: list[int], brokers: int, progress: Callable[[str], None]
) -> str:
    """Start the nodes of a running cluster that are down, with their own id, ports, data and the
    cluster's id, and wait until they have rejoined: registered, and every partition's ISR full again."""
    jars.verify("kafka")
    names = ", ".join(f"{node_id} (port {layout.broker_port(node_id)})" for node_id in down_ids)
    progress(f"restarting Kafka node(s) {names}: the others are running ...")
    bootstrap = layout.bootstrap_servers(brokers)
    # asked through the running nodes only: a client of ours must not connect to a port being restarted
    running = ",".join(f"{layout.host}:{layout.broker_port(n)}" for n in range(1, brokers + 1) if n not in down_ids)
    _start_nodes(
        layout,
        down_ids,
        brokers,
        lambda: _listening(layout, down_ids) and kafka_admin.fully_replicated(running, brokers),
        REJOIN_TIMEOUT_S,
        "rejoin the cluster with every partition in sync",
        progress,
    )
    progress(f"restarted node(s) {names}: back in the cluster at {bootstrap}, every partition's ISR full")
    return bootstrap


def _start_nodes(
    layout: ClusterLayout,
    node_ids: list[int],
    brokers: int,
    ready: Callable[[], bool],
    timeout_s: float,
    what: str,
    progress: Callable[[str], None],
) -> None:
    """Start these nodes and wait until `ready`; a node whose port another socket took while it started
    (see _bind_failed) is started again, up to BIND_ATTEMPTS times."""
    cluster_id = _cluster_id(layout)
    for attempt in range(1, BIND_ATTEMPTS + 1):
        _wait_ports_free(layout, node_ids, PORT_FREE_WAIT_S)
        _check_ports_free(layout, node_ids)
        log_ends = {node_id: _log_size(layout, node_id) for node_id in node_ids}
        processes = {node_id: _start_node(layout, node_id, brokers, cluster_id) for node_id in node_ids}
        try:
            _wait_ready(layout, processes, ready, timeout_s, what)
            return
        except LabError:
            taken = [node_id for node_id in node_ids if _bind_failed(layout, node_id, log_ends[node_id])]
            if not taken or attempt == BIND_ATTEMPTS:
                raise
            progress(f"the port of node(s) {taken} was taken while it started: starting again")


def _listening(layout: ClusterLayout, node_ids: list[int]) -> bool:
    """Whether the restarted nodes take connections: right after a kill the others may still list the dead
    node in every ISR (it is dropped only after its session times out), which is not having rejoined."""
    return all(port_in_use(layout.host, layout.broker_port(node_id)) for node_id in node_ids)


def _wait_ports_free(layout: ClusterLayout, node_ids: list[int], timeout_s: float) -> None:
    """Give a client's socket on a dead node's port time to close (see _bind_failed); the caller then
    checks the ports, and names one still taken."""
    ports = [port for n in node_ids for port in (layout.broker_port(n), layout.controller_port(n))]
    deadline = time.monotonic() + timeout_s
    while any(port_in_use(layout.host, port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.2)


def _log_size(layout: ClusterLayout, node_id: int) -> int:
    path = layout.node_dir(node_id) / "server.log"
    return path.stat().st_size if path.is_file() else 0


def _bind_failed(layout: ClusterLayout, node_id: int, since: int) -> bool:
    """The node's log, from offset `since` on, says another socket held its port when it bound it.

    A dead broker's port is free for the kernel to hand out as the local end of any outgoing connection
    if it lies in the ephemeral range (32768-60999 on Linux: the tests' clusters do, 9092-9094 do not),
    or to a client reconnecting to it (a TCP self-connect). A short-lived one is gone by the next start."""
    path = layout.node_dir(node_id) / "server.log"
    if not path.is_file():
        return False
    with path.open("rb") as log:
        log.seek(since)
        return b"failed to bind" in log.read()


def _cluster_id(layout: ClusterLayout) -> str:
    """Keep the id of formatted data (a restart must match it); a fresh cluster gets a new one."""
    try:
        return json.loads(layout.state_file.read_text())["cluster_id"]
    except (OSError, ValueError, KeyError):
        # Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding. One in 64 of those
        # starts with "-", which `kafka-storage format -t ID` takes for an option ("expected one
        # argument"): Kafka's own Uuid.randomUuid() draws again in that case, and so does this
        import base64

        while True:
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            if not cluster_id.startswith("-"):
                return cluster_id


def _start_node(layout: ClusterLayout, node_id: int, brokers: int, cluster_id: str) -> subprocess.Popen:
    config = _render_config(layout, node_id, brokers)
    _format_storage(layout, node_id, config, cluster_id)
    console = (layout.node_dir(node_id) / "console.log").open("ab")
    process = subprocess.Popen(
        _java_command(layout, node_id, "kafka.Kafka", str(config)),
        stdout=console,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # survives the CLI; `down` stops it
    (layout.node_dir(node_id) / "pid").write_text(str(process.pid))
    return process


def _wait_ready(
    layout: ClusterLayout,
    processes: dict[int, subprocess.Popen],
    ready: Callable[[], bool],
    timeout_s: float,
    what: str,
) -> None:
    """Wait until the cluster itself reports `ready`; on failure stop the nodes started here (only those:
    the others of a cluster being repaired keep running).

    Liveness comes from the process handles, not /proc: right after the fork a child's
    command line is still the parent's, which would make a starting broker look dead.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dead = [node_id for node_id, process in processes.items() if process.poll() is not None]
        if dead:
            _stop_nodes(layout, list(processes))
            raise LabError(
                f"Kafka node {dead[0]} exited during start-up: see "
                f"{layout.node_dir(dead[0]) / 'server.log'}\n{_log_tail(layout, dead[0])}"
            )
        try:
            if ready():
                return
        except LabError:
            pass
        time.sleep(0.5)
    _stop_nodes(layout, list(processes))
    raise LabError(f"Kafka did not {what} within {timeout_s:.0f} s: see {layout.home}/node-*/server.log")


def _log_tail(layout: ClusterLayout, node_id: int, lines: int = 5) -> str:
    """Why a node stopped: its first ERROR lines if it logged any (the last lines are only its shutdown hook),
    else the tail of its console."""
    for name in ("server.log", "console.log"):
        path = layout.node_dir(node_id) / name
        if path.is_file() and path.stat().st_size:
            logged = path.read_text(errors="replace").splitlines()
            errors = [line for line in logged if " ERROR " in line or "Exception" in line]
            if errors:
                return "\n".join(errors[:lines])
    for name in ("console.log", "server.log"):
        path = layout.node_dir(node_id) / name
        if path.is_file() and path.stat().st_size:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def down(layout: ClusterLayout = ClusterLayout(), wipe: bool = False, progress: Callable[[str], None] = print) -> int:
    """Stop the nodes `up` started (SIGTERM, then SIGKILL after a grace period); returns how many."""
    stopped = _stop_nodes(layout, [node.node_id for node in nodes(layout)])
    if wipe:
        ownership.remove_folder(layout.home, state=True)
    progress(
        f"stopped {stopped} Kafka broker(s)" + (" and removed their data" if wipe else "")
        if stopped or wipe
        else "no embedded Kafka broker was running"
    )
    return stopped


def _stop_nodes(layout: ClusterLayout, node_ids: list[int]) -> int:
    """SIGTERM to those of the nodes that run (a clean shutdown), all at once, SIGKILL after a grace period;
    how many ran. All at once: stopped one by one, the last node of a 3-node cluster has lost its quorum and
    waits out the whole grace period (31 s measured for 3 nodes, 6 s at once)."""
    chosen = [node for node in nodes(layout) if node.node_id in node_ids]
    running = [node for node in chosen if node.alive and node.pid]
    for node in running:
        os.kill(node.pid, signal.SIGTERM)
    for node in running:
        wait_exit(node.pid, _marker(layout, node.node_id))
    for node in chosen:
        (layout.node_dir(node.node_id) / "pid").unlink(missing_ok=True)
    return len(running)


def kill_node(layout: ClusterLayout, node_id: int, progress: Callable[[str], None] = print) -> int:
    """SIGKILL one running node, as a crash would (no controlled shutdown, no leadership handed over);
    returns its pid once it is gone. Its data and pid file stay: `up` restarts it with the same id."""
    states = nodes(layout)
    running = {node.node_id: node.pid for node in states if node.alive and node.pid}
    pid = running.get(node_id)
    if pid is None:
        known = [node.node_id for node in states]
        raise LabError(
            f"embedded Kafka node {node_id} is not running (nodes {known or 'none'}, running "
            f"{sorted(running) or 'none'}): see `streamlab cluster status`"
        )
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while not _exited(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    progress(f"killed Kafka node {node_id} (pid {pid}, port {layout.broker_port(node_id)}) with SIGKILL")
    return pid


def _exited(pid: int) -> bool:
    """Gone, or a zombie: its sockets are closed. An empty command line is not enough: an exiting
    process drops its memory (and with it the command line) before it closes its files."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _marker(layout: ClusterLayout, node_id: int) -> str:
    """What a node's command line contains, and no other process's: the path of its config."""
    return str(layout.node_dir(node_id) / "server.properties")


def wait_exit(pid: int, marker: str) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while pid_alive(pid, marker):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.2)
