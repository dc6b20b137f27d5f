"""The lab's dashboard as a background process: `demo` on the embedded cluster starts one when none runs yet
and prints its URL; `cluster down` stops it. Like the embedded brokers it keeps its pid in a file under the
cluster's run folder (with its URL beside it), so `down` stops exactly the process a demo started."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import psutil

from streamlab import cluster
from streamlab.dashboard import DEFAULT_PORT
from streamlab.dashboard.server import HOST
from streamlab.processes import StreamlabProcess, kill_tree

STOP_WAIT_S = 10.0


def folder(run_dir: Path) -> Path:
    return run_dir / "dashboard"


def running(run_dir: Path) -> tuple[int, str] | None:
    """(pid, URL) of the dashboard a demo started, while its process runs (a reused pid is not it)."""
    try:
        pid = int((folder(run_dir) / "pid").read_text())
        url = (folder(run_dir) / "url").read_text().strip()
        command = psutil.Process(pid).cmdline()
    except (OSError, ValueError, psutil.Error):
        return None
    return (pid, url) if "streamlab" in command and "dashboard" in command else None


def ensure_running(bootstrap_servers: str, run_dir: Path) -> str:
    """The URL of the lab's dashboard, started now in a session of its own (a Ctrl-C of the demo leaves it
    running) unless one runs. Its port is chosen here, so the URL is known without waiting for it to start."""
    found = running(run_dir)
    if found:
        return found[1]
    port = DEFAULT_PORT if not cluster.port_in_use(HOST, DEFAULT_PORT) else _free_port()
    args = ["dashboard", "--port", str(port), "--bootstrap-servers", bootstrap_servers]
    process = StreamlabProcess(args, folder(run_dir) / "dashboard.log")
    url = f"http://{HOST}:{port}"
    (folder(run_dir) / "pid").write_text(str(process.pid))
    (folder(run_dir) / "url").write_text(url)
    return url


def stop(run_dir: Path) -> int | None:
    """Stops the dashboard a demo started (SIGTERM, then SIGKILL after a grace period); its pid, or None."""
    found = running(run_dir)
    for name in ("pid", "url"):
        (folder(run_dir) / name).unlink(missing_ok=True)
    if found is None:
        return None
    pid = found[0]
    try:
        os.kill(pid, signal.SIGTERM)
        _gone, alive = psutil.wait_procs([psutil.Process(pid)], timeout=STOP_WAIT_S)
    except (ProcessLookupError, psutil.NoSuchProcess):
        return pid
    if alive:
        kill_tree(pid)
    return pid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]
