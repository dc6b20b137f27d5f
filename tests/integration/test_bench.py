"""`streamlab bench --profile tiny` end to end on the real broker: every kind of run, both engines, and
results.json with the fields the report and `bench compare` read. It asserts no speed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.commands import one_line, streamlab, succeeded

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN_FIELDS = {"engine", "variant", "workload", "kind", "rate", "events", "seconds", "events_per_s", "latency_ms",
              "cpu_cores_used", "rss_mb", "valid"}  # fmt: skip
PERCENTILES = {"p50", "p95", "p99", "p999", "max"}


def test_the_tiny_profile_measures_both_engines_and_writes_the_report(kafka_bootstrap: str, tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    shown = succeeded(
        streamlab("bench", "--profile", "tiny", "--out", str(folder), "--bootstrap-servers", kafka_bootstrap,
                  timeout_s=600)
    )  # fmt: skip
    assert "[10/10]" in shown and "medians of the valid runs" in one_line(shown)
    results = json.loads((folder / "results.json").read_text())
    assert results["failures"] == [] and results["finished"]
    assert results["conditions"]["parallelism"] == results["conditions"]["topic_partitions"] == 2
    assert "Apache Kafka broker" in results["versions"]
    for run in results["runs"]:
        assert set(run) >= RUN_FIELDS, run
        # A latency run is invalid when the generator fell behind its schedule or the output lagged past
        # the tail timeout: both are speeds of a busy machine (a CI run on 2 shared cores lost one), so
        # here an invalid run must only say why. Drains and ceilings are checked by counts, not speed.
        if run["kind"] in ("ceiling", "drain"):
            assert run["valid"], run
        else:
            assert run["valid"] or run["notes"], run
    for run in results["runs"]:  # a run left out of the medians is named in the console, with its reason
        if not run["valid"]:
            assert " ".join(run["notes"].split()) in one_line(shown), run
    kinds = {(run["kind"], run["engine"]) for run in results["runs"]}
    assert {("ceiling", "kafka"), ("ceiling", "relay")} <= kinds
    assert {("drain", "flink"), ("drain", "spark"), ("latency", "flink"), ("latency", "spark")} <= kinds
    assert {("sustainable", "flink"), ("sustainable", "spark")} <= kinds
    windowed = {run["engine"] for run in results["runs"] if run["workload"] == "windowed-messages"}
    assert windowed == {"flink", "spark"}  # drains only, every window's count checked (notes == "" below)
    for run in results["runs"]:
        if run["kind"] == "latency":
            assert set(run["latency_ms"]) == PERCENTILES
            assert run["output_records"] > 0 and run["harness_cores"] is not None
        if run["kind"] == "drain":  # checked against what was sent: every count right
            assert run["events"] == 20_000 and run["notes"] == ""
    report = (folder / "report.md").read_text()
    assert "## Targets" in report
    # The percentile plot shows valid latency runs only; without one the report must say so instead.
    if any(run["kind"] == "latency" and run["valid"] for run in results["runs"]):
        assert (folder / "latency_percentiles.png").is_file()
    else:
        assert "`latency_percentiles.png`: not drawn, no valid run to show" in report
    # `bench compare` on this run's own results and a copy with every drain twice as fast: the ratio shows
    faster = tmp_path / "faster"
    faster.mkdir()
    for run in results["runs"]:
        if run["kind"] == "drain":
            run["events_per_s"] *= 2
    (faster / "results.json").write_text(json.dumps(results))
    compared = one_line(succeeded(streamlab("bench", "compare", str(folder), str(faster))))
    assert "drain" in compared and "2.00" in compared
