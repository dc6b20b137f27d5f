"""The processes a benchmark run starts: the engine job, the generator, the collector, Kafka's perf tools
and the relay. Each is a child process whose whole tree is sampled (benchmarks.sampler), and each
speaks JSON lines on stdout; its other output goes to a log file beside the results."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import IO

from benchmarks.engine_job import PREFIX
from benchmarks.sampler import TreeSampler
from streamlab import cluster, fields, jars
from streamlab.errors import LabError
from streamlab.processes import kill_tree
from streamlab.settings import MAX_VALUE_CHARS, Settings

RELAY_SOURCE = Path(__file__).parent / "relay" / "Relay.java"
STOP_TIMEOUT_S = 60


class Child:
    """A child process with its JSON lines collected as they come and its process tree sampled."""

    def __init__(
        self, argv: list[str], log: Path, name: str, keep_stdin: bool = False, also_sample: tuple[int, ...] = ()
    ) -> None:
        self.name, self.log = name, log
        self._log_file: IO[str] = log.open("a")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if keep_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )
        self.lines: list[tuple[float, dict]] = []  # (monotonic time it arrived, the JSON)
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.sampler = TreeSampler(self.process.pid, also_sample).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            text = line.removeprefix(PREFIX).strip()
            try:
                parsed = json.loads(text) if text.startswith("{") else None
            except json.JSONDecodeError:
                parsed = None
            if parsed is None:
                self._log_file.write(line)
                continue
            with self._changed:
                self.lines.append((time.monotonic(), parsed))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def latest(self) -> dict:
        return self.lines[-1][1] if self.lines else {}

    def wait_for(self, found: Callable[[dict], bool], timeout_s: float, what: str) -> tuple[float, dict]:
        """The first line `found` accepts, with the time it arrived; an error naming `what` and the log
        if the process ends or the time runs out first."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for arrived, line in self.lines:
                    if found(line):
                        return arrived, line
                if self.process.poll() is not None and not self._reader.is_alive():
                    raise LabError(f"{self.name} ended before {what} (exit {self.process.returncode}); {self.tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LabError(f"{self.name}: no {what} within {timeout_s:.0f} s; {self.tail()}")
                self._changed.wait(min(left, 0.5))

    def event(self, name: str, timeout_s: float) -> float:
        return self.wait_for(lambda line: line.get("event") == name, timeout_s, f'"{name}"')[0]

    def done(self, timeout_s: float) -> dict:
        return self.wait_for(lambda line: "done" in line, timeout_s, "its summary")[1]["done"]

    def close_stdin(self) -> None:
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()

    def finish(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Let it end (stdin closed), else kill its whole tree; the sampler stops either way."""
        self.close_stdin()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            kill_tree(self.process.pid)
            self.process.wait(10)
        self.sampler.stop()
        self._reader.join(5)
        self._log_file.close()

    def tail(self, lines: int = 5) -> str:
        self._log_file.flush()
        text = self.log.read_text(errors="replace").strip().splitlines()
        shown = " | ".join(line.strip() for line in text[-lines:])
        return f"log {self.log}: {shown}" if shown else f"log {self.log} is empty"


def settings_json(settings: Settings) -> str:
    fields = asdict(settings)
    for name in ("checkpoint_dir", "output_dir", "input_path"):
        fields[name] = str(fields[name]) if fields[name] else None
    fields["topics"] = dict(settings.topics)
    fields["engine_conf"] = dict(settings.engine_conf)
    return json.dumps(fields)


def engine(settings: Settings, log: Path, cluster_pids: tuple[int, ...] = ()) -> Child:
    """The job's process; on an engine cluster only its client, so the cluster's processes are sampled with it."""
    argv = [sys.executable, "-m", "benchmarks.engine_job", settings_json(settings)]
    return Child(argv, log, f"{settings.engine} {settings.workload}", keep_stdin=True, also_sample=cluster_pids)


def generator(spec: dict, log: Path) -> Child:
    return Child([sys.executable, "-m", "benchmarks.generator", json.dumps(spec)], log, "the generator")


def collector(spec: dict, log: Path) -> Child:
    return Child([sys.executable, "-m", "benchmarks.collector", json.dumps(spec)], log, "the collector", True)


def java(main: str, args: list[str], log: Path, name: str, extra_jars: tuple[Path, ...] = ()) -> Child:
    """A JVM program with the broker's jars (kafka-clients, kafka-tools, Jackson) on its class path."""
    classpath = ":".join([jars.classpath("kafka"), *map(str, extra_jars)])
    return Child([cluster.java_executable(), "-cp", classpath, main, *args], log, name)


def relay(bootstrap: str, source: str, target: str, threads: int, log: Path) -> Child:
    """The JVM relay, checking each event with the record check and rules of Flink's behavior-stats source."""
    checks = [fields.rules(fields.BEHAVIOR), str(MAX_VALUE_CHARS)]
    return java(str(RELAY_SOURCE), [bootstrap, source, target, str(threads), *checks], log, "the relay",
                (jars.checks_jar(),))  # fmt: skip
