"""A `streamlab` command in a process (and session) of its own, which can be killed like a crash.

PyFlink and PySpark start their JVM as a child of Python, so killing the Python process alone
would leave the engine running: a crash is SIGKILL to the whole process tree, nothing cleaned up.
`streamlab chaos` and the restart tests use this to kill a running job and start it again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import psutil

from streamlab.errors import LabError

KILL_WAIT_S = 30  # how long the killed processes may take to be gone (SIGKILL cannot be refused)


class StreamlabProcess:
    """`python -m streamlab ARGS` with its output in a log file, started in a new session."""

    def __init__(self, args: Sequence[str], log: Path) -> None:
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as output:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streamlab", *args],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},  # its lines are in the file before it is killed
                start_new_session=True,  # a Ctrl-C in the caller's terminal is not delivered to it as well
                # a SIGINT must stop it as it stops a user's run, even under a shell that ignores SIGINT
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        """What it printed so far, with rich's line wrapping undone (one space between words)."""
        return " ".join(self.log.read_text(errors="replace").split())

    def alive(self) -> bool:
        """True while it runs; a process that ended on its own is an error naming its last output."""
        if self.process.poll() is not None:
            raise LabError(f"`streamlab` ended by itself (exit {self.process.returncode}): ...{self.output[-1500:]}")
        return True

    def interrupt(self, timeout_s: float = KILL_WAIT_S) -> int:
        """Ctrl-C, as a user stops a run: SIGINT, then the wait for it to stop its job and end. Returns its exit
        code; one that does not end in time gets SIGKILL (its whole tree) and counts as a failure."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill_tree()
                raise LabError(f"`streamlab` did not stop within {timeout_s:.0f} s of Ctrl-C: see {self.log}") from None
        return self.process.returncode

    def wait_exit(self, timeout_s: float = KILL_WAIT_S) -> int:
        """Until it ends by itself (its job has ended); one that does not in time gets SIGKILL and is an error."""
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill_tree()
            raise LabError(f"`streamlab` did not end within {timeout_s:.0f} s of its job: see {self.log}") from None

    def kill_tree(self) -> int:
        """SIGKILL to the process and every descendant at once; returns how many processes were killed."""
        if self.process.poll() is not None:
            return 0  # ended and reaped: its pid may belong to someone else by now
        killed = kill_tree(self.process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=KILL_WAIT_S)
        return killed


def kill_tree(pid: int) -> int:
    """SIGKILL to a running process (the caller has not reaped it) and all its descendants, gathered
    first so none is orphaned; waits until they are gone and returns how many there were."""
    try:
        root = psutil.Process(pid)
        tree = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return 0
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(tree, timeout=KILL_WAIT_S)
    return len(tree)


def resident_mib(pid: int | None) -> int:
    """Resident memory of a running process and its descendants (the Spark worker's executor is its child), in
    MiB; 0 when there is no such process."""
    if pid is None:
        return 0
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return round(total / 2**20)
