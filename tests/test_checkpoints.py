"""Which checkpoint a restarted job resumes from, read from fake checkpoint folders (no engine runs).

Flink 2.x writes <dir>/<job-id>/chk-N/ and its _metadata last; every run is a new job id, and a run
restored from chk-N numbers its own checkpoints from N+1. Spark keeps one folder per query, with
commits/N for every batch it finished.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from streamlab import engines, workloads
from streamlab.errors import LabError
from streamlab.run import lifecycle
from streamlab.settings import Settings

FIRST_RUN, SECOND_RUN, THIRD_RUN = "72a12a19a8ff0015279e519c053c2f5b", "fa9802db7eb71e02", "e7b0ee21e98f2f9a"


def flink_checkpoint(folder: Path, job_id: str, number: int, complete: bool = True, mtime: float = 0) -> Path:
    chk = folder / job_id / f"chk-{number}"
    chk.mkdir(parents=True)
    (folder / job_id / "shared").mkdir(exist_ok=True)
    (folder / job_id / "taskowned").mkdir(exist_ok=True)
    if complete:
        (chk / "_metadata").write_bytes(b"\x00")
        if mtime:
            os.utime(chk / "_metadata", (mtime, mtime))
    return chk


def test_no_folder_or_an_empty_one_has_no_checkpoint(tmp_path: Path) -> None:
    assert engines.latest_flink_checkpoint(tmp_path / "missing") is None
    assert engines.latest_flink_checkpoint(tmp_path) is None
    assert engines.spark_checkpoints(tmp_path) == []


def test_the_newest_completed_checkpoint_of_several_runs_is_found(tmp_path: Path) -> None:
    flink_checkpoint(tmp_path, FIRST_RUN, 8)  # killed after chk-8
    newest = flink_checkpoint(tmp_path, SECOND_RUN, 30)  # restored from chk-8, then cancelled
    flink_checkpoint(tmp_path, THIRD_RUN, 31, complete=False)  # restored from chk-30, killed mid-checkpoint
    (tmp_path / "savepoints" / "savepoint-1a2b3c-0123456789ab").mkdir(parents=True)  # a drain's savepoint
    (tmp_path / "streamlab-topics.json").write_text("{}")
    latest = engines.latest_flink_checkpoint(tmp_path)
    assert latest is not None and (latest.number, latest.path) == (30, newest)


def test_the_highest_number_wins_over_a_newer_modification_time(tmp_path: Path) -> None:
    """Ids grow along the chain of restores; times change when the folder is copied (cp without -p)."""
    flink_checkpoint(tmp_path, FIRST_RUN, 12, mtime=2_000_000_000)
    newest = flink_checkpoint(tmp_path, SECOND_RUN, 13, mtime=1_000_000_000)
    assert engines.latest_flink_checkpoint(tmp_path).path == newest


def test_equal_numbers_are_told_apart_by_time(tmp_path: Path) -> None:
    """Only runs that started over in a folder nobody cleared number alike: the later one is the newer."""
    flink_checkpoint(tmp_path, FIRST_RUN, 3, mtime=1_000_000_000)
    later = flink_checkpoint(tmp_path, SECOND_RUN, 3, mtime=1_000_000_500)
    assert engines.latest_flink_checkpoint(tmp_path).path == later


def test_only_incomplete_checkpoints_mean_starting_from_the_flag(tmp_path: Path) -> None:
    flink_checkpoint(tmp_path, FIRST_RUN, 1, complete=False)
    (tmp_path / FIRST_RUN / "chk-x").mkdir()  # not a checkpoint of Flink's naming
    (tmp_path / FIRST_RUN / "chk-x" / "_metadata").write_bytes(b"")
    settings = Settings("behavior-stats", engine="flink", checkpoint_dir=tmp_path, start_from="latest")
    assert engines.latest_flink_checkpoint(tmp_path) is None
    assert engines.resume_points(settings) == []
    assert engines.describe_start(settings) == "no checkpoint: starting from latest"


def test_flink_says_which_checkpoint_it_resumes_from(tmp_path: Path) -> None:
    chk = flink_checkpoint(tmp_path, FIRST_RUN, 7)
    settings = Settings("behavior-stats", engine="flink", checkpoint_dir=tmp_path, start_from="latest")
    assert engines.describe_start(settings) == f"resuming from checkpoint 7 ({chk})"
    assert engines.resume_points(settings.with_(bounded=True)) == []  # a bounded run never restores


def test_spark_says_the_newest_committed_batch_of_each_query(tmp_path: Path) -> None:
    for query, batches in (("stats", range(5)), ("dead-letters", range(3))):
        for batch in batches:
            (tmp_path / query / "offsets").mkdir(parents=True, exist_ok=True)
            (tmp_path / query / "commits").mkdir(exist_ok=True)
            (tmp_path / query / "offsets" / str(batch)).write_text("v1")
            (tmp_path / query / "commits" / str(batch)).write_text("v1")
            (tmp_path / query / "commits" / f".{batch}.crc").write_text("")
    (tmp_path / "stats" / "offsets" / "5").write_text("v1")  # planned, never committed: not resumed from
    (tmp_path / "state-of-foreach-batch").mkdir()  # a job's own files beside the queries
    settings = Settings("behavior-stats", engine="spark", checkpoint_dir=tmp_path)
    assert [(p.query, p.number) for p in engines.spark_checkpoints(tmp_path)] == [("dead-letters", 2), ("stats", 4)]
    assert engines.describe_start(settings) == f"resuming from checkpoint 2 (dead-letters), 4 (stats) in {tmp_path}"


def test_a_spark_query_that_committed_nothing_still_resumes_from_its_offsets(tmp_path: Path) -> None:
    """Spark fixes a query's start offsets in its checkpoint (sources/0) before the first batch ends."""
    (tmp_path / "stats" / "sources" / "0").mkdir(parents=True)
    (tmp_path / "stats" / "sources" / "0" / "0").write_text("v1")
    settings = Settings("behavior-stats", engine="spark", checkpoint_dir=tmp_path, start_from="latest")
    assert [(p.query, p.number) for p in engines.resume_points(settings)] == [("stats", -1)]
    assert engines.describe_start(settings).startswith("resuming from checkpoint - (stats: no batch committed yet)")


def test_a_resumed_run_counts_its_dead_letters_from_where_its_first_run_began(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The restored state counts every record since the first run; so must the live view's rejects."""
    workload = workloads.get("behavior-stats")
    settings = Settings(workload.name, engine="flink", checkpoint_dir=tmp_path, topics=workload.topic_names("r_"))
    monkeypatch.setattr(lifecycle, "dead_letters_in", lambda _settings, _topic: 25)  # the dead letters now
    lifecycle.remember_topics(settings)
    lifecycle.remember_rejects_baseline(settings, workload.job())  # a first run, with 25 old dead letters
    assert lifecycle.rejects_baseline(settings, workload.job()) == 25  # nothing to resume from: what is there
    monkeypatch.setattr(lifecycle, "dead_letters_in", lambda _settings, _topic: 40)  # 15 of the first run's
    flink_checkpoint(tmp_path, FIRST_RUN, 3)
    assert lifecycle.rejects_baseline(settings, workload.job()) == 25  # resumed: the first run's 15 count too
    other_topics = settings.with_(topics=workload.topic_names("s_"))
    assert lifecycle.rejects_baseline(other_topics, workload.job()) == 40  # a run that starts over


def test_dead_letters_are_counted_by_offsets_unless_a_transaction_wrote_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a whole topic each second is needed only where commit markers take offsets (exactly-once)."""
    monkeypatch.setattr(lifecycle.results, "topic_size", lambda _servers, _topic: 7)
    monkeypatch.setattr(lifecycle.results, "committed_records", lambda _servers, _topic: 5)
    settings = Settings("passthrough", engine="flink")
    assert lifecycle.dead_letters_in(settings, "letters") == 7
    assert lifecycle.dead_letters_in(settings.with_(delivery="exactly-once"), "letters") == 5


def test_a_named_savepoint_wins_over_the_folders_newest_checkpoint(tmp_path: Path) -> None:
    """`run --from-savepoint` (a rescale's last run): Flink restores the savepoint, whatever chk-N the folder holds."""
    flink_checkpoint(tmp_path, FIRST_RUN, 7)
    savepoint = tmp_path / "savepoints" / "savepoint-72a12a-0123456789ab"
    savepoint.mkdir(parents=True)
    (savepoint / "_metadata").write_bytes(b"\x00")
    settings = Settings(workload="behavior-stats", checkpoint_dir=tmp_path, savepoint=savepoint)
    assert engines.resume_points(settings) == [engines.Checkpoint(-1, savepoint, savepoint=True)]
    assert engines.describe_start(settings) == f"resuming from savepoint {savepoint}"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"engine": "spark"}, "Spark has no savepoints"),
        ({"bounded": True}, "a --bounded run starts over"),
        ({"savepoint_folder": "elsewhere"}, "holds a _metadata file"),
    ],
)
def test_a_savepoint_flag_that_cannot_be_honoured_is_refused(tmp_path: Path, changes: dict, message: str) -> None:
    savepoint = tmp_path / "savepoint-1"
    savepoint.mkdir()
    (savepoint / "_metadata").write_bytes(b"\x00")
    folder = tmp_path / changes.pop("savepoint_folder", "savepoint-1")
    with pytest.raises(LabError, match=message):
        Settings(workload="behavior-stats", savepoint=folder, **changes)


def test_a_spark_checkpoint_pins_the_shuffle_partitions_of_its_newest_batch(tmp_path: Path) -> None:
    """Spark's offset log: a version line, the batch's metadata (with the session conf it pins), a line per source."""
    query = tmp_path / "routed"
    assert engines.spark_pinned_conf(query) == {}
    (query / "offsets").mkdir(parents=True)
    for batch, partitions in ((9, "1"), (10, "1")):
        metadata = {"batchWatermarkMs": 0, "conf": {"spark.sql.shuffle.partitions": partitions}}
        (query / "offsets" / str(batch)).write_text(f'v1\n{json.dumps(metadata)}\n{{"t":{{"0":5}}}}\n')
    (query / "offsets" / ".10.crc").write_text("")
    assert engines.spark_pinned_conf(query) == {"spark.sql.shuffle.partitions": "1"}
