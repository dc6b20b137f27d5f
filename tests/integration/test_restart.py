"""A streaming job killed and restarted with the same checkpoint folder loses nothing, on both engines.

behavior-stats runs unbounded as a user runs it (`python -m streamlab run ...`, a process of its own)
over a first seeded batch until its result shows the batch and a checkpoint has completed. Then the
engine's whole process tree is killed with SIGKILL (no cancel, no clean-up), a second batch arrives
while nothing runs, and the job is started again with the same folder and `--from latest`: it must
resume from its checkpoint (and say so), so the second batch is counted, and the first one is not
counted twice. The upsert topic may hold a key's value twice (the sinks are at-least-once and the
records read after the last checkpoint are read again): the view per key must equal pandas over
exactly the records produced, and the dead letters must hold every rejected record, none more.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from streamlab import kafka_admin, oracles, results, runner, workloads
from streamlab.processes import StreamlabProcess
from streamlab.settings import Settings
from tests.integration.commands import read_letters

pytestmark = pytest.mark.integration

WORKLOAD = workloads.get("behavior-stats")
JOB = WORKLOAD.job()
FIRST, SECOND = 600, 400  # events per batch; every BAD_EVERY-th malformed
BAD_EVERY = 50
READY_S = 150  # a cold JVM, the first checkpoint, a restore
# Flink flushes its upsert sink on checkpoints: every 2 s instead of 10 keeps the test short
ENGINE_FLAGS = {"flink": ("--conf", "execution.checkpointing.interval=2 s"), "spark": ()}


class Run(StreamlabProcess):
    """`streamlab run ENGINE behavior-stats` in a process (and session) of its own, its output in a file."""

    def __init__(self, settings: Settings, prefix: str, log: Path, *flags: str) -> None:
        super().__init__(
            ["run", settings.engine, WORKLOAD.name, "--checkpoint-dir", str(settings.checkpoint_dir),
             "--topic-prefix", prefix, "--bootstrap-servers", settings.bootstrap_servers,
             *ENGINE_FLAGS[settings.engine], *flags],
            log,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL to the whole tree: PyFlink and PySpark start their JVM as a child of Python."""
        self.kill_tree()


@pytest.fixture
def runs() -> Iterator[list[Run]]:
    """Every run a test starts, killed at the end whatever happened."""
    started: list[Run] = []
    yield started
    for run in started:
        run.kill()


def produce(settings: Settings, count: int, seed: int) -> None:
    options = argparse.Namespace(count=count, rate=0, seed=seed, bad_every=BAD_EVERY)
    runner.produce(settings, WORKLOAD, options, show_progress=False)


def agrees_with_pandas(settings: Settings) -> bool:
    """The result per key, and the set of dead-lettered positions, equal pandas over the whole input topic."""
    records = kafka_admin.read_topic(settings.bootstrap_servers, settings.input_topic)
    expected, rejected = oracles.behavior_stats(records)
    table = results.read_result(JOB.result, settings)
    keys, values = list(JOB.result.key_columns), list(JOB.result.value_columns)
    if not oracles.differences(table, expected, keys, values).empty:
        return False
    return positions(read_letters(settings.bootstrap_servers, settings.dead_letter_topic)) == positions(rejected)


def positions(letters: pd.DataFrame) -> set[tuple[int, int, str]]:
    """Rejected records by source position and reason: a dead letter written twice counts once."""
    if letters.empty:
        return set()
    columns = ["source_partition", "source_offset", "reason"]
    return {(int(p), int(o), str(r)) for p, o, r in letters[columns].itertuples(index=False)}


def completed_checkpoints(settings: Settings) -> list[Path]:
    """Read from the folder itself, not with the code under test: Flink's chk-N/_metadata, Spark's
    commits of its counting query."""
    folder = settings.resolved_checkpoint_dir
    if settings.engine == "flink":
        return sorted(folder.glob("*/chk-*/_metadata"))
    return sorted(path for path in folder.glob("stats/commits/*") if path.name.isdigit())


def newest_number(settings: Settings) -> int:
    """The checkpoint a restart must resume from: Flink's highest chk-N, Spark's newest committed batch."""
    names = [path.parent.name if settings.engine == "flink" else path.name for path in completed_checkpoints(settings)]
    return max(int(name.removeprefix("chk-")) for name in names)


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_a_killed_job_resumes_from_its_checkpoint_and_loses_nothing(
    engine: str, kafka_bootstrap: str, topic_suffix: str, tmp_path: Path, runs: list[Run]
) -> None:
    prefix = f"restart_{engine}_{topic_suffix}_"
    settings = Settings(
        workload=WORKLOAD.name,
        engine=engine,
        job=JOB.name,
        bootstrap_servers=kafka_bootstrap,
        topics=WORKLOAD.topic_names(prefix),
        checkpoint_dir=tmp_path / "checkpoints",
    )
    produce(settings, FIRST, seed=11)

    first = Run(settings, prefix, tmp_path / "first.log")
    runs.append(first)
    kafka_admin.wait_until(
        lambda: first.alive() and bool(completed_checkpoints(settings)) and agrees_with_pandas(settings),
        READY_S,
        f"{engine} to count the first batch and complete a checkpoint",
        poll_s=1,
    )
    assert "no checkpoint: starting from earliest" in first.output
    first.kill()
    resume_from = newest_number(settings)  # the folder holds still now: this is what the restart must take
    before = set(settings.resolved_checkpoint_dir.iterdir())

    produce(settings, SECOND, seed=12)  # while nothing runs
    second = Run(settings, prefix, tmp_path / "second.log", "--from", "latest")
    runs.append(second)
    kafka_admin.wait_until(
        lambda: second.alive() and agrees_with_pandas(settings),
        READY_S,
        f"{engine} to count both batches after its restart",
        poll_s=1,
    )
    # Flink names its chk-N; Spark each query's newest committed batch ("..., 4 (stats) in FOLDER")
    said = f"resuming from checkpoint {resume_from} (" if engine == "flink" else f"{resume_from} (stats)"
    assert "resuming from checkpoint" in second.output and said in second.output, second.output[-2000:]
    input_records = kafka_admin.read_topic(kafka_bootstrap, settings.input_topic)
    assert len(input_records) == FIRST + SECOND
    expected, _ = oracles.behavior_stats(input_records)
    assert expected["behavior_count"].sum() == FIRST + SECOND - (FIRST // BAD_EVERY + SECOND // BAD_EVERY)

    if engine == "flink":  # Ctrl-C cancels the job, which keeps its newest checkpoint for the next run
        kafka_admin.wait_until(
            lambda: newest_number(settings) > resume_from, READY_S, "a checkpoint of the restarted job"
        )
    assert second.interrupt() == 130
    if engine == "flink":
        new_jobs = set(settings.resolved_checkpoint_dir.iterdir()) - before
        kept = [chk for job in new_jobs for chk in job.glob("chk-*/_metadata")]
        assert kept, "the cancelled job's checkpoint was deleted"
