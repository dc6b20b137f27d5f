"""`streamlab chaos kill-restart`: bike-rentals (Parquet files) and strategy-join (a pipeline of two jobs) killed
with SIGKILL on each engine; nothing lost. behavior-stats (an upsert topic) is killed and resumed on both engines in
test_restart.py and passthrough (an append-only topic, exactly-once) twice in test_exactly_once.py: the
kill-restart path is shared, so its topic shapes are not run here again within make test's time budget.

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


def figures_of_the_other_shapes(output: str, checkpoints: Path) -> None:
    """What every chaos run must show, read off its table as a user would."""
    shown = one_line(output)
    assert figure(output, "kills") == "1"
    assert figure(output, "lost") == "0" and figure(output, "wrong") == "0", output[-4000:]
    assert figure(output, "restarts resumed") == "1 of 1"
    accounted, expected = figure(output, "dead letters accounted for").split(" of ")
    assert accounted == expected and int(expected.replace(",", "")) > 0
    assert shown.count("resuming from checkpoint") >= 1, shown[-3000:]
    assert not leftovers(str(checkpoints)), "a killed or restarted run is still there"


# One kill and small inputs in both tests below: `make test` has a time budget (see the README), and the
# kill-restart path is the same whatever the count; `streamlab chaos kill-restart` by hand does 3 kills.


def chaos_run(engine: str, workload: str, kafka_bootstrap: str, checkpoints: Path, *flags: str) -> str:
    """`streamlab chaos kill-restart` with one kill on this test's topics; its output, once it passed."""
    started = time.monotonic()
    result = streamlab(
        "chaos", "kill-restart", engine, workload, "--kills", "1", "--seed", "5", "--timeout", "150",
        "--checkpoint-dir", str(checkpoints), "--bootstrap-servers", kafka_bootstrap, *flags,
        *ENGINE_FLAGS[engine], timeout_s=480,
    )  # fmt: skip
    output = result.stdout
    assert result.returncode == 0, f"exit {result.returncode}\n{output[-4000:]}\n{result.stderr[-3000:]}"
    figures_of_the_other_shapes(output, checkpoints)
    print(f"{engine}: chaos kill-restart {workload} took {time.monotonic() - started:.0f} s")
    return output


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_a_kill_loses_no_parquet_row(engine: str, kafka_bootstrap: str, topic_suffix: str, tmp_path: Path) -> None:
    output = chaos_run(
        engine, "bike-rentals", kafka_bootstrap, tmp_path / "checkpoints", "--bad-every", "40",
        "--producer-args", "--stations 30 --hours 2", "--topic-prefix", f"chaosb_{engine}_{topic_suffix}_",
    )  # fmt: skip
    # Flink commits files on checkpoints, Spark's foreachBatch skips a partition a replayed batch id already wrote
    assert figure(output, "duplicates in the raw output files") == "0"


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_a_pipeline_killed_loses_no_pair(engine: str, kafka_bootstrap: str, topic_suffix: str, tmp_path: Path) -> None:
    output = chaos_run(
        engine, "strategy-join", kafka_bootstrap, tmp_path / "checkpoints", "--count", "150", "--rate", "40",
        "--bad-every", "25", "--topic-prefix", f"chaosj_{engine}_{topic_suffix}_",
    )  # fmt: skip
    assert figure(output, "records produced") == "600"  # 150 per strategy, A to D
    # the restart resumed both stages, each from its own folder below the one named
    shown = one_line(output)
    assert "strategies: resuming from checkpoint" in shown and "join: resuming from checkpoint" in shown
