"""The commands a user types, end to end as separate `python -m streamlab` processes.

`demo` is what `make flink-run` / `make spark-run` run; the second test is the by-hand path
produce -> run --bounded -> check -> results on topics of its own. One process per command,
as a user runs them: several Flink planners in one process can trip FLINK-23020 (Calcite's
metadata provider is a Java ThreadLocal, and py4j may serve a later call from another thread).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def streamlab(*args: str, timeout_s: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamlab", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_demo_accounts_for_every_record_and_matches_the_oracle(engine: str, kafka_bootstrap: str) -> None:
    output = succeeded(
        streamlab("demo", engine, "behavior-stats", "--count", "400", "--rate", "200",
                  "--bootstrap-servers", kafka_bootstrap)
    )  # fmt: skip
    assert "[all accounted for]" in output
    assert f"{engine} result matches the pandas oracle" in output


def test_produce_then_bounded_run_then_check_and_results(kafka_bootstrap: str, topic_suffix: str) -> None:
    common = ["--bootstrap-servers", kafka_bootstrap]
    topics = ["--input-topic", f"in_{topic_suffix}", "--output-topic", f"out_{topic_suffix}"]
    produced = succeeded(
        streamlab("produce", "behavior-stats", "--count", "500", "--rate", "0", "--bad-every", "10",
                  "--topic", f"in_{topic_suffix}", *common)
    )  # fmt: skip
    ran = succeeded(
        streamlab("run", "flink", "behavior-stats", "--bounded", *topics,
                  "--dead-letter-topic", f"dlq_{topic_suffix}", *common)
    )  # fmt: skip
    checked = succeeded(streamlab("check", "behavior-stats", *topics, *common))
    shown = succeeded(streamlab("results", "behavior-stats", "--output-topic", f"out_{topic_suffix}", *common))

    assert "sent 500 records" in produced
    assert f"dlq_{topic_suffix} holds 50 rejected record(s)" in ran
    assert "20 keys agree with pandas" in checked
    assert "behavior_count" in shown and "electronics" in shown
