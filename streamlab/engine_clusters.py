"""The engines' own clusters beside the embedded Kafka: a Flink standalone session cluster (one JobManager, two
TaskManagers of one slot each) and a Spark standalone master with one worker of 2 cores.

They start from what the venv already holds: PyFlink's `bin/jobmanager.sh` and `taskmanager.sh`, PySpark's
`bin/spark-class` with Spark's Master and Worker. Each process has a folder of its own under
<run_dir>/engines/ (config, log, pid) and binds to loopback. Its command line names its own config file, the
marker by which `down` stops exactly what `up` started, as for the brokers (streamlab.cluster).

Flink reads FLINK_CONF_DIR, FLINK_LOG_DIR and FLINK_LIB_DIR (config.sh), so the lab keeps its own config and a
lib folder of links: PyFlink's jars, the connectors of jars/flink and the lab's jars/checks (the streamlab-json
format and the loopback Prometheus reporter), instead of editing site-packages.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from streamlab import jars, sqlfiles
from streamlab.cluster import ClusterLayout, embedded_layout, java_executable, pid_alive, port_in_use, wait_exit
from streamlab.errors import LabError
from streamlab.paths import COMPOSE_DIR, RUN_DIR
from streamlab.processes import resident_mib

FLINK_CONFIG_TEMPLATE = COMPOSE_DIR / "flink" / "cluster-config.yaml"
READY_TIMEOUT_S = 120.0
TASK_MANAGERS = 2  # one slot each
SPARK_WORKER_CORES = 2
SPARK_WORKER_MEMORY = "2g"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class EngineLayout:
    """Where the engine clusters live and listen; tests shift every port (port_offset) and use their own
    folder, so they never meet the user's clusters."""

    run_dir: Path = RUN_DIR
    port_offset: int = 0

    @property
    def home(self) -> Path:
        return self.run_dir / "engines"

    def port(self, default: int) -> int:
        return default + self.port_offset

    # Flink: the JobManager's RPC and REST (web UI) ports, each process's Prometheus port
    @property
    def flink_rest_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port(8081)}"

    # Spark: the master's RPC and UI ports, the worker's UI (not Spark's 8081: Flink's REST port)
    @property
    def spark_master_url(self) -> str:
        return f"spark://{LOOPBACK}:{self.port(7077)}"

    @property
    def spark_master_ui(self) -> str:
        return f"http://{LOOPBACK}:{self.port(8080)}"


@dataclass(frozen=True)
class Node:
    """One process of an engine cluster."""

    name: str  # flink-jobmanager, flink-taskmanager-1, ..., spark-master, spark-worker
    folder: Path
    marker: Path  # its config (Flink: its conf folder): on its command line, and on no other process's
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ui: str = ""
    ports: tuple[int, ...] = ()  # what it listens on, checked free before it starts

    @property
    def pid_file(self) -> Path:
        return self.folder / "pid"

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        pid = self.pid()
        return pid is not None and pid_alive(pid, str(self.marker))


EMBEDDED_ENGINES = "embedded"  # `--cluster` without a URL: the clusters `cluster up --engines` started


def cluster_url(flag: str, engine: str, brokers: ClusterLayout | None = None) -> str:
    """--cluster's URL for one engine: the one given, or the lab's own cluster of that engine, which must run
    ("" without the flag: the job runs in its own process)."""
    if flag != EMBEDDED_ENGINES:
        return flag
    layout = engine_layout(brokers)
    if not (flink_slots(layout) if engine == "flink" else spark_cores(layout)):
        raise LabError(f"no {engine} cluster answers: `streamlab cluster up --engines` starts the lab's own")
    return layout.flink_rest_url if engine == "flink" else layout.spark_master_url


def engine_layout(brokers: ClusterLayout | None = None) -> EngineLayout:
    """The engine clusters beside an embedded Kafka cluster: its folder, and ports shifted as far as its
    brokers' are from 9092 (a test's cluster on 29092 gets Flink's REST API on 28081)."""
    brokers = brokers or embedded_layout()
    return EngineLayout(run_dir=brokers.run_dir, port_offset=brokers.base_port - ClusterLayout().base_port)


def _pyflink_home() -> Path:
    import pyflink

    return Path(pyflink.__file__).parent


def _pyspark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def flink_nodes(layout: EngineLayout) -> list[Node]:
    nodes = [_flink_node(layout, "flink-jobmanager", "jobmanager.sh", layout.port(9249), ui=layout.flink_rest_url)]
    for index in range(1, TASK_MANAGERS + 1):
        nodes.append(_flink_node(layout, f"flink-taskmanager-{index}", "taskmanager.sh", layout.port(9249 + index)))
    return nodes


def _flink_node(layout: EngineLayout, name: str, script: str, prometheus_port: int, ui: str = "") -> Node:
    folder = layout.home / "flink" / name
    env = {
        "FLINK_CONF_DIR": str(folder / "conf"),
        "FLINK_LOG_DIR": str(folder / "log"),
        "FLINK_LIB_DIR": str(layout.home / "flink" / "lib"),
        "FLINK_PID_DIR": str(folder),
    }
    ports = (prometheus_port, layout.port(8081), layout.port(6123)) if ui else (prometheus_port,)
    command = [str(_pyflink_home() / "bin" / script), "start-foreground"]
    return Node(name, folder, folder / "conf", command, env, ui, ports)  # started with --configDir <conf>


def spark_nodes(layout: EngineLayout) -> list[Node]:
    spark_class = str(_pyspark_home() / "bin" / "spark-class")
    master, worker = layout.home / "spark" / "spark-master", layout.home / "spark" / "spark-worker"
    master_command = [
        spark_class, "org.apache.spark.deploy.master.Master", "--host", LOOPBACK,
        "--port", str(layout.port(7077)), "--webui-port", str(layout.port(8080)),
        "--properties-file", str(master / "spark-defaults.conf"),
    ]  # fmt: skip
    worker_command = [
        spark_class, "org.apache.spark.deploy.worker.Worker", layout.spark_master_url, "--host", LOOPBACK,
        "--cores", str(SPARK_WORKER_CORES), "--memory", SPARK_WORKER_MEMORY,
        "--webui-port", str(layout.port(8091)), "--work-dir", str(worker / "work"),
        "--properties-file", str(worker / "spark-defaults.conf"),
    ]  # fmt: skip
    env = {"SPARK_HOME": str(_pyspark_home()), "SPARK_LOCAL_IP": LOOPBACK}
    return [
        Node("spark-master", master, master / "spark-defaults.conf", master_command, env, layout.spark_master_ui,
             (layout.port(7077), layout.port(8080))),
        Node("spark-worker", worker, worker / "spark-defaults.conf", worker_command, env,
             f"http://{LOOPBACK}:{layout.port(8091)}", (layout.port(8091),)),
    ]  # fmt: skip


def all_nodes(layout: EngineLayout) -> list[Node]:
    return [*flink_nodes(layout), *spark_nodes(layout)]


def node(layout: EngineLayout, name: str) -> Node:
    for candidate in all_nodes(layout):
        if candidate.name == name:
            return candidate
    raise LabError(f"no engine node {name!r}: one of {', '.join(n.name for n in all_nodes(layout))}")


# --- configuration ----------------------------------------------------------------------------------------


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """config.yaml's nested keys as Flink's dotted ones, so the lab's settings replace them one by one."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _write_flink_conf(layout: EngineLayout, flink_node: Node) -> None:
    shipped = _pyflink_home() / "conf"
    ours = sqlfiles.render(
        FLINK_CONFIG_TEMPLATE.read_text(),
        {"RPC_PORT": layout.port(6123), "REST_PORT": layout.port(8081), "PROMETHEUS_PORT": flink_node.ports[0]},
    )
    config = {**_flat(yaml.safe_load((shipped / "config.yaml").read_text())), **yaml.safe_load(ours)}
    conf = flink_node.marker
    conf.mkdir(parents=True, exist_ok=True)
    (flink_node.folder / "log").mkdir(exist_ok=True)
    (conf / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=True))
    for logging in shipped.glob("log*"):  # log4j-console.properties and friends, as shipped
        (conf / logging.name).write_bytes(logging.read_bytes())


def _link_flink_lib(layout: EngineLayout) -> None:
    """PyFlink's lib, the connectors and the lab's jars/checks: what a session cluster's processes load (a
    job's own jars still travel with it; Flink loads org.apache.flink classes parent-first, so both agree)."""
    lib = layout.home / "flink" / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    plugin = sorted((_pyflink_home() / "plugins" / "metrics-prometheus").glob("flink-metrics-prometheus-*.jar"))
    wanted = [*(_pyflink_home() / "lib").glob("*.jar"), *jars.verify("flink", deep=False), jars.checks_jar(), *plugin]
    targets = {jar.name: jar.resolve() for jar in wanted}
    for link in lib.iterdir():  # a running process keeps its links: a restarted node's `up` changes none of them
        if link.name not in targets or link.resolve() != targets[link.name]:
            link.unlink()
    for name, target in targets.items():
        if not (lib / name).is_symlink():
            (lib / name).symlink_to(target)


def _write_spark_conf(spark_node: Node) -> None:
    """The process's --properties-file: its marker, and the one setting the lab changes for it."""
    spark_node.folder.mkdir(parents=True, exist_ok=True)
    (spark_node.folder / "work").mkdir(exist_ok=True)
    # a finished application's executor folders go, so the worker's work dir does not fill up
    spark_node.marker.write_text("spark.worker.cleanup.enabled true\n")


# --- up, down, status -------------------------------------------------------------------------------------


def up(layout: EngineLayout = EngineLayout(), progress: Callable[[str], None] = print) -> list[Node]:
    """Start every node that is not running, then wait until Flink has its TaskManagers' slots and Spark's
    master its worker's cores. A no-op when all run."""
    java_executable()  # a clear message before any script fails on its own
    nodes = all_nodes(layout)
    down_nodes = [n for n in nodes if not n.alive()]
    if not down_nodes:
        progress("the Flink and Spark clusters are up")
        return nodes
    for candidate in down_nodes:
        taken = [port for port in candidate.ports if port_in_use(LOOPBACK, port)]
        if taken:
            raise LabError(
                f"{candidate.name}: port {', '.join(map(str, taken))} of 127.0.0.1 is taken by another process; "
                "stop it (`ss -ltnp` names it) and run `streamlab cluster up --engines` again"
            )
    _link_flink_lib(layout)
    progress(f"starting {', '.join(n.name for n in down_nodes)} ...")
    started = {candidate.name: start_node(layout, candidate) for candidate in down_nodes}
    wait_ready(layout, started)
    progress(f"Flink session cluster up: {layout.flink_rest_url} ({TASK_MANAGERS} TaskManagers, 1 slot each)")
    progress(f"Spark standalone up: {layout.spark_master_url}, UI {layout.spark_master_ui} (1 worker, 2 cores)")
    return nodes


def start_node(layout: EngineLayout, engine_node: Node) -> subprocess.Popen:
    if engine_node.name.startswith("flink"):
        _write_flink_conf(layout, engine_node)
    else:
        _write_spark_conf(engine_node)
    log = engine_node.folder / "process.log"
    with log.open("a") as output:
        process = subprocess.Popen(
            engine_node.command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **engine_node.env},
            cwd=engine_node.folder,
            start_new_session=True,  # a Ctrl-C in the terminal that ran `up` does not reach it
        )
    engine_node.pid_file.write_text(str(process.pid))  # the script's pid: it execs the JVM
    return process


def wait_ready(layout: EngineLayout, started: dict[str, subprocess.Popen], timeout_s: float = READY_TIMEOUT_S) -> None:
    """Until Flink has every slot and Spark every core; a process that ends meanwhile is an error."""
    deadline = time.monotonic() + timeout_s
    while not (flink_slots(layout) >= TASK_MANAGERS and spark_cores(layout) >= SPARK_WORKER_CORES):
        for name, process in started.items():
            if process.poll() is not None:
                raise LabError(
                    f"{name} ended while starting (exit {process.returncode}): {_log_tail(node(layout, name))}"
                )
        if time.monotonic() > deadline:
            raise LabError(f"the engine clusters were not ready within {timeout_s:.0f} s (logs in {layout.home})")
        time.sleep(0.5)


def flink_prometheus_urls(rest_url: str) -> list[str]:
    """The Prometheus endpoints of a session cluster the lab started (JobManager first), known by its REST port;
    none for another cluster: the lab does not know where its reporters are."""
    port = urlsplit(rest_url).port or 8081
    layout = EngineLayout(port_offset=port - EngineLayout().port(8081))
    urls = [f"http://{LOOPBACK}:{n.ports[0]}/metrics" for n in flink_nodes(layout)]
    return urls if flink_slots(layout) and rest_url.rstrip("/") == layout.flink_rest_url else []


def node_pids(layout: EngineLayout, engine: str, url: str) -> tuple[int, ...]:
    """The running processes of the lab's cluster of an engine, when url names it: where a job submitted to it
    spends its CPU and memory (the bench samples them); () for another cluster, whose processes are not ours."""
    ours = layout.flink_rest_url if engine == "flink" else layout.spark_master_url
    if url.rstrip("/") != ours:
        return ()
    nodes = flink_nodes(layout) if engine == "flink" else spark_nodes(layout)
    return tuple(pid for n in nodes if n.alive() and (pid := n.pid()) is not None)


def get_json(url: str) -> Any:
    """A REST document of an engine's process (Flink's REST API, Spark's master or UI)."""
    with urllib.request.urlopen(url, timeout=2.0) as response:
        return json.load(response)


def post_json(url: str, document: dict[str, Any]) -> Any:
    """A POST to Flink's REST API (an asynchronous operation: it answers with the trigger's request-id)."""
    request = urllib.request.Request(url, json.dumps(document).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10.0) as response:
        return json.load(response)


def running_flink_job(rest_url: str) -> str:
    """The id of the one running job of a session cluster; an error when there is none or several (which?)."""
    running = [job["jid"] for job in get_json(f"{rest_url}/jobs/overview")["jobs"] if job["state"] == "RUNNING"]
    if len(running) != 1:
        raise LabError(f"expected one running job on the Flink cluster at {rest_url}, found {len(running)}")
    return running[0]


def stop_with_savepoint(rest_url: str, job_id: str, folder: Path, timeout_s: float = READY_TIMEOUT_S) -> Path:
    """`flink stop --savepointPath folder JOB` through the REST API: the sources stop, a savepoint of every
    operator's state and the sources' offsets is written, the sinks commit, and the job ends FINISHED. Without
    --drain: no MAX_WATERMARK, so open event-time windows stay open in the savepoint. Returns its folder."""
    body = {"targetDirectory": folder.as_uri(), "drain": False, "formatType": "CANONICAL"}
    trigger = post_json(f"{rest_url}/jobs/{job_id}/stop", body)["request-id"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = get_json(f"{rest_url}/jobs/{job_id}/savepoints/{trigger}")
        if answer["status"]["id"] == "COMPLETED":
            operation = answer["operation"]
            if "failure-cause" in operation:
                cause = operation["failure-cause"].get("class", "")
                raise LabError(f"Flink could not stop job {job_id} with a savepoint: {cause} (see its JobManager log)")
            return Path(urlsplit(operation["location"]).path)
        time.sleep(0.5)
    raise LabError(f"the savepoint of job {job_id} was not complete within {timeout_s:.0f} s")


def flink_slots(layout: EngineLayout) -> int:
    """Slots the JobManager has from running TaskManagers; 0 while it does not answer."""
    try:
        return int(get_json(f"{layout.flink_rest_url}/overview")["slots-total"])
    except (OSError, ValueError, KeyError):
        return 0


def spark_cores(layout: EngineLayout) -> int:
    """Cores of the master's alive workers; 0 while it does not answer."""
    try:
        workers = get_json(f"{layout.spark_master_ui}/json/")["workers"]
    except (OSError, ValueError, KeyError):
        return 0
    return sum(int(worker["cores"]) for worker in workers if worker.get("state") == "ALIVE")


def down(layout: EngineLayout = EngineLayout(), progress: Callable[[str], None] = print) -> int:
    """SIGTERM every running node (workers first), SIGKILL what does not end in time; how many ran."""
    stopped = 0
    for candidate in reversed(all_nodes(layout)):
        pid = candidate.pid()
        if pid is not None and candidate.alive():
            os.kill(pid, signal.SIGTERM)
            wait_exit(pid, str(candidate.marker))
            stopped += 1
        candidate.pid_file.unlink(missing_ok=True)
    if stopped:
        progress(f"stopped {stopped} Flink and Spark process(es)")
    return stopped


def status(layout: EngineLayout = EngineLayout()) -> list[dict[str, object]]:
    """Per node: running or not, pid, resident memory, UI; empty when the engine clusters were never started here."""
    if not layout.home.is_dir():
        return []
    return [
        {
            "process": n.name,
            "pid": n.pid() or "",
            "running": n.alive(),
            "RSS MiB": resident_mib(n.pid()) if n.alive() else 0,
            "ui": n.ui,
        }
        for n in all_nodes(layout)
        if n.folder.is_dir()
    ]


def _log_tail(engine_node: Node, lines: int = 5) -> str:
    logs = sorted(engine_node.folder.glob("**/*.log"), key=lambda path: path.stat().st_mtime)
    if not logs:
        return "no log"
    tail = logs[-1].read_text(errors="replace").strip().splitlines()[-lines:]
    return f"{logs[-1]}: " + " | ".join(tail)
