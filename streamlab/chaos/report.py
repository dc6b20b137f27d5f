"""What a chaos run did and what it found, as tables for people: the faults, then the final result against
the pandas oracle in the vocabulary of streamlab.compare (missing, extra, wrong, duplicated, dead letters)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from streamlab import compare, display
from streamlab.compare import Verdict
from streamlab.results import APPEND_TOPIC, UPSERT_TOPIC, ResultSpec
from streamlab.settings import AT_LEAST_ONCE


def raw_duplicates(records: pd.DataFrame, spec: ResultSpec) -> int:
    """Records in the output topic beyond one per distinct row (key and compared values): what a restart
    wrote again. In an upsert topic a key's successive values are not duplicates, the same value again is.
    A file result's raw output is its rows across every committed file (uncommitted ones are hidden)."""
    rows = records.reindex(columns=[*spec.key_columns, *spec.value_columns])
    return len(rows) - len(rows.drop_duplicates())


def rejected_records(rejects: list[pd.DataFrame]) -> int:
    """Input records some stage's oracle rejects, each once: a record two stages read (strategy-join's
    D_input) is rejected by both."""
    positions = [frame.reindex(columns=list(compare.REJECT_POSITION[:3])).dropna() for frame in rejects]
    return len({tuple(row) for frame in positions for row in frame.astype(str).itertuples(index=False)})


@dataclass(frozen=True)
class Kill:
    number: int
    at_record: int  # records sent when the tree was killed
    after_s: float  # seconds since the chaos run began
    processes: int  # processes in the tree (Python and the engine's JVM)
    checkpoint: str  # the newest completed checkpoint(s) then: what the restart must resume from


@dataclass(frozen=True)
class Outage:
    """One node killed with SIGKILL while the job ran, then started again: a Kafka broker (`cluster up`), or an
    engine cluster's worker (a Flink TaskManager, the Spark worker with its executor)."""

    node: int | str  # the broker's id, or the worker's process name
    down_at: int  # records sent when it was killed
    up_at: int  # records sent when its restart began
    dropped_s: float  # from the kill until the rest no longer listed it (its session or heartbeats timed out)
    down_s: float  # from the kill until it was back: every partition's ISR full, or its slots or cores offered
    kind: str = "broker"  # or "worker"
    events: tuple[str, ...] = ()  # what the engine did meanwhile, from its own REST API


@dataclass(frozen=True)
class Rescaling:
    """A job stopped at one parallelism with its state kept (Flink: a savepoint; Spark: its checkpoint) and resumed
    at another on the engine's cluster (`streamlab rescale`)."""

    from_parallelism: int
    to_parallelism: int
    at_record: int  # records sent when it was stopped
    kept_in: str  # the savepoint's folder, or the Spark checkpoint's newest committed batch
    stopped_s: float  # from the stop until the job ran again
    events: tuple[str, ...] = ()  # what the engine did, from its own REST API, progress and checkpoint


@dataclass(frozen=True)
class ChaosReport:
    engine: str
    workload: str
    result_kind: str
    kills: list[Kill]
    restarts_resumed: int  # restarts that said they resume from the checkpoint the folder held
    produced: int
    rejected: int  # records the oracle rejects
    verdict: Verdict  # the main job's result, and every stage's dead letters, against the oracle
    raw_duplicates: int
    caught_up: bool  # the last run read all of its input within the timeout
    seconds: float
    delivery: str = AT_LEAST_ONCE  # the sinks' guarantee (`run --delivery`)
    stages: int = 1  # jobs of the run (a pipeline's): the dead letters are those of every stage
    outage: Outage | None = None  # the Kafka node taken down and back (broker-down, or --broker-down)
    rescaled: Rescaling | None = None  # the stop and the resume at another parallelism (rescale)

    @property
    def passed(self) -> bool:
        return self.verdict.passed


def figures(report: ChaosReport) -> dict[str, object]:
    """The run's figures for programs (`chaos ... --report-json FILE`, the lessons): what the tables show."""
    rows, letters = report.verdict.rows, report.verdict.dead_letters
    return {
        "engine": report.engine, "workload": report.workload, "delivery": report.delivery, "passed": report.passed,
        "produced": report.produced, "rejected": report.rejected, "kills": len(report.kills),
        "kill_records": [kill.at_record for kill in report.kills], "restarts_resumed": report.restarts_resumed,
        "correct": rows.correct, "expected": rows.expected, "missing": rows.missing, "extra": rows.extra,
        "wrong": rows.wrong, "duplicated_in_final_view": rows.duplicated, "raw_duplicates": report.raw_duplicates,
        "dead_letters_accounted": letters.accounted, "dead_letters_expected": letters.expected,
        "seconds": round(report.seconds, 1),
    }  # fmt: skip


def report_rows(report: ChaosReport) -> list[dict[str, str]]:
    """The verdict as a table for people: measure, figure, what it means."""
    upsert = report.result_kind == UPSERT_TOPIC
    files = report.result_kind not in (UPSERT_TOPIC, APPEND_TOPIC)
    unit = "keys" if upsert else "rows"
    t, letters = report.verdict.rows, report.verdict.dead_letters
    rows = [
        *fault_rows(report),
        ("records produced", f"{report.produced:,}", f"{report.rejected:,} of them malformed: the oracle rejects them"),
        ("correct", f"{t.correct:,} of {t.expected:,} {unit}", "equal to the pandas oracle"),
        ("missing", f"{t.missing:,}", f"{unit} of the oracle absent, or counting fewer records than it"),
        ("extra", f"{t.extra:,}", f"{unit} the oracle does not have"),
        ("wrong", f"{t.wrong:,}", f"{unit} with other values, or two answers for one key"),
        (
            "duplicated in the final view",
            f"{t.duplicated:,}",
            "upsert: one value per key, by construction" if upsert else "rows present more than once",
        ),
        (
            "duplicates in the raw output files" if files else "duplicates in the raw output topic",
            f"{report.raw_duplicates:,}",
            f"rows beyond one per row across the committed {report.result_kind} files"
            if files
            else ("records beyond one per distinct key and value" if upsert else "records beyond one per row")
            + f", read read_committed ({report.delivery} sinks)",
        ),
        (
            "dead letters accounted for",
            f"{letters.accounted:,} of {letters.expected:,}",
            f"{letters.copies:,} written twice, {letters.unexpected:,} unexpected"
            + (f", {letters.late:,} late" if letters.late else "")
            + (f"; each stage's ({report.stages}) against its oracle" if report.stages > 1 else ""),
        ),
    ]
    return [{"measure": measure, "figure": figure, "what it means": meaning} for measure, figure, meaning in rows]


# per kind of node taken down: how the report's rows name its outage
OUTAGE_WORDS = {
    "broker": ("broker down", "`cluster up`", "out of the cluster after", "the others dropped it",
               "back in sync after", "every partition's ISR was full"),
    "worker": ("worker down", "started again", "dropped after", "its master no longer listed it",
               "back after", "it offered its slots or cores again"),
}  # fmt: skip


def fault_rows(report: ChaosReport) -> list[tuple[str, str, str]]:
    """What was done to the run: the job's kills and restarts, the broker taken down and back, or both."""
    rows = []
    restarts = len(report.kills)
    if report.rescaled is not None:
        return rescale_rows(report.rescaled)
    if restarts:
        rows += [
            ("kills", f"{restarts}", "SIGKILL to the engine's whole process tree, each after a checkpoint"),
            ("restarts resumed", f"{report.restarts_resumed} of {restarts}", "said: resuming from checkpoint N"),
        ]
    outage = report.outage
    if outage is not None:
        down, restart, dropped, dropped_by, back, back_when = OUTAGE_WORDS[outage.kind]
        rows += [
            (down, f"node {outage.node}" if outage.kind == "broker" else str(outage.node),
             f"SIGKILL at record {outage.down_at:,}, {restart} at record {outage.up_at:,}"),
            (dropped, f"{outage.dropped_s:.0f} s", f"from the kill until {dropped_by}"),
            (back, f"{outage.down_s:.0f} s", f"from the kill until {back_when}"),
            *[("the engine", "", event) for event in outage.events],
        ]  # fmt: skip
        if not restarts:
            rows.append(("the job", "running", "all along: never ended by itself, never restarted by this command"))
    return rows


def rescale_rows(rescaled: Rescaling) -> list[tuple[str, str, str]]:
    return [
        ("parallelism", f"{rescaled.from_parallelism} -> {rescaled.to_parallelism}",
         "Flink: tasks of every operator; Spark: cores of the executors (spark.cores.max)"),
        ("stopped at", f"record {rescaled.at_record:,}", "the producer wrote on while no job ran"),
        ("state kept in", rescaled.kept_in, "what the resumed job started from"),
        ("without a job", f"{rescaled.stopped_s:.0f} s", "from the stop until the job ran again"),
        *[("the engine", "", event) for event in rescaled.events],
    ]  # fmt: skip


def kill_rows(report: ChaosReport) -> list[dict[str, object]]:
    return [
        {"kill": k.number, "at record": k.at_record, "after s": f"{k.after_s:.0f}", "processes": k.processes,
         "newest checkpoint": k.checkpoint}
        for k in report.kills
    ]  # fmt: skip


def show(report: ChaosReport) -> None:
    if report.kills and report.rescaled is None:
        display.show(kill_rows(report), title=f"kills of {report.engine} {report.workload}")
    verdict = "[green]passed[/]" if report.passed else "[red]failed[/]"
    action = "kill-restart" if report.kills else "broker-down"
    if report.rescaled is not None:
        action = "rescale"
    elif report.outage is not None and report.outage.kind == "worker":
        action = "kill-worker"
    elif report.kills and report.outage is not None:
        action += f" with node {report.outage.node} down"
    command = action if report.rescaled else f"chaos {action}"
    display.show(
        report_rows(report),
        title=f"{command}: {report.engine} {report.workload} ({report.delivery}) against the pandas oracle",
        caption=f"{verdict}: missing, extra and wrong must be 0 and every rejected record in the dead letters; "
        f"{report.seconds:.0f} s in all"
        + ("" if report.caught_up else "; the last run had not read all of its input by the timeout"),
    )
    differences = report.verdict.rows.differences
    if not differences.empty:
        display.show(
            differences.head(20),
            title=f"the rows that differ from the oracle ({display.first_of(20, len(differences))})",
        )
