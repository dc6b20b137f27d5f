"""The verdict on a job's result: the pandas oracle over exactly the input the job read, compared with
what the job wrote and rejected (streamlab.compare), and said in a few words."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from streamlab import compare, kafka_admin, results
from streamlab.compare import Drops, Verdict
from streamlab.engines import RunningJob
from streamlab.settings import Settings
from streamlab.workloads import Job, input_topics, read_inputs

LATE = "late"  # a dead-letter reason starting with it: the engine's watermark had passed the record


def late_positions(letters: pd.DataFrame, settings: Settings, job: Job) -> set[tuple[str, int, int]]:
    """(topic, partition, offset) of every input record the engine dead-lettered as late."""
    if job.batch or letters.empty or not {"reason", *compare.REJECT_POSITION} <= set(letters.columns):
        return set()
    sources = set(input_topics(job, settings))
    late = letters[letters["source_topic"].isin(sources) & letters["reason"].astype(str).str.startswith(LATE)]
    return {
        (str(topic), int(partition), int(offset))
        for topic, partition, offset in late[["source_topic", "source_partition", "source_offset"]]
        .dropna()
        .itertuples(index=False)
    }


def oracle_answer(
    settings: Settings, job: Job, late: set[tuple[str, int, int]] = frozenset(), distinct: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the oracle's result, its rejects) over exactly the input the job read: the records the engine's
    watermark called late (`late`, their positions) left out. `distinct` names input roles whose records
    count once per value: an earlier stage's output, which an at-least-once sink writes again after a crash
    (streamlab chaos)."""
    inputs = read_inputs(job, settings)
    if distinct and not job.batch:
        inputs = [
            _first_of_each_value(records) if role in distinct else records
            for role, records in zip(job.input_roles, inputs, strict=True)
        ]
    if late:
        inputs = [[r for r in records if (r.topic, r.partition, r.offset) not in late] for records in inputs]
    return job.oracle_function()(*inputs)


def _first_of_each_value(records: list[Any]) -> list[Any]:
    """Records in order, each value's first one only: the copies a restart wrote again left out."""
    firsts: dict[bytes | None, Any] = {}
    for record in records:
        firsts.setdefault(record.value, record)
    return list(firsts.values())


def rejects_found(settings: Settings, job: Job) -> pd.DataFrame:
    """What the job rejected: its dead letters (every committed JSON record of the topics), or a file job's
    rejected lines."""
    spec = job.rejects_spec
    if spec is None:
        return pd.DataFrame()
    if not spec.is_topic:
        return results.read_result(spec, settings)
    return json_rows(settings, spec.topics(settings))


def json_rows(settings: Settings, topics: list[str]) -> pd.DataFrame:
    """Every committed record of the topics, one row per JSON object (tombstones and non-JSON left out):
    read_committed, as a consumer of an exactly-once sink's output must read."""
    rows = []
    for topic in topics:
        for record in kafka_admin.read_topic(settings.bootstrap_servers, topic, read_committed=True):
            try:
                value = json.loads(record.value) if record.value is not None else None
            except ValueError:
                continue
            if isinstance(value, dict):
                rows.append(value)
    return pd.DataFrame(rows)


def judge(
    settings: Settings,
    job: Job,
    table: pd.DataFrame | None = None,
    drops: Drops | None = None,
    restarted: bool = False,
    distinct: tuple[str, ...] = (),
) -> Verdict:
    """The job's result (read now, unless given) and its rejects against the oracle over exactly the input
    it read: what the engine's watermark called late is not in its result, by design, so records it
    dead-lettered as late are left out of the oracle's input too; rows it dropped without a trace (Spark says
    how many, not which) must account for every difference (compare.explained_by_drops)."""
    found = rejects_found(settings, job)
    late = late_positions(found, settings, job)
    expected, expected_rejects = oracle_answer(settings, job, late, distinct)
    if table is None:
        table = results.read_result(job.result, settings)
    identity = compare.REJECT_POSITION if not job.batch else compare.REJECTED_LINE
    return Verdict(
        compare.compare_rows(table, expected, job.result),
        compare.compare_dead_letters(found, expected_rejects, late, identity),
        job.result,
        drops=drops,
        restarted=restarted,
        table=table,
        expected=expected,
        expected_rejects=expected_rejects,
    )


def silent_drop_figures(running: RunningJob, dropped_records: int) -> Drops | None:
    """What a job that ended (or was drained) says about the late rows it dropped silently, if any."""
    if not dropped_records:
        return None
    return Drops(dropped_records, running.dropped_by_watermark(), running.final_watermark())


def verdict_words(verdict: Verdict, engine: str, over: str = "") -> str:
    """How an engine's result compares with pandas, in a few words (rich markup); `over` says over what
    input ('over all 1,000 records of user_behaviors')."""
    letters = verdict.dead_letters
    over = f" {over}" if over else ""
    late = f" ({letters.late:,} late record(s) routed to the dead letters and left out)" if letters.late else ""
    rejects = f"; its {letters.accounted:,} rejected record(s) are the oracle's" if letters.expected else ""
    if verdict.passed and verdict.explained_by_drops:
        drops = verdict.drops
        assert drops is not None
        return (
            f"[green]matches[/] the pandas oracle{over} but for the {drops.records:,} late record(s) {engine} "
            f"dropped ({len(verdict.rows.differences)} window(s) short by those, all closed by its final watermark "
            f"{drops.watermark}; it reported {drops.rows:,} dropped row(s) after pre-aggregation){rejects}"
        )
    if verdict.passed:
        return f"[green]matches[/] the pandas oracle{over}{late}{rejects}"
    return f"[red]differs from[/] the pandas oracle{over}: {verdict.rows.words()}; {letters.words()}"
