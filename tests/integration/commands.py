"""Running `python -m streamlab ...` as a user does: one process per command (see FLINK-23020)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

from streamlab import kafka_admin


def streamlab(
    *args: str, timeout_s: float = 400, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command's exit code and output; env: variables set for it on top of this process's."""
    return subprocess.run(
        [sys.executable, "-m", "streamlab", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def one_line(text: str) -> str:
    """Output with rich's line wrapping undone, for substring checks."""
    return " ".join(text.split())


def run_bounded_into_own_topics(engine: str, workload: str, prefix: str, bootstrap: str) -> dict[str, str]:
    """`streamlab run ENGINE WORKLOAD --bounded` on the prefixed input, into an output and a dead-letter
    topic of this engine's own; checks the accounting line and returns those two topics by role."""
    topics = {"output": f"{prefix}out_{engine}", "dead_letters": f"{prefix}dlq_{engine}"}
    shown = succeeded(
        streamlab("run", engine, workload, "--bounded", "--topic-prefix", prefix, "--parallelism", "2",
                  "--output-topic", topics["output"], "--dead-letter-topic", topics["dead_letters"],
                  "--bootstrap-servers", bootstrap)
    )  # fmt: skip
    assert "[all accounted for]" in one_line(shown)
    return topics


def read_letters(bootstrap: str, topic: str) -> pd.DataFrame:
    """A dead-letter topic as a table: raw_value, reason, source_topic, source_partition, source_offset."""
    return pd.DataFrame([json.loads(r.value or b"{}") for r in kafka_admin.read_topic(bootstrap, topic)])


def same_rejects(letters: pd.DataFrame, expected: pd.DataFrame) -> bool:
    """The engine's dead letters and the oracle's rejects hold the same records, by position and reason."""
    by_position = ["source_topic", "source_partition", "source_offset", "reason"]
    engine = letters.reindex(columns=by_position).sort_values(by_position, ignore_index=True)
    return bool(engine.equals(expected[by_position].sort_values(by_position, ignore_index=True)))
