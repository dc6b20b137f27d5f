"""`streamlab compare`: docs/ENGINES.md, the two engines side by side, generated from real runs.

For each workload it runs `streamlab check` (streamlab.crosscheck: one seeded input, each engine bounded in a
process of its own, both judged against pandas), whose runs also write the plan each engine ran
(`run --plan-out`). The page then sets out, per workload: the shared SQL, both plans trimmed (streamlab.plans),
Flink's changelog kinds against Spark's output mode, the state each keeps and when it drops it, the delivery
guarantee, the results beside the oracle, the bounded-run time, the records written per input record, and the
freshness the newest `make bench` measured. Every figure says which command produced it and when.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil

from streamlab import crosscheck, engines, kafka_admin, plans, results
from streamlab.crosscheck import EngineCheck
from streamlab.paths import REPO_ROOT, SQL_DIR
from streamlab.run.pairing import records_written
from streamlab.settings import AT_LEAST_ONCE, ENGINES, Settings
from streamlab.workloads import Job, Workload

PAGE = REPO_ROOT / "docs" / "ENGINES.md"
BENCH_FOLDERS = (REPO_ROOT / "docs" / "bench", REPO_ROOT / "benchmarks" / "results")
RESULT_ROWS = 8  # rows of the side-by-side table on the page
FOREACH_BATCH = (
    "`foreachBatch`: the query hands each micro-batch to the job's own function, which keeps what it needs itself "
    "(here the files it merges each batch into); Spark's state store holds nothing"
)


@dataclass(frozen=True)
class JobEvidence:
    """What one job's check left behind on both engines."""

    job: Job
    checks: dict[str, EngineCheck]
    plans: dict[str, str]  # engine -> the plan its run wrote
    inputs: dict[str, int]  # engine -> input records (or lines) it read
    written: dict[str, int]  # engine -> records (or rows) it wrote to its result
    micro_batches: int  # Spark's, committed in its checkpoint (0 for a batch job)


@dataclass(frozen=True)
class WorkloadEvidence:
    workload: Workload
    jobs: list[JobEvidence]
    measured: str  # when the check ran (UTC)


def gather(settings: Settings, workload: Workload, prefix: str, output_dir: Path | None) -> WorkloadEvidence:
    """Run the check of both engines (it raises when an engine differs from pandas) and collect its evidence."""
    measured = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    stages = workload.stages()
    checks = crosscheck.check_both_engines(settings, workload, stages, workload.producer_options(), prefix, None,
                                           output_dir)  # fmt: skip
    per_engine = crosscheck.engine_settings(settings, workload, prefix, output_dir=output_dir)
    found = []
    for index, job in enumerate(stages):
        by_engine = {check.engine: check for check in checks[index * len(ENGINES) : (index + 1) * len(ENGINES)]}
        own = {engine: crosscheck.stage_settings(per_engine[engine], job) for engine in ENGINES}
        found.append(
            JobEvidence(
                job=job,
                checks=by_engine,
                plans={e: _read(crosscheck.plan_path(workload, prefix, e, job)) for e in ENGINES},
                inputs={e: input_records(own[e], job) for e in ENGINES},
                written={e: records_written(own[e], job, len(by_engine[e].verdict.table)) for e in ENGINES},
                micro_batches=micro_batches(own["spark"]),
            )
        )
    return WorkloadEvidence(workload, found, measured)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def micro_batches(settings: Settings) -> int:
    """The micro-batches Spark committed (commits/0..N of each query's checkpoint)."""
    return sum(point.number + 1 for point in engines.spark_checkpoints(settings.resolved_checkpoint_dir))


def input_records(settings: Settings, job: Job) -> int:
    """Records in the job's input topics, or data lines of its input file (the header left out)."""
    if job.batch:
        with settings.required_input_path().open(encoding="utf-8", errors="replace") as lines:
            return max(sum(1 for _ in lines) - 1, 0)
    ends = [kafka_admin.end_offsets(settings.bootstrap_servers, settings.topic(role)) for role in job.input_roles]
    return sum(sum(partitions.values()) for partitions in ends)


# ---- the page ------------------------------------------------------------------------------------------


def page(evidence: Sequence[WorkloadEvidence], versions: dict[str, str], bench: BenchFreshness | None) -> str:
    memory = psutil.virtual_memory().total / 2**30
    machine = f"{psutil.cpu_count()} cores, {memory:.1f} GiB, {platform.system()} {platform.machine()}"
    wanted = ("Apache Flink (apache-flink)", "Apache Spark (pyspark)", "Apache Kafka broker", "Java")
    versions_line = "; ".join(f"{name} {versions[name]}" for name in wanted if name in versions)
    first = evidence[0].workload.name if evidence else "WORKLOAD"
    head = [
        "# Flink and Spark, side by side",
        "",
        f"Generated by `streamlab compare` (`make compare`) on {evidence[0].measured if evidence else '-'}, on "
        f"{machine}: {versions_line}. Do not edit it by hand: run `make compare` again.",
        "",
        f"For each workload, its `check` ran inside the command (`streamlab check {first}` for the first): the "
        "workload's producer wrote its seeded demo input once, each engine ran the job bounded, each in a process "
        "of its own, and both results were held to pandas over exactly that input. The plans are the ones those "
        "runs executed (`run --bounded --plan-out PATH`): Flink's optimized plan with each operator's changelog "
        "mode, Spark's physical plan of the running query's last micro-batch. Timings on a 2-core machine are "
        "noisy: compare the engines within a run, not across days.",
        "",
        summary_table(evidence),
        "",
    ]
    sections = [workload_section(one, bench) for one in evidence]
    return "\n".join([*head, *sections]).rstrip() + "\n"


def anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", name.lower().replace(" ", "-"))


def summary_table(evidence: Sequence[WorkloadEvidence]) -> str:
    rows = ["| workload | against pandas (Flink / Spark) | Flink changelog into the result | Spark output mode | "
            "bounded run, s (Flink / Spark) | records written per input (Flink / Spark) |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for one in evidence:
        main = one.jobs[-1]
        verdicts = " / ".join("matches" if main.checks[e].passed else "differs" for e in ENGINES)
        seconds = " / ".join(f"{sum(j.checks[e].seconds for j in one.jobs):.1f}" for e in ENGINES)
        per_input = " / ".join(_per_input(main, e) for e in ENGINES)
        rows.append(
            f"| [{one.workload.name}](#{anchor(one.workload.name)}) | {verdicts} | {_changelog(main)} | "
            f"{_output_mode(main)} | {seconds} | {per_input} |"
        )
    return "\n".join(rows)


def _per_input(job: JobEvidence, engine: str) -> str:
    read = job.inputs[engine]
    return f"{job.written[engine] / read:.2f}" if read else "-"


def _changelog(job: JobEvidence) -> str:
    kinds = plans.flink_changelog(job.plans["flink"])
    if not kinds:
        return "batch: a bounded table, no changelog" if job.job.batch else "-"
    return "; ".join(f"[{kind}] ({plans.changelog_words(kind)})" for kind in dict.fromkeys(kinds))


def _output_mode(job: JobEvidence) -> str:
    if job.job.batch:
        return "batch: no output mode"
    modes = plans.spark_output_modes(job.plans["spark"])
    return ", ".join(dict.fromkeys(modes)) or "-"


def workload_section(one: WorkloadEvidence, bench: BenchFreshness | None) -> str:
    workload = one.workload
    produced = f"`streamlab produce {workload.name} {' '.join(workload.demo_args)}`"
    intro = (
        f"{workload.summary}. Measured by `streamlab compare {workload.name}` on {one.measured}; its input: {produced}."
    )
    parts = [f"## {workload.name}", "", intro, ""]
    parts += sql_part(workload)
    for job in one.jobs:
        title = f"### Job `{job.job.name}`" if len(one.jobs) > 1 else "### The job"
        parts += [title, "", *plan_part(job), *modes_part(job, workload.name), *state_part(job), *delivery_part(job)]
        parts += [*results_part(job), *figures_part(one, job, bench)]
    return "\n".join(parts) + "\n"


def sql_part(workload: Workload) -> list[str]:
    folder = SQL_DIR / workload.name
    files = sorted(folder.glob("*.sql")) if folder.is_dir() else []
    shared = [f for f in files if not f.name.startswith(("flink_", "spark_"))]
    own = {engine: [f.name for f in files if f.name.startswith(f"{engine}_")] for engine in ENGINES}
    lines = ["### The SQL", ""]
    if shared:
        lines += ["Both engines run these files as they are (`${VAR}` placeholders filled in by the job):", ""]
        for file in shared:
            lines += [f"`sql/{workload.name}/{file.name}`:", "", "```sql", file.read_text().strip(), "```", ""]
    for engine, names in own.items():
        if names:
            links = ", ".join(f"[{name}](../sql/{workload.name}/{name})" for name in names)
            lines += [f"{engine.capitalize()} only (its dialect or its connectors differ): {links}.", ""]
    return lines


def plan_part(job: JobEvidence) -> list[str]:
    flink, spark = plans.flink_trimmed(job.plans["flink"]), plans.spark_trimmed(job.plans["spark"])
    return [
        "**Flink's plan** (the result's sink; every job's dead-letter sink is left out):",
        "",
        "```",
        flink or "(the run wrote no plan)",
        "```",
        "",
        "**Spark's plan** (the operator tree, then the operators that keep state or hold the watermark):",
        "",
        "```",
        spark or "(the run wrote no plan)",
        "```",
        "",
    ]


def modes_part(job: JobEvidence, workload: str) -> list[str]:
    if job.job.batch:
        return ["**Changelog and output mode.** A batch job: both engines read the whole file and write the "
                "result once; there is no changelog and no output mode.", ""]  # fmt: skip
    store_modes = ", ".join(dict.fromkeys(plans.spark_state_modes(job.plans["spark"])))
    no_data = plans.spark_no_data_batch(job.plans["spark"])
    lines = [
        f"**Changelog and output mode.** Flink's result sink takes {_changelog(job)}. Spark's query runs in output "
        f"mode {_output_mode(job)}.",
    ]
    if store_modes:
        lines[0] += (
            f" Its `StateStoreSave` says `{store_modes}` here, in the running query's plan. `streamlab explain spark "
            f"{workload}` plans the DataFrame before `writeStream` starts it, so it shows `Append` and "
            "`checkpoint = <unknown>`: placeholders, not the query's mode."
        )
    if no_data:
        lines[0] += (
            " The plan shown is of a micro-batch without data (its source is an empty `LocalTableScan`): Spark runs "
            "one after the last data when the watermark has moved, to close windows and drop their state."
        )
    lines += [
        "",
        "The changelog kinds are what Flink's operators emit: `I` insert, `UA`/`UB` update after and before, `D` "
        "delete; an upsert sink keeps only the newest row per key. Spark's output mode decides what each micro-batch "
        "writes: `append` only rows that are final, `update` the rows this batch changed, `complete` the whole "
        "result.",
        "",
    ]
    return lines


def state_part(job: JobEvidence) -> list[str]:
    if job.job.batch:
        return ["**State.** None across runs: a batch aggregation holds its hash table for the run only.", ""]
    flink, spark = plans.flink_state(job.plans["flink"]), plans.spark_state(job.plans["spark"])
    if plans.spark_foreach_batch(job.plans["spark"]):
        spark.append(FOREACH_BATCH)
    none = "none: every record is handled on its own"
    lines = ["**State** (the stateful operators of each plan, and when their state is dropped):", ""]
    lines += [f"- Flink: {'; '.join(flink) if flink else none}."]
    lines += [f"- Spark: {'; '.join(spark) if spark else none}.", ""]
    return lines


def delivery_part(job: JobEvidence) -> list[str]:
    if job.job.batch:
        return ["**Delivery.** A batch run writes its files once; a rerun writes a new run folder.", ""]
    into = "Kafka" if job.job.result.is_topic else "files"
    flink = (
        f"{AT_LEAST_ONCE} into Kafka (the lab's default `--delivery`): after a restart it writes again what it wrote "
        "since its last checkpoint; `--delivery exactly-once` writes in Kafka transactions committed with each "
        "checkpoint"
        if into == "Kafka"
        else "exactly-once into files: part files are committed with each checkpoint"
    )
    spark = (
        "at-least-once into Kafka, the only guarantee its Kafka sink offers: a micro-batch replayed after a restart "
        "is written again"
        if into == "Kafka"
        else "exactly-once into files: the file sink's `_spark_metadata` log lists the files of committed batches"
    )
    return [f"**Delivery.** Flink: {flink}. Spark: {spark}. `streamlab lesson delivery` shows both after a kill.", ""]


def results_part(job: JobEvidence) -> list[str]:
    checks = [job.checks[engine] for engine in ENGINES]
    table = crosscheck.side_by_side(checks[0].verdict.expected, checks, job.job.result)
    differing = int(table["differs"].ne("").sum()) if "differs" in table else 0
    shown = crosscheck.shown(table, RESULT_ROWS)
    lines = [
        f"**Results against pandas** (first {min(RESULT_ROWS, len(table))} of {len(table):,} (key, column) rows; "
        f"{differing:,} differ; {crosscheck.tolerance_words(job.job.result)}):",
        "",
        markdown_table(shown),
        "",
    ]
    lines += [f"- {_plain(crosscheck.summary_line(check, job.job))}" for check in checks]
    return [*lines, ""]


def _plain(text: str) -> str:
    """A line without rich's markup."""
    return re.sub(r"\[/?[a-z ]*\]", "", text)


def markdown_table(frame: pd.DataFrame) -> str:
    columns = [str(column) for column in frame.columns]
    rows = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for values in frame.itertuples(index=False):
        rows.append("| " + " | ".join(str(value).replace("|", "\\|") for value in values) + " |")
    return "\n".join(rows)


def figures_part(one: WorkloadEvidence, job: JobEvidence, bench: BenchFreshness | None) -> list[str]:
    cells = {
        "bounded run (process start to end)": {e: f"{job.checks[e].seconds:.1f} s" for e in ENGINES},
        "input records read": {e: f"{job.inputs[e]:,}" for e in ENGINES},
        "records written to the result": {
            e: f"{job.written[e]:,} ({_per_input(job, e)} per input record)" for e in ENGINES
        },
    }
    if job.micro_batches:
        cells["records written to the result"]["spark"] += f", in {job.micro_batches} micro-batch(es)"
    freshness = bench.cells(one.workload.name) if bench else None
    if freshness and job is one.jobs[-1]:
        cells[f"freshness, p50 / p99 (`streamlab bench`, {bench.date}, {bench.folder})"] = freshness
    lines = ["**Figures** (`streamlab compare`, " + one.measured + "):", "", "| | flink | spark |", "|---|---|---|"]
    lines += [f"| {name} | {values['flink']} | {values['spark']} |" for name, values in cells.items()]
    if job is one.jobs[-1] and not freshness:
        where = f"the newest bench ({bench.date}, {bench.folder})" if bench else "no bench results here yet"
        lines += ["", f"Freshness: not measured for this workload in {where}."]
    lines += ["", "Records written per input record: an upsert or update-mode result writes every update of a key; "
              "an append result writes each final row once. A bounded Spark run reads the whole input in few "
              "micro-batches, so its update mode writes each key about once per batch; live, with a micro-batch "
              f"every few hundred milliseconds, it writes far more (`streamlab demo both {one.workload.name}` "
              "shows both engines live).", ""]  # fmt: skip
    return lines


# ---- freshness from the newest bench ---------------------------------------------------------------------


@dataclass(frozen=True)
class BenchFreshness:
    """The newest bench's latency runs (the default variant of each engine), per workload."""

    folder: str
    date: str
    runs: list[dict]

    def cells(self, workload: str) -> dict[str, str] | None:
        """engine -> `p50 / p99 ms at R events/s` (medians over the repetitions at the lowest rate measured)."""
        found: dict[str, str] = {}
        for engine in ENGINES:
            own = [r for r in self.runs if r["workload"] == workload and r["engine"] == engine]
            if not own:
                return None
            rate = min(r["rate"] for r in own)
            at_rate = [r for r in own if r["rate"] == rate]
            p50 = statistics.median(r["latency_ms"]["p50"] for r in at_rate)
            p99 = statistics.median(r["latency_ms"]["p99"] for r in at_rate)
            runs = f"{len(at_rate)} run{'s' * (len(at_rate) > 1)}"
            found[engine] = f"{p50:,.0f} / {p99:,.0f} ms at {rate:,} events/s ({runs})"
        return found


def newest_bench(folders: Sequence[Path] = BENCH_FOLDERS) -> BenchFreshness | None:
    """The newest results.json (by when it finished) that holds latency runs."""
    newest: tuple[str, Path, list[dict]] | None = None
    for path in (p for folder in folders if folder.is_dir() for p in folder.glob("*/results.json")):
        try:
            report = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        runs = [r for r in report.get("runs", []) if r.get("kind") == "latency" and r.get("variant") == "default"
                and r.get("valid") and r.get("latency_ms")]  # fmt: skip
        finished = str(report.get("finished", ""))
        if runs and (newest is None or finished > newest[0]):
            newest = (finished, path, runs)
    if newest is None:
        return None
    finished, path, runs = newest
    return BenchFreshness(results.display_path(path.parent), finished[:10], runs)
