"""`streamlab chaos kill-restart`: behavior-stats killed twice with SIGKILL on each engine, nothing lost.

The command itself runs the job (`streamlab run`, a process of its own, restarted from the same
checkpoint folder after each kill), the producer and the comparison with pandas; the test reads its
table and exit code as a user would, and checks that no process of the run is left behind.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import psutil
import pytest

from tests.integration.commands import one_line, streamlab

pytestmark = pytest.mark.integration

# Flink flushes its upsert sink on checkpoints: every 2 s instead of 10 keeps the waits for one short
ENGINE_FLAGS = {"flink": ("--conf", "execution.checkpointing.interval=2 s"), "spark": ()}


def figure(output: str, measure: str) -> str:
    """The figure of one row of the verdict table (`│ lost │ 0 │ ...`)."""
    found = re.search(rf"│ {re.escape(measure)}\s*│\s*([^│]+?)\s*│", output)
    assert found, f"no row {measure!r} in:\n{output[-3000:]}"
    return found[1]


def leftovers(marker: str) -> list[str]:
    """Processes whose command line names this test's folder: a `streamlab run` the command did not kill."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if any(marker in part for part in process.info["cmdline"] or ()):
            found.append(f"{process.info['pid']}: {' '.join(process.info['cmdline'])[:200]}")
    return found


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_two_kills_lose_nothing(engine: str, kafka_bootstrap: str, topic_suffix: str, tmp_path: Path) -> None:
    checkpoints = tmp_path / "checkpoints"
    started = time.monotonic()
    result = streamlab(
        "chaos", "kill-restart", engine, "behavior-stats", "--kills", "2", "--seed", "5", "--count", "1200",
        "--rate", "200", "--bad-every", "40", "--timeout", "150", "--checkpoint-dir", str(checkpoints),
        "--topic-prefix", f"chaos_{engine}_{topic_suffix}_", "--bootstrap-servers", kafka_bootstrap,
        *ENGINE_FLAGS[engine], timeout_s=420,
    )  # fmt: skip
    output = result.stdout
    shown = one_line(output)
    assert result.returncode == 0, f"exit {result.returncode}\n{output[-4000:]}\n{result.stderr[-3000:]}"
    assert figure(output, "kills") == "2"
    assert figure(output, "lost") == "0" and figure(output, "wrong") == "0"
    assert figure(output, "restarts resumed") == "2 of 2"
    assert figure(output, "records produced") == "1,200"
    assert figure(output, "dead letters accounted for") == "30 of 30"  # 1,200 // 40
    assert shown.count("resuming from checkpoint") >= 2, shown[-3000:]
    assert not leftovers(str(checkpoints)), "a killed or restarted run is still there"
    print(f"{engine}: chaos kill-restart took {time.monotonic() - started:.0f} s")
