"""report.md and its PNGs from a results.json: medians over repetitions, ratios to the relay ceiling,
the targets (held or missed, and by how much), and four plots."""

from __future__ import annotations

from pathlib import Path

from benchmarks.grouping import Key, grouped, load, median
from benchmarks.profiles import DEFAULTS, VARIANTS

TARGET_P99_MS = 100.0
TARGET_RATE = 5_000
TARGET_DRAIN_SHARE = 0.5
TARGET_HARNESS_SHARE = 0.10


def fmt(value: float | None, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{unit}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ---- tables -------------------------------------------------------------------------------------


def relay_ceiling(groups: dict[Key, list[dict]]) -> float | None:
    return median(groups.get(("ceiling", "passthrough", "relay", "jvm-relay", None), []), "events_per_s")


def ceiling_table(results: dict, groups: dict[Key, list[dict]]) -> str:
    rows = []
    for key, runs in sorted(groups.items(), key=str):
        if key[0] != "ceiling":
            continue
        speeds = [run["events_per_s"] for run in runs]
        rows.append([
            f"{key[2]} {key[3]}", fmt(median(runs, "events_per_s")), f"{min(speeds):,.0f}-{max(speeds):,.0f}",
            fmt(median(runs, "cpu_cores_used"), 2), fmt(median(runs, "events_per_s_per_core")),
            fmt(median(runs, "latency_ms", "p99"), 0, " ms") if runs[0]["latency_ms"] else "-", str(len(runs)),
        ])  # fmt: skip
    header = ["ceiling", "events/s (median)", "range", "cores used", "events/s per core", "p99", "runs"]
    return table(header, rows)


def drain_table(results: dict, groups: dict[Key, list[dict]]) -> str:
    ceiling = relay_ceiling(groups)
    rows = []
    for key, runs in sorted(groups.items(), key=str):
        if key[0] != "drain":
            continue
        speed = median(runs, "events_per_s")
        speeds = [run["events_per_s"] for run in runs]
        rows.append([
            key[1], f"{key[2]}/{key[3]}", fmt(runs[0]["events"]), fmt(speed), f"{min(speeds):,.0f}-{max(speeds):,.0f}",
            fmt(speed / ceiling, 2) if speed and ceiling else "-", fmt(median(runs, "events_per_s_per_core")),
            fmt(median(runs, "startup_s"), 1, " s"), fmt(median(runs, "seconds"), 1, " s"),
            fmt(median(runs, "write_amplification"), 4), fmt(median(runs, "rss_mb")), str(len(runs)),
        ])  # fmt: skip
    header = ["workload", "engine", "events", "events/s", "range", "x relay", "events/s per core", "startup",
              "drain", "outputs per event", "peak RSS MB", "runs"]  # fmt: skip
    return table(header, rows)


def latency_table(results: dict, groups: dict[Key, list[dict]], kind: str = "latency") -> str:
    cpus = results["machine"]["cpus"] or 1
    rows = []
    for key, runs in sorted(groups.items(), key=lambda item: (item[0][1], item[0][2], item[0][3], item[0][4] or 0)):
        if key[0] != kind:
            continue
        percentiles = [fmt(median(runs, "latency_ms", name), 0) for name in ("p50", "p95", "p99", "p999", "max")]
        harness = median(runs, "harness_cores")
        growing = sum(1 for run in runs if run.get("latency_growing"))
        rows.append([
            key[1], f"{key[2]}/{key[3]}", fmt(key[4]), *percentiles, fmt(median(runs, "output_records")),
            fmt(median(runs, "write_amplification"), 3), fmt(median(runs, "cpu_cores_used"), 2),
            fmt(harness / cpus * 100, 1, " %") if harness is not None else "-", f"{len(runs)}" + (
                f" ({growing} growing)" if growing else ""),
        ])  # fmt: skip
    header = ["workload", "engine", "events/s", "p50 ms", "p95", "p99", "p99.9", "max", "samples",
              "outputs per event", "engine cores", "harness CPU", "runs"]  # fmt: skip
    return table(header, rows)


def sustainable_table(results: dict) -> str:
    rows = [
        [run["workload"], f"{run['engine']}/{run['variant']}", fmt(run["rate"]), fmt(run["latency_ms"].get("p99")),
         run["notes"]]
        for run in results["runs"] if run["kind"] == "sustainable"
    ]  # fmt: skip
    return table(["workload", "engine", "highest rate that held", "p99 ms there", "steps"], rows) if rows else ""


BATCH_PARTS = ("triggerExecution", "addBatch", "walCommit", "commitOffsets", "queryPlanning", "latestOffset",
               "getBatch")  # fmt: skip


def spark_time_table(results: dict) -> str:
    """Spark's own account of a micro-batch (durationMs of its progress reports), per latency run's queries:
    the evidence for where its latency comes from."""
    rows, seen = [], set()
    for run in results["runs"]:
        key = (run["workload"], run["variant"])
        if run["kind"] != "latency" or run["engine"] != "spark" or key in seen or not run.get("time_breakdown_ms"):
            continue
        seen.add(key)
        for query, parts in sorted(run["time_breakdown_ms"].items()):
            rows.append([run["workload"], run["variant"], query, *(fmt(parts.get(part)) for part in BATCH_PARTS),
                         fmt(parts.get("batches"))])  # fmt: skip
    header = ["workload", "variant", "query", *(f"{part} ms" for part in BATCH_PARTS), "batches"]
    return table(header, rows) if rows else ""


def not_run(results: dict) -> str:
    lines = [f"- {run['engine']}/{run['variant']} on {run['workload']}: **not supported**: {run['notes']}"
             for run in results["runs"] if run.get("supported") is False]  # fmt: skip
    lines += [f"- {item['variant']} on {item['workload']}: not run: {item['reason']}" for item in results["skipped"]]
    lines += [f"- invalid run: {run['engine']}/{run['variant']} {run['workload']} {run['kind']} "
              f"{fmt(run['rate'])}: {run['notes']}"
              for run in results["runs"] if not run["valid"] and run.get("supported") is not False]  # fmt: skip
    lines += [f"- failed: {failure['run']}: {failure['error']}" for failure in results["failures"]]
    return "\n".join(lines) or "- nothing: every planned run ran and was valid"


# ---- targets ------------------------------------------------------------------------------------


def targets(results: dict, groups: dict[Key, list[dict]]) -> list[str]:
    lines = []

    def p99(workload: str, label: str, rate: int) -> float | None:
        engine, variant = label.split("/")
        return median(groups.get(("latency", workload, engine, variant, rate), []), "latency_ms", "p99")

    for workload, label, wording in (
        ("behavior-stats", "flink/default", "Flink behavior-stats p99"),
        ("behavior-stats", "flink/buffer-5ms", "Flink behavior-stats, buffer timeout 5 ms, p99"),
        ("passthrough", "spark/real-time", "Spark real-time trigger, passthrough, p99"),
    ):
        value = p99(workload, label, TARGET_RATE)
        lines.append(_target(f"{wording} <= {TARGET_P99_MS:.0f} ms at {TARGET_RATE:,}/s", value, TARGET_P99_MS, "ms",
                             lower_is_better=True))  # fmt: skip
    for workload in ("behavior-stats", "passthrough"):
        value = p99(workload, "spark/default", TARGET_RATE)
        lines.append(f"- Spark default micro-batch p99 on {workload} at {TARGET_RATE:,}/s: {fmt(value)} ms (reported)")
    ceiling = relay_ceiling(groups)
    for key, runs in sorted(groups.items(), key=str):
        if key[0] == "drain" and ceiling:
            share = median(runs, "events_per_s") / ceiling
            lines.append(_target(f"{key[2]}/{key[3]} {key[1]} drain >= {TARGET_DRAIN_SHARE:.0%} of the relay",
                                 share * 100, TARGET_DRAIN_SHARE * 100, "%", lower_is_better=False))  # fmt: skip
    lines.append(_harness_target(results))
    return lines


def _target(what: str, value: float | None, limit: float, unit: str, lower_is_better: bool) -> str:
    if value is None:
        return f"- {what}: not measured"
    held = value <= limit if lower_is_better else value >= limit
    verdict = "**holds**" if held else f"**missed** by {abs(value - limit):,.0f} {unit}"
    return f"- {what}: {value:,.0f} {unit}, {verdict}"


def _harness_target(results: dict) -> str:
    """The worst harness share among the runs at the highest rate reported (sustainable steps included)."""
    live = [run for run in results["runs"] if run["kind"] == "latency" and run["valid"]]
    live += [step for run in results["runs"] if run["kind"] == "sustainable" for step in run.get("steps", [])
             if step["valid"] and step.get("harness_cores") is not None]  # fmt: skip
    if not live:
        return "- harness overhead: not measured"
    top = max(run["rate"] for run in live)
    cores = max((run.get("harness_cores") or 0.0) for run in live if run["rate"] == top)
    share = cores / (results["machine"]["cpus"] or 1)
    verdict = "**holds**" if share < TARGET_HARNESS_SHARE else f"**missed** by {(share - TARGET_HARNESS_SHARE):.1%}"
    return (f"- harness (generator + collector) below {TARGET_HARNESS_SHARE:.0%} of the machine's CPU at "
            f"{top:,}/s: {share:.1%} ({cores:.2f} cores), {verdict}")  # fmt: skip


# ---- the report ---------------------------------------------------------------------------------


def write(folder: Path) -> Path:
    """report.md (and the PNGs it shows) beside results.json; returns the report's path."""
    from benchmarks import plots

    results = load(folder)
    groups = grouped(results)
    pictures = plots.draw_all(results, groups, folder)
    conditions = results["conditions"]
    profile = conditions["profile"]
    sections = [
        f"# streamlab benchmark, profile `{profile['name']}`, {results['started'][:10]}",
        _setting_lines(results),
        "## Ceiling: Kafka's perf tools and a relay without an engine\n\n" + ceiling_table(results, groups),
        f"## Drain: {profile['drain_events']:,} preloaded events, `--bounded`\n\n"
        "Time from the job's submission to its end, when the output holds every event (checked against what "
        "was sent); start-up (process start to submission) apart.\n\n" + drain_table(results, groups),
        f"## Latency at fixed rates (warm-up {profile['warmup_s']} s, then {profile['measure_s']} s measured)\n\n"
        "Output record's append time (LogAppendTime) minus the newest event time it includes; the event time is "
        "the generator's scheduled send time.\n\n" + latency_table(results, groups),
    ]
    spark_time = spark_time_table(results)
    if spark_time:
        sections.append(
            "## Where a Spark micro-batch's time goes\n\nMedians over the micro-batches that read data, from "
            "Spark's progress reports of one run per variant (all its rates): triggerExecution is the whole batch, "
            "walCommit and commitOffsets its two checkpoint writes, addBatch the query and the sink.\n\n" + spark_time
        )
    sustainable = sustainable_table(results)
    if sustainable:
        sections.append("## Sustainable throughput\n\n" + sustainable)
    sections += [
        "## Targets\n\n" + "\n".join(targets(results, groups)),
        "## Not run, not supported, invalid\n\n" + not_run(results),
        "## Plots\n\n" + plot_lines(pictures),
        "## Variants\n\n" + "\n".join(f"- `{label}`: {VARIANTS[label].why}" for label in conditions["variants"]),
    ]
    report = folder / "report.md"
    report.write_text("\n\n".join(sections) + "\n")
    return report


def plot_lines(pictures: list[str]) -> str:
    """The pictures drawn, and a line for each one left out: it had no valid run to show (a busy machine
    can make every latency run of a small profile invalid)."""
    from benchmarks import plots

    lines = [f"![{name}]({name})" for name in pictures]
    lines += [f"- `{name}`: not drawn, no valid run to show" for name in plots.picture_names() if name not in pictures]
    return "\n\n".join(lines)


def _placement(conditions: dict) -> str:
    """Where the engines ran: in the job's process (local mode), or on the clusters `bench --cluster` named."""
    clusters = conditions.get("clusters") or {}
    if not clusters:
        return "engines in local mode"
    return "engines on their own clusters (" + ", ".join(f"{e} {url}" for e, url in sorted(clusters.items())) + ")"


def _setting_lines(results: dict) -> str:
    conditions, machine = results["conditions"], results["machine"]
    versions = ", ".join(f"{name} {value}" for name, value in results["versions"].items())
    return "\n".join([
        f"- machine: {machine['cpus']} CPUs, {machine['memory_gib']} GiB, {machine['platform']}; one broker at "
        f"{results['bootstrap_servers']}; {_placement(conditions)}, one at a time",
        f"- parallelism {conditions['parallelism']} (Flink parallelism = Spark local cores = shuffle partitions = "
        f"topic partitions); delivery {conditions['delivery_guarantee']}; Flink checkpoints every "
        f"{conditions['flink_checkpoint_interval']}; Spark: {conditions['spark_checkpoint']}",
        f"- repetitions: {conditions['profile']['repetitions']} (medians of the valid runs; defaults "
        f"{', '.join(DEFAULTS)})",
        f"- versions: {versions}",
        f"- started {results['started']}, finished {results['finished'] or '(interrupted)'}",
    ])  # fmt: skip
