"""Running `python -m streamlab ...` as a user does: one process per command (see FLINK-23020)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

from streamlab import kafka_admin
from streamlab.processes import kill_tree


def streamlab(
    *args: str, timeout_s: float = 400, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command's exit code and output; env: variables set for it on top of this process's. At the timeout
    its whole process tree is killed (the engine's JVM is a child of Python: killing Python alone would leave
    it running), then the timeout is raised."""
    command = [sys.executable, "-m", "streamlab", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except BaseException:
        kill_tree(process.pid)
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def one_line(text: str) -> str:
    """Output with rich's line wrapping undone, for substring checks."""
    return " ".join(text.split())


def read_letters(bootstrap: str, topic: str) -> pd.DataFrame:
    """A dead-letter topic as a table: raw_value, reason, source_topic, source_partition, source_offset."""
    return pd.DataFrame([json.loads(r.value or b"{}") for r in kafka_admin.read_topic(bootstrap, topic)])


def same_rejects(letters: pd.DataFrame, expected: pd.DataFrame) -> bool:
    """The engine's dead letters and the oracle's rejects hold the same records, by position and reason."""
    by_position = ["source_topic", "source_partition", "source_offset", "reason"]
    engine = letters.reindex(columns=by_position).sort_values(by_position, ignore_index=True)
    return bool(engine.equals(expected[by_position].sort_values(by_position, ignore_index=True)))
