"""`streamlab demo both WORKLOAD`: both engines live on one input at once, and one table that sets them side by
side: what each counted and set aside, what it did with late records, how fresh its result was while the input
flowed, how many records it wrote, and whether it matches pandas. No lining up of two separate runs.

Both jobs read the same input topics, which one producer writes; each writes topics of its own, named as
`check` names them (crosscheck.engine_topics: check_flink_..., check_spark_...), so `streamlab dead-letters
WORKLOAD --engine E` reads what each set aside. Both run on this machine's cores at once: at the demo's rates
neither is short of CPU, but a heavier input would have them compete.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from streamlab import kafka_admin
from streamlab.compare import Verdict
from streamlab.run.live import Progress
from streamlab.settings import Settings
from streamlab.workloads import Job


@dataclass(frozen=True)
class Side:
    """One engine's run of the pair, once it has been drained and judged."""

    engine: str
    progress: Progress
    verdict: Verdict
    written: int  # records in its result topics (an upsert topic holds every update), or rows in its files
    ages_s: tuple[float, ...]  # its newest counted event's age, sampled each second while the producer ran


def records_written(settings: Settings, job: Job, rows: int) -> int:
    """Records the job wrote to its result: every record of its topics (an upsert topic's updates included, until
    compaction), or the rows of its files."""
    if not job.result.is_topic:
        return rows
    ends = [kafka_admin.end_offsets(settings.bootstrap_servers, topic) for topic in job.result.topics(settings)]
    return sum(sum(partitions.values()) for partitions in ends)


def summary_rows(sides: list[Side]) -> list[dict[str, str]]:
    """measure | flink | spark | what it means."""
    measures = [
        ("input records", lambda s: f"{s.progress.input_records:,}", "read from the shared input topics"),
        ("counted", lambda s: f"{s.progress.counted:,}", "input records the result includes"),
        ("dead letters", lambda s: f"{s.progress.rejected:,}", "malformed records set aside, with a reason"),
        ("late records", _late, "Flink routes them to its dead letters; Spark drops them at its watermark"),
        ("freshness while producing", _freshness, "age of the newest event in the result, sampled each second"),
        ("records written", _written, "result records per input record: an upsert topic gets every update"),
        ("against pandas", lambda s: "matches" if s.verdict.passed else "differs", "the oracle over the same input"),
    ]
    return [
        {"measure": name, **{side.engine: value(side) for side in sides}, "what it means": meaning}
        for name, value, meaning in measures
    ]


def _late(side: Side) -> str:
    drops = side.verdict.drops
    if drops is not None and drops.records:
        return f"{drops.records:,} dropped (Spark reported {drops.rows:,} row(s) dropped)"
    late = side.verdict.dead_letters.late
    return f"{late:,} routed to the dead letters" if late else "none routed or dropped"


def _freshness(side: Side) -> str:
    if not side.ages_s:
        return "-"
    return f"median {statistics.median(side.ages_s):.1f} s, worst {max(side.ages_s):.1f} s"


def _written(side: Side) -> str:
    per_input = side.written / side.progress.input_records if side.progress.input_records else 0
    return f"{side.written:,} ({per_input:.2f} per input record)"
