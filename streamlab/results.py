"""Reading engine output back, whatever a job writes: an upsert topic, an append-only topic,
partitioned Parquet or CSV files. A job declares its result with a ResultSpec; `open_view`
gives the matching reader, which the live view refreshes and `results`/`check` read once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from kafka import TopicPartition

from streamlab import kafka_admin
from streamlab.errors import LabError
from streamlab.settings import Settings

UPSERT_TOPIC = "upsert-topic"  # a compacted topic: the latest value per key is the answer
APPEND_TOPIC = "append-topic"  # every record is a row (derived events, join results)
PARQUET = "parquet"  # a directory of Parquet files, Hive-partitioned (col=value/...)
CSV = "csv"  # a directory of headerless CSV part files
KINDS = (UPSERT_TOPIC, APPEND_TOPIC, PARQUET, CSV)


@dataclass(frozen=True)
class ResultSpec:
    """What a job writes and how its rows are compared with an oracle and shown to people."""

    kind: str
    key_columns: tuple[str, ...]  # one row per key; sorting and comparing go by it
    value_columns: tuple[str, ...]  # compared with the oracle
    extra_columns: tuple[str, ...] = ()  # shown but not compared (e.g. when the engine wrote the row)
    count_column: str = ""  # sums to the input records a row accounts for; "" = one record per row
    role: str = "output"  # topic results: the topic role it is written to
    also_roles: tuple[str, ...] = ()  # more topics holding rows of the same shape (one per strategy, say)
    subdir: str = ""  # directory results: below the run's output directory ("" = the directory itself)
    partition_by: tuple[str, ...] = ()  # Parquet partition columns, read back as strings
    rank_by: tuple[str, ...] = ()  # shown as the top rows by these columns, descending
    shown: tuple[str, ...] = ()  # the columns tables show (default: all of them)
    # when input records do not map to rows (a snapshot without a change makes no event), why not;
    # such a result is not checked for input = counted + rejected
    not_one_to_one: str = ""
    rel_tolerance: float = 0.0  # relative tolerance for float values (engines add in different orders)
    window_end: str = ""  # results per event-time window: the key column with the window's end
    # the column holding the newest event time a row includes (yyyy-MM-dd HH:mm:ss.SSS): the live view
    # shows how old it is, `streamlab bench` measures latency from it
    newest_event: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown result kind {self.kind!r}")

    @property
    def columns(self) -> list[str]:
        return [*self.key_columns, *self.value_columns, *self.extra_columns]

    @property
    def shown_columns(self) -> list[str]:
        return list(self.shown) or self.columns

    @property
    def is_topic(self) -> bool:
        return self.kind in (UPSERT_TOPIC, APPEND_TOPIC)

    @property
    def roles(self) -> tuple[str, ...]:
        """Topic results: the roles of every topic the rows are written to."""
        return (self.role, *self.also_roles)

    def topics(self, settings: Settings) -> list[str]:
        return [settings.topic(role) for role in self.roles]

    def counted(self, table: pd.DataFrame) -> int:
        """How many input records the rows account for."""
        if not self.count_column:
            return len(table)
        return int(table[self.count_column].sum()) if self.count_column in table else 0

    def directory(self, settings: Settings) -> Path:
        base = settings.required_output_dir()
        return base / self.subdir if self.subdir else base

    def where(self, settings: Settings) -> str:
        if self.is_topic:
            topics = self.topics(settings)
            return f"topic{'s' if len(topics) > 1 else ''} {', '.join(topics)}"
        return f"{self.kind} files under {display_path(self.directory(settings))}"


class ResultView(Protocol):
    """A reader that can be refreshed while the job writes (live view) or read once."""

    def refresh(self, complete: bool = False) -> None: ...

    def frame(self) -> pd.DataFrame: ...

    def close(self) -> None: ...


def open_view(spec: ResultSpec, settings: Settings) -> ResultView:
    if spec.is_topic:
        return TopicView(settings.bootstrap_servers, spec.topics(settings), upsert=spec.kind == UPSERT_TOPIC)
    if spec.kind == PARQUET:
        return FilesView(spec.directory(settings), lambda path: read_parquet_dir(path, spec.partition_by))
    return FilesView(spec.directory(settings), lambda path: read_csv_dir(path, spec.columns))


def read_result(spec: ResultSpec, settings: Settings) -> pd.DataFrame:
    """The result as it is now, sorted by its key."""
    view = open_view(spec, settings)
    try:
        view.refresh(complete=True)
        return sort_rows(view.frame(), spec)
    finally:
        view.close()


def sort_rows(table: pd.DataFrame, spec: ResultSpec) -> pd.DataFrame:
    keys = [name for name in spec.key_columns if name in table]
    return table.sort_values(keys, ignore_index=True) if keys and not table.empty else table


def top_rows(table: pd.DataFrame, spec: ResultSpec, limit: int) -> pd.DataFrame:
    """What a person wants to see of a large result: the top rows by rank_by, else the first by key."""
    if spec.rank_by and not table.empty and all(name in table for name in spec.rank_by):
        ranked = table.assign(_rank=table[list(spec.rank_by)].sum(axis=1))
        return ranked.sort_values(["_rank", *spec.key_columns], ascending=False).drop(columns="_rank").head(limit)
    return sort_rows(table, spec).head(limit)


class TopicView:
    """The JSON values of one or more topics, kept up to date by refresh().

    upsert=True keeps the latest value per key, as a compacted topic converges to (a null value,
    a tombstone, removes its key); it reads every partition from the beginning, so it sees that
    view whether or not the log cleaner has run yet. upsert=False keeps every record as a row.

    Always read_committed: a Flink job run with --delivery exactly-once writes in transactions, and
    only committed ones are its result (a killed run's aborted records would otherwise show up as
    duplicates); an at-least-once writer opens none, so nothing changes for it. Such a result shows
    up a checkpoint late, and its end offsets are the last stable ones (a read never waits on an open
    transaction).
    """

    def __init__(self, bootstrap_servers: str, topics: str | list[str], upsert: bool = True) -> None:
        self._consumer = kafka_admin.new_consumer(bootstrap_servers, isolation_level="read_committed")
        self._partitions = []
        for topic in [topics] if isinstance(topics, str) else topics:
            partitions = self._consumer.partitions_for_topic(topic)
            if not partitions:
                self._consumer.close()
                raise LabError(f"topic {topic!r} does not exist on {bootstrap_servers}")
            self._partitions += [TopicPartition(topic, p) for p in sorted(partitions)]
        self._consumer.assign(self._partitions)
        self._consumer.seek_to_beginning(*self._partitions)
        self._upsert = upsert
        self._latest: dict[bytes, dict[str, Any]] = {}
        self._rows: list[dict[str, Any]] = []
        self.records_read = 0

    def refresh(self, complete: bool = False, timeout_s: float = 120.0) -> None:
        """Read what has arrived, up to the end offsets at the time of the call.

        The live view reads what a few polls bring (complete=False) and comes back a second later;
        a one-off read (complete=True) goes on until it has reached those end offsets.
        """
        ends = self._consumer.end_offsets(self._partitions)
        deadline = time.monotonic() + timeout_s
        while any(self._consumer.position(tp) < ends[tp] for tp in self._partitions):
            batches = self._consumer.poll(timeout_ms=200)
            if not batches and not complete:
                break
            if time.monotonic() > deadline:
                raise LabError(f"reading {self._partitions[0].topic!r} did not reach its end within {timeout_s:.0f} s")
            for batch in batches.values():
                for message in batch:
                    self._apply(message.key, message.value)

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        self.records_read += 1
        if not self._upsert:
            if value is not None:
                self._rows.append(json.loads(value))
        elif key is not None:
            if value is None:
                self._latest.pop(key, None)
            else:
                self._latest[key] = json.loads(value)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self._latest.values()) if self._upsert else self._rows)

    def close(self) -> None:
        self._consumer.close()


class FilesView:
    """A directory an engine writes files into, re-read on every refresh.

    Files an engine has not committed yet are hidden (Flink's `.part-*.inprogress`, Spark's
    `.spark-staging-*`) or markers (`_SUCCESS`); readers skip both. A file that disappears
    while it is read (Spark replacing a partition) keeps the previous frame until the next refresh.
    """

    def __init__(self, directory: Path, reader: Any) -> None:
        self._directory = directory
        self._reader = reader
        self._frame = pd.DataFrame()

    def refresh(self, complete: bool = False) -> None:
        try:
            self._frame = self._reader(self._directory)
        except (FileNotFoundError, OSError) as error:
            if not self._frame.empty:
                return
            raise LabError(f"could not read {display_path(self._directory)}: {error}") from error

    def frame(self) -> pd.DataFrame:
        return self._frame

    def close(self) -> None:
        pass


def visible_files(directory: Path) -> list[Path]:
    """Committed data files below a directory: no hidden (.) or marker (_) files or folders."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file() and not any(part.startswith((".", "_")) for part in path.relative_to(directory).parts)
    )


def read_parquet_dir(directory: Path, partition_by: tuple[str, ...]) -> pd.DataFrame:
    """All committed Parquet files below a directory; partition columns come back as strings."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    files = visible_files(directory)
    if not files:
        return pd.DataFrame()
    partitioning = ds.partitioning(pa.schema([(name, pa.string()) for name in partition_by]), flavor="hive")
    dataset = ds.dataset([str(f) for f in files], format="parquet", partitioning=partitioning,
                         partition_base_dir=str(directory))  # fmt: skip
    return dataset.to_table().to_pandas()


def read_csv_dir(directory: Path, columns: list[str]) -> pd.DataFrame:
    """Headerless CSV part files (RFC 4180 quoting) as one frame; text stays text ("NA" is not missing)."""
    frames = [
        pd.read_csv(path, header=None, names=columns, keep_default_na=False, encoding="utf-8", dtype=str)
        for path in visible_files(directory)
        if path.stat().st_size > 0
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).apply(_numbers_if_numeric)


def _numbers_if_numeric(column: pd.Series) -> pd.Series:
    """A column whose every non-empty cell is a number becomes numeric (an empty cell, a SQL NULL, is NaN)."""
    filled = column[column != ""]
    numbers = pd.to_numeric(filled, errors="coerce")
    if filled.empty or numbers.isna().any():
        return column
    numeric = pd.to_numeric(column.replace("", None))
    return numeric


def newest_run_dir(candidates: list[Path]) -> Path | None:
    """Of several output directories, the one written most recently (None if none exists)."""
    existing = [path for path in candidates if visible_files(path)]
    return max(existing, key=lambda path: max(f.stat().st_mtime for f in visible_files(path)), default=None)


def topic_size(bootstrap_servers: str, topic: str) -> int:
    """Records ever appended to a topic (the sum of its end offsets); 0 if it does not exist."""
    try:
        return sum(kafka_admin.end_offsets(bootstrap_servers, topic).values())
    except LabError:
        return 0


def committed_records(bootstrap_servers: str, topic: str) -> int:
    """Committed records in a topic, counted by reading it (read_committed); 0 if it does not exist. Unlike
    topic_size, exact for a topic an exactly-once Flink sink writes: each of its transactions leaves a commit
    marker per partition, at an offset of its own, and an aborted one leaves records no reader sees. For the
    small topics (dead letters): a big one takes a while to read."""
    try:
        return len(kafka_admin.read_topic(bootstrap_servers, topic, read_committed=True))
    except LabError:
        return 0


def display_path(path: Path) -> str:
    """A path relative to the current directory when it is below it, for shorter messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
