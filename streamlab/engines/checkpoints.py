"""What a restarted job resumes from: Flink's newest completed checkpoint (or the savepoint `run
--from-savepoint` names), or the batches each Spark query committed, read from the checkpoint folder; and
the line `run` prints about it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from streamlab.settings import Settings


@dataclass(frozen=True)
class Checkpoint:
    """What a restarted job resumes from: Flink's newest completed chk-N, or the newest batch a Spark
    query committed (one per query: each keeps its own checkpointLocation, see spark_checkpoint)."""

    number: int  # Flink's checkpoint id; Spark's batch id, -1 for a query that committed none yet
    path: Path  # Flink: the chk-N folder (execution.state-recovery.path); Spark: the query's folder
    query: str = ""  # Spark: the streaming query it belongs to
    savepoint: bool = False  # Flink: a savepoint named by `run --from-savepoint` (its number is not shown)


FLINK_CHECKPOINT = re.compile(r"chk-(\d+)")


def latest_flink_checkpoint(folder: Path) -> Checkpoint | None:
    """The newest completed checkpoint under folder/<job-id>/chk-N (Flink 2.x's layout), or None.

    A chk-N is complete once Flink has written its _metadata, the last file of a checkpoint; a job
    killed while checkpointing leaves one without. Each run is a new job id, so there may be several.
    The newest is the highest N: a job restored from chk-N numbers its own checkpoints from N+1, so the
    numbers grow along the chain of restarts, where modification times change with a copy of the folder
    (and the clock). _metadata's modification time only breaks a tie, which only runs that did not
    restore (started over in a folder nobody cleared) can make."""
    completed = [
        Checkpoint(int(match[1]), chk)
        for chk in folder.glob("*/chk-*")
        if (match := FLINK_CHECKPOINT.fullmatch(chk.name)) and (chk / "_metadata").is_file()
    ]
    return max(completed, key=lambda chk: (chk.number, (chk.path / "_metadata").stat().st_mtime), default=None)


def spark_checkpoints(folder: Path) -> list[Checkpoint]:
    """Each query folder (spark_checkpoint) Spark resumes from, with its newest committed batch id
    (commits/N). A query that started but committed no batch resumes too: its checkpoint holds the
    offsets it started from (sources/N/0) and the batch it had planned (offsets/), so it is listed with -1."""
    found = []
    for query in sorted(path for path in folder.glob("*") if path.is_dir()):
        committed = [int(log.name) for log in query.glob("commits/*") if log.name.isdigit()]
        if committed or _log_entries(query, "offsets/*") or _log_entries(query, "sources/*/*"):
            found.append(Checkpoint(max(committed, default=-1), query, query.name))
    return found


def _log_entries(query: Path, pattern: str) -> list[Path]:
    """The entries of a Spark metadata log, files named by a batch number. Only those count: Spark makes a
    source's folder (sources/0) before it asks Kafka where --from is, and writes each entry as a hidden
    temporary file (.0.<uuid>.tmp) renamed when complete; a query stopped before either resumes from nothing."""
    return [entry for entry in query.glob(pattern) if entry.name.isdigit() and entry.is_file()]


def spark_pinned_conf(query_folder: Path) -> dict[str, str]:
    """The session settings a Spark query's checkpoint pins (spark.sql.shuffle.partitions among them): Spark's
    offset log, offsets/N, is a version line, then a JSON line of metadata whose "conf" a restarted query takes
    over whatever its new session says, then a line per source. {} before the first batch is planned."""
    batches = [log for log in query_folder.glob("offsets/*") if log.name.isdigit()]
    if not batches:
        return {}
    newest = max(batches, key=lambda log: int(log.name))
    lines = newest.read_text(encoding="utf-8").splitlines()
    return dict(json.loads(lines[1]).get("conf", {})) if len(lines) > 1 else {}


def resume_points(settings: Settings) -> list[Checkpoint]:
    """What the job these settings describe resumes from when it starts; [] when it starts from --from.
    Bounded runs and batch jobs start over: their folder is cleared first (streamlab.run.lifecycle.start_job)."""
    folder = settings.resolved_checkpoint_dir
    if settings.engine == "spark":
        return spark_checkpoints(folder)
    if settings.savepoint is not None:  # named: it wins over every chk-N of the folder
        return [Checkpoint(-1, settings.savepoint, savepoint=True)]
    latest = latest_flink_checkpoint(folder) if not settings.bounded else None
    return [latest] if latest else []


def describe_start(settings: Settings) -> str:
    """'resuming from checkpoint N' (Flink's chk-N, Spark's newest committed batch of each query), or
    'no checkpoint: starting from earliest|latest' (--from)."""
    points = resume_points(settings)
    if not points:
        return f"no checkpoint: starting from {settings.start_from}"
    if points[0].savepoint:
        return f"resuming from savepoint {points[0].path}"
    if settings.engine == "flink":
        return f"resuming from checkpoint {points[0].number} ({points[0].path})"
    batches = ", ".join(
        f"{point.number} ({point.query})" if point.number >= 0 else f"- ({point.query}: no batch committed yet)"
        for point in points
    )
    return f"resuming from checkpoint {batches} in {settings.resolved_checkpoint_dir}"
