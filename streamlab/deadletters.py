"""What a job set aside, read back for people (`streamlab dead-letters`): each rejected or late record with its
reason and where it came from, and a count per reason first.

A streaming job writes its dead letters to a topic (sql/shared/dead_letters.sql: raw_value, reason,
source_topic, source_partition, source_offset); a batch job writes its rejected lines to CSV files beside its
result (raw_line, reason). Both are read through the job's rejects spec, the same reader the oracles' checks use.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from streamlab import results
from streamlab.errors import LabError
from streamlab.settings import Settings
from streamlab.workloads import Job

RAW_SHOWN = 60  # characters of a rejected record's text in the table


@dataclass(frozen=True)
class Letters:
    """One job's dead letters: where they were read from, and the records (filtered by reason, if asked)."""

    job: str
    source: str  # the topic or folder
    records: pd.DataFrame
    total: int  # before the reason filter


def read(settings: Settings, job: Job, reason: str = "") -> Letters:
    """The job's dead letters (every one, in the order written); reason: only those whose reason contains it."""
    spec = job.rejects_spec
    if spec is None:
        raise LabError(f"{settings.workload}'s job {job.name} sets nothing aside: it has no dead letters")
    source = ", ".join(spec.topics(settings)) if spec.is_topic else results.display_path(spec.directory(settings))
    records = results.read_result(spec, settings)
    total = len(records)
    if reason and not records.empty:
        records = records[records["reason"].astype(str).str.contains(reason, case=False, regex=False)]
    return Letters(job.name, source, records.reset_index(drop=True), total)


def counts(letters: Letters) -> list[dict[str, object]]:
    """Records per reason, most frequent first, with their share of the job's dead letters."""
    if letters.records.empty:
        return []
    per_reason = letters.records["reason"].astype(str).value_counts()
    return [
        {"reason": reason, "records": int(count), "share": f"{count / letters.total:.0%}"}
        for reason, count in per_reason.items()
    ]


def rows(letters: Letters, limit: int) -> list[dict[str, object]]:
    """The first `limit` records as a table: reason, where each came from, and its text, cut to RAW_SHOWN."""
    shown = []
    for record in letters.records.head(limit).to_dict("records"):
        raw = str(record.get("raw_value", record.get("raw_line", "")))
        row = {"reason": record["reason"]}
        if "source_topic" in record:  # a topic's dead letter: its position in the input
            row |= {"topic": record["source_topic"], "partition": record["source_partition"],
                    "offset": record["source_offset"]}  # fmt: skip
        row["record"] = raw if len(raw) <= RAW_SHOWN else raw[: RAW_SHOWN - 3] + "..."
        shown.append(row)
    return shown
