"""The report's pictures (matplotlib, no display needed): percentiles per engine and rate, latency over
time, throughput against latency, CPU and memory of each engine's process tree."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)
from matplotlib.patches import Patch  # noqa: E402

from benchmarks.grouping import median  # noqa: E402
from benchmarks.profiles import DEFAULTS  # noqa: E402

PERCENTILES = ("p50", "p99", "p999")
HATCHES = ("", "//", "xx")  # one per percentile: the bar's colour is its engine variant's
# One colour per engine variant in every panel of every picture: Flink in blues, Spark in reds.
COLOURS = {
    "flink/default": "#1f4e9c",
    "flink/buffer-5ms": "#4fa3d9",
    "flink/mini-batch": "#7b5ea7",
    "spark/default": "#c0392b",
    "spark/trigger-100ms": "#e67e22",
    "spark/real-time": "#8e5a3c",
}
LINE_STYLES = ("-", "--", ":", "-.")  # what else a line differs by (a rate, a workload), in sorted order


def colour(engine: str, variant: str) -> str:
    return COLOURS.get(f"{engine}/{variant}", "#7f7f7f")


def draw_all(results: dict, groups: dict, folder: Path) -> list[str]:
    """Draw every picture there is data for (valid runs only); returns the file names written."""
    drawn = []
    for name, draw in _pictures():
        figure = draw(results, groups)
        if figure is not None:
            figure.savefig(folder / name, dpi=110, bbox_inches="tight")
            plt.close(figure)
            drawn.append(name)
    return drawn


def _pictures() -> tuple[tuple, ...]:
    return (
        ("latency_percentiles.png", percentiles),
        ("latency_over_time.png", over_time),
        ("throughput_vs_latency.png", throughput_latency),
        ("resources.png", resources),
    )


def picture_names() -> list[str]:
    return [name for name, _ in _pictures()]


def _latency_keys(groups: dict) -> list[tuple]:
    return sorted((key for key in groups if key[0] == "latency"), key=lambda k: (k[1], k[4], k[2], k[3]))


def percentiles(results: dict, groups: dict) -> plt.Figure | None:

    keys = _latency_keys(groups)
    if not keys:
        return None
    workloads = sorted({key[1] for key in keys})
    rates = sorted({key[4] for key in keys})
    figure, axes = plt.subplots(len(workloads), len(rates), figsize=(4.2 * len(rates), 3.6 * len(workloads)),
                                squeeze=False, constrained_layout=True)  # fmt: skip
    for row, workload in enumerate(workloads):
        for column, rate in enumerate(rates):
            _percentile_bars(axes[row][column], groups, [k for k in keys if k[1] == workload and k[4] == rate])
            axes[row][column].set_title(f"{workload} at {rate:,}/s", fontsize=9)
    hatches = [Patch(facecolor="#9a9a9a", edgecolor="white", hatch=hatch, label=name)
               for name, hatch in zip(PERCENTILES, HATCHES, strict=True)]  # fmt: skip
    axes[0][0].legend(handles=hatches, fontsize=7)
    figure.suptitle("event-time latency percentiles, ms (median of repetitions; colour: engine variant)")
    return figure


def _percentile_bars(axis: plt.Axes, groups: dict, here: list[tuple]) -> None:
    if not here:
        axis.set_visible(False)
        return
    width = 0.8 / len(PERCENTILES)
    colours = [colour(key[2], key[3]) for key in here]
    for offset, (name, hatch) in enumerate(zip(PERCENTILES, HATCHES, strict=True)):
        values = [median(groups[key], "latency_ms", name) or 0 for key in here]
        axis.bar([i + offset * width for i in range(len(here))], values, width, color=colours, hatch=hatch,
                 edgecolor="white", label=name)  # fmt: skip
    axis.set_xticks([i + width for i in range(len(here))], [f"{k[2]}\n{k[3]}" for k in here], fontsize=7)
    axis.set_yscale("log")


def over_time(results: dict, groups: dict) -> plt.Figure | None:
    runs = [run for run in results["runs"] if run["kind"] == "latency" and run.get("latency_over_time")
            and f"{run['engine']}/{run['variant']}" in DEFAULTS and run["repetition"] == 1]  # fmt: skip
    if not runs:
        return None
    workloads = sorted({run["workload"] for run in runs})
    figure, axes = plt.subplots(len(workloads), 1, figsize=(9, 3.4 * len(workloads)), squeeze=False,
                                constrained_layout=True)  # fmt: skip
    rates = sorted({run["rate"] for run in runs})
    for axis, workload in zip(axes[:, 0], workloads, strict=True):
        for run in sorted((r for r in runs if r["workload"] == workload), key=lambda r: (r["engine"], r["rate"])):
            series = run["latency_over_time"]
            axis.plot([p["second"] for p in series], [p["p99"] for p in series], marker=".",
                      color=colour(run["engine"], run["variant"]), linestyle=_style(rates, run["rate"]),
                      label=f"{run['engine']} {run['rate']:,}/s")  # fmt: skip
        axis.set_yscale("log")
        axis.set_title(f"{workload}: p99 of each second (default variants, first repetition)", fontsize=9)
        axis.set_xlabel("second of the phase (after warm-up)")
        axis.set_ylabel("p99 ms")
        axis.legend(fontsize=7, ncol=2)
    return figure


def throughput_latency(results: dict, groups: dict) -> plt.Figure | None:
    keys = _latency_keys(groups)
    if not keys:
        return None
    workloads = sorted({key[1] for key in keys})
    figure, axes = plt.subplots(1, len(workloads), figsize=(5.5 * len(workloads), 4), squeeze=False,
                                constrained_layout=True)  # fmt: skip
    for axis, workload in zip(axes[0], workloads, strict=True):
        for variant in sorted({(key[2], key[3]) for key in keys if key[1] == workload}):
            points = sorted(key for key in keys if key[1] == workload and (key[2], key[3]) == variant)
            rates = [key[4] for key in points]
            axis.plot(rates, [median(groups[key], "latency_ms", "p99") for key in points], marker="o",
                      color=colour(*variant), label="/".join(variant))  # fmt: skip
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("input events/s")
        axis.set_ylabel("p99 latency ms")
        axis.set_title(workload, fontsize=9)
        axis.legend(fontsize=7)
    return figure


def resources(results: dict, groups: dict) -> plt.Figure | None:
    runs = [run for run in results["runs"] if run.get("resources") and run["repetition"] == 1
            and f"{run['engine']}/{run['variant']}" in DEFAULTS]  # fmt: skip
    if not runs:
        return None
    figure, (cores, memory) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, constrained_layout=True)
    workloads = sorted({run["workload"] for run in runs})
    for run in runs:
        series = run["resources"]
        line = {"label": f"{run['engine']} {run['workload']}", "color": colour(run["engine"], run["variant"]),
                "linestyle": _style(workloads, run["workload"])}  # fmt: skip
        cores.plot([p["t"] for p in series], [p["cores"] for p in series], **line)
        memory.plot([p["t"] for p in series], [p["rss_mb"] for p in series], **line)
    cores.set_ylabel("CPU cores")
    cores.set_title("engine process tree during the latency runs (start-up, probes, then each rate)", fontsize=9)
    memory.set_ylabel("RSS MB")
    memory.set_xlabel("seconds since the engine process started")
    cores.legend(fontsize=7)
    return figure


def _style(values: list, value: object) -> str:
    return LINE_STYLES[values.index(value) % len(LINE_STYLES)]
