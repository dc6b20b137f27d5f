"""The one comparison of an engine's result with its pandas oracle, in one vocabulary.

`demo`, `check` (both engines, or `--existing`: a result a `run` wrote), `chaos` and `bench` all judge a
result here (`run` itself prints the accounting line only: input = counted + rejected). Rows are matched
on the result's key columns (ResultSpec.key_columns) and compared on its value columns, floats within
rel_tolerance:

- correct:    a key both have, written once, with the oracle's values
- missing:    a key of the oracle the result lacks, or a row counting fewer records than the oracle's
              (count_column): records the job never counted
- extra:      a key the result has and the oracle has not
- wrong:      a key both have with other values (a higher count among them), or one key with two answers
- duplicated: copies of a row beyond the first (same key, same values): what an at-least-once sink
              writes again after a restart

Dead letters are matched on where each rejected record was read (topic, partition, offset) and its
reason; a file job's rejected lines on the line and its reason. Late records an engine routed to its
dead letters are left out of the oracle's input by the caller (streamlab.run.verdict), and counted here
as `late`; late records Spark dropped without a trace are `Drops`, which must explain every short window.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from streamlab.results import ResultSpec

REJECT_POSITION = ("source_topic", "source_partition", "source_offset", "reason")  # a dead letter's identity
REJECTED_LINE = ("raw_line", "reason")  # a file job's rejected line's identity


# ---- rows -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """A result against the oracle's rows (see the module docstring for each word)."""

    expected: int
    correct: int = 0
    missing: int = 0
    extra: int = 0
    wrong: int = 0
    duplicated: int = 0
    differences: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)  # the rows to show

    @property
    def agrees(self) -> bool:
        """Nothing missing, extra or wrong (copies are judged by the caller: see Verdict)."""
        return self.missing == self.extra == self.wrong == 0

    def words(self, unit: str = "rows") -> str:
        return (
            f"{self.correct:,} of {self.expected:,} {unit} correct, {self.missing:,} missing, {self.extra:,} extra, "
            f"{self.wrong:,} wrong, {self.duplicated:,} duplicated"
        )


def compare_rows(result: pd.DataFrame, expected: pd.DataFrame, spec: ResultSpec) -> Rows:
    keys, values = list(spec.key_columns), list(spec.value_columns)
    view = result.reindex(columns=keys + values)
    unique = view.drop_duplicates()
    duplicated = len(view) - len(unique)
    if unique.empty or expected.empty:  # nothing to merge on (and key dtypes may not match an empty frame)
        shown = (
            differences(unique, expected, keys, values, spec.rel_tolerance) if len(unique) or len(expected) else None
        )
        return Rows(len(expected), 0, len(expected), len(unique), 0, duplicated, _frame(shown))
    merged, same = paired_rows(unique, expected, keys, values, spec.rel_tolerance)
    both = merged["_merge"] == "both"
    lower = both & _lower(merged, spec.count_column)
    single = ~merged.duplicated(keys, keep=False)  # a key with two answers: neither can be taken for it
    return Rows(
        expected=len(expected),
        correct=int((single & both & same).sum()),
        missing=int((single & ((merged["_merge"] == "right_only") | lower)).sum()),
        extra=int((single & (merged["_merge"] == "left_only")).sum()),
        wrong=int((single & both & ~same & ~lower).sum()) + len(merged.loc[~single, keys].drop_duplicates()),
        duplicated=duplicated,
        # exact copies are `duplicated`, not differences: shown are the rows missing, extra or wrong
        differences=differences(unique, expected, keys, values, spec.rel_tolerance),
    )


def _frame(frame: pd.DataFrame | None) -> pd.DataFrame:
    return frame if frame is not None else pd.DataFrame()


def _lower(merged: pd.DataFrame, count_column: str) -> pd.Series:
    """Rows whose record count is below the oracle's: records the job never counted."""
    if not count_column:
        return pd.Series(False, index=merged.index)
    engine = pd.to_numeric(merged[f"{count_column}_engine"], errors="coerce")
    return engine < pd.to_numeric(merged[f"{count_column}_oracle"], errors="coerce")


def differences(
    actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], values: list[str], rel_tolerance: float = 0.0
) -> pd.DataFrame:
    """The rows where the two tables disagree (a key on one side only, other values, or a key written twice),
    with each value column as <name>_engine and <name>_oracle."""
    merged, same = paired_rows(actual, expected, keys, values, rel_tolerance)
    disagree = (merged["_merge"] != "both") | merged.duplicated(keys, keep=False) | ~same
    return merged[disagree].drop(columns="_merge").reset_index(drop=True)


def merge_on_keys(left: pd.DataFrame, right: pd.DataFrame, keys: list[str], **how: object) -> pd.DataFrame:
    """An outer merge on the key columns; an empty side (object columns) takes the other side's key types."""
    for frame, other in ((left, right), (right, left)):
        if frame.empty and not other.empty:
            for key in keys:
                frame[key] = frame[key].astype(other[key].dtype)
    return left.merge(right, on=keys, how="outer", **how)


def paired_rows(
    engine: pd.DataFrame, oracle: pd.DataFrame, keys: list[str], values: list[str], rel_tolerance: float = 0.0
) -> tuple[pd.DataFrame, pd.Series]:
    """The engine's rows and the oracle's merged on the keys (suffixes _engine, _oracle; `_merge` says which
    side has the key), and per merged row whether every value is the same."""
    columns = keys + values
    merged = merge_on_keys(
        engine.reindex(columns=columns), oracle.reindex(columns=columns), keys, suffixes=("_engine", "_oracle"),
        indicator=True,
    )  # fmt: skip
    same = pd.Series(True, index=merged.index)
    for name in values:
        same &= same_values(merged[f"{name}_engine"], merged[f"{name}_oracle"], rel_tolerance)
    return merged, same


def same_values(engine: pd.Series, oracle: pd.Series, rel_tolerance: float = 0.0) -> pd.Series:
    """Row by row: equal (floats within rel_tolerance, relative to the larger magnitude: engines add partial
    sums in their own order), or missing on both sides."""
    # compare values, not their text: a key missing on one side turns an int column into floats
    equal = (engine == oracle) | (engine.isna() & oracle.isna())
    if rel_tolerance and pd.api.types.is_numeric_dtype(engine) and pd.api.types.is_numeric_dtype(oracle):
        scale = pd.concat([engine.abs(), oracle.abs()], axis=1).max(axis=1)
        equal |= (engine - oracle).abs() <= rel_tolerance * scale
    return equal


# ---- dead letters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetters:
    """The rejected records found (dead letters, or a file job's rejected lines) against the oracle's."""

    expected: int  # records the oracle rejects
    accounted: int  # of those, found with the oracle's reason
    copies: int = 0  # found more than once (re-read after a restart by an at-least-once sink)
    unexpected: int = 0  # found, but the oracle does not reject them (so)
    late: int = 0  # dead-lettered as late: the engine's watermark had passed them (left out of the oracle)

    @property
    def missing(self) -> int:
        return self.expected - self.accounted

    def __add__(self, other: DeadLetters) -> DeadLetters:
        """The dead letters of two stages of a pipeline, each held to its own stage's oracle."""
        return DeadLetters(*(getattr(self, name) + getattr(other, name) for name in DEAD_LETTER_FIGURES))

    def words(self) -> str:
        late = f", {self.late:,} late" if self.late else ""
        return (
            f"{self.accounted:,} of {self.expected:,} rejected records accounted for, {self.missing:,} missing, "
            f"{self.copies:,} written twice, {self.unexpected:,} unexpected{late}"
        )


DEAD_LETTER_FIGURES = ("expected", "accounted", "copies", "unexpected", "late")


def compare_dead_letters(
    found: pd.DataFrame,
    expected: pd.DataFrame,
    late: set[tuple[str, int, int]] | frozenset = frozenset(),
    identity: tuple[str, ...] = REJECT_POSITION,
) -> DeadLetters:
    """found and expected identified by `identity` (REJECT_POSITION, or REJECTED_LINE for a file job);
    late: (topic, partition, offset) of the records the engine dead-lettered as late."""
    found_ids = Counter(_identities(found, identity))
    wanted = Counter(_identities(expected, identity))
    late_found = {key for key in found_ids if key[:3] in late} if identity == REJECT_POSITION else set()
    return DeadLetters(
        expected=sum(wanted.values()),
        accounted=sum(min(count, found_ids[key]) for key, count in wanted.items()),
        copies=sum(count - wanted.get(key, 1) for key, count in found_ids.items() if count > wanted.get(key, 1)),
        unexpected=sum(1 for key in found_ids if key not in wanted and key not in late_found),
        late=len(late_found),
    )


def _identities(frame: pd.DataFrame, identity: tuple[str, ...]) -> list[tuple]:
    rows = frame.reindex(columns=list(identity)).dropna()
    if identity == REJECT_POSITION:
        return [(str(t), int(p), int(o), str(r)) for t, p, o, r in rows.itertuples(index=False)]
    return [tuple(str(value) for value in row) for row in rows.itertuples(index=False)]


# ---- late rows an engine dropped without a trace ------------------------------------------------------


@dataclass(frozen=True)
class Drops:
    """What an engine that drops late rows silently (Spark) says about them, to hold its result to."""

    records: int  # input records missing from the result once everything was read
    rows: int  # rows its stateful operator reported dropped (after partial aggregation: <= records)
    watermark: str  # its final watermark, yyyy-MM-dd HH:mm:ss


def explained_by_drops(rows: Rows, drops: Drops | None, spec: ResultSpec) -> bool:
    """Whether the differences are what dropping late rows does, by the engine's own figures: every window
    short (none over), together by the missing records; at least one dropped row per short window and no
    more rows than records (a row stands for one window's records of one batch); and every short window
    closed by the final watermark."""
    diff = rows.differences
    if not (drops and drops.records and spec.count_column) or diff.empty or rows.extra or rows.duplicated:
        return False
    engine = diff[f"{spec.count_column}_engine"].fillna(0)
    oracle = diff[f"{spec.count_column}_oracle"].fillna(0)
    closed = not spec.window_end or bool((diff[spec.window_end] <= drops.watermark).all())
    return (
        bool((engine < oracle).all())
        and int((oracle - engine).sum()) == drops.records
        and len(diff) <= drops.rows <= drops.records
        and closed
    )


# ---- the verdict ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """A result and its rejects against the oracle over the same input.

    restarted: the job was killed and restarted (streamlab chaos). An at-least-once sink then writes again
    what it wrote since its last checkpoint: copies of rows and dead letters are reported, not failures.
    A run that was not restarted must write each once."""

    rows: Rows
    dead_letters: DeadLetters
    spec: ResultSpec
    drops: Drops | None = None
    restarted: bool = False
    table: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)  # the result judged
    expected: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)  # the oracle's rows
    expected_rejects: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)  # what it rejects

    @property
    def explained_by_drops(self) -> bool:
        return not self.rows.agrees and explained_by_drops(self.rows, self.drops, self.spec)

    @property
    def rows_agree(self) -> bool:
        copies_fine = self.restarted or self.rows.duplicated == 0
        return (self.rows.agrees or self.explained_by_drops) and copies_fine

    @property
    def passed(self) -> bool:
        letters = self.dead_letters
        letters_fine = letters.missing == letters.unexpected == 0 and (self.restarted or letters.copies == 0)
        return self.rows_agree and letters_fine
