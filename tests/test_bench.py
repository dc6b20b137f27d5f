"""The benchmark's arithmetic on synthetic data: latency, percentiles, the "fell behind" rule, the
growth rule, the event text, the report's medians and targets, and `bench compare`. No engine, no broker."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from benchmarks import compare, grouping, harness, latency, outputs, report, runs
from benchmarks.collector import EventTimes
from benchmarks.events import Events, Expected
from benchmarks.latency import Samples
from benchmarks.profiles import PROFILES, VARIANTS
from producers.windowed_messages import message


def test_latency_is_append_time_minus_the_newest_event_time() -> None:
    samples = Samples(np.array([1_100, 1_250, 2_000]), np.array([1_000, 1_200, 1_000]))
    assert list(samples.latency_ms) == [100, 50, 1_000]


def test_percentiles_come_from_the_histogram_within_its_precision() -> None:
    values = np.arange(1, 10_001)  # 1..10,000 ms, one each
    figures = latency.percentiles(latency.histogram(values))
    assert figures["p50"] == pytest.approx(5_000, rel=1e-3)
    assert figures["p99"] == pytest.approx(9_900, rel=1e-3)
    assert figures["p999"] == pytest.approx(9_990, rel=1e-3)
    assert figures["max"] == pytest.approx(10_000, rel=1e-3)
    assert latency.percentiles(latency.histogram([])) == {}


def test_a_zero_and_a_negative_latency_count_as_zero() -> None:
    """The broker's clock is the generator's: a result cannot precede its event by more than rounding."""
    figures = latency.percentiles(latency.histogram([-1, 0, 0.4]))
    assert figures["max"] == 0


def test_warm_up_is_left_out_by_event_time() -> None:
    samples = Samples(np.array([150, 1_150, 2_150]), np.array([100, 1_100, 2_100]))
    measured = samples.between(1_000, 2_000)
    assert list(measured.event_ms) == [1_100]


def test_latency_over_time_is_per_second_of_event_time() -> None:
    events = np.array([0, 500, 1_000, 1_999])
    samples = Samples(events + np.array([10, 20, 100, 300]), events)
    series = latency.per_second(samples, origin_ms=0)
    assert [(point["second"], point["count"], point["max"]) for point in series] == [(0, 2, 20), (1, 2, 300)]


def test_the_generator_fell_behind_when_more_than_one_percent_left_late() -> None:
    on_time = np.full(1_000, 1.0)
    assert not latency.fell_behind(on_time)
    a_few_late = on_time.copy()
    a_few_late[:10] = 500  # 1 %: still within the rule
    assert not latency.fell_behind(a_few_late)
    too_many = on_time.copy()
    too_many[:11] = latency.BEHIND_MS + 1
    assert latency.fell_behind(too_many)


def test_latency_that_keeps_growing_is_told_from_a_steady_one() -> None:
    events = np.arange(0, 9_000, 10)
    steady = Samples(events + 50, events)
    assert not latency.keeps_growing(steady, 0, 9_000)
    growing = Samples(events + 50 + events // 10, events)  # a backlog: +100 ms per second
    assert latency.keeps_growing(growing, 0, 9_000)
    assert latency.keeps_growing(Samples(events[:10], events[:10]), 0, 9_000)  # nothing at the end


def test_event_text_is_the_producers_json_with_the_scheduled_time() -> None:
    template, text = Events("behavior", seed=1).make(0, 1_764_088_801_123)
    value = json.loads(text)
    assert value["ts"] == "2025-11-25 16:40:01.123" and value["user_id"].encode() == template.key
    assert set(value) == {"user_id", "item_id", "category", "behavior", "ts"}
    assert EventTimes()(value["ts"].encode()) == 1_764_088_801_123


def test_messages_are_the_windowed_producers_json_in_whole_seconds() -> None:
    template, text = Events("messages", seed=0).make(4_100, 1_764_088_801_999)
    assert text == json.dumps(message(4, datetime(2025, 11, 25, 16, 40, 1)), ensure_ascii=False).encode()
    assert template.key == b"4"


def test_expected_counts_follow_the_events() -> None:
    expected, events = Expected(), Events("behavior", seed=3)
    for index in range(100):
        expected.add(events.make(index, 0)[0], 0)
    summary = expected.as_json()
    assert summary["events"] == 100 == sum(summary["counts"].values()) and summary["windows"] == {}
    assert summary["intents"] == sum(n for key, n in summary["counts"].items() if key.split("|")[1] in
                                     ("add_to_cart", "purchase"))  # fmt: skip


def test_expected_windows_count_messages_per_minute_of_their_time() -> None:
    expected, events = Expected(), Events("messages", seed=3)
    minute = 1_764_088_800_000  # 2025-11-25 16:40:00
    for index, epoch_ms in enumerate((minute, minute + 59_999, minute + 60_000)):
        expected.add(events.make(index, epoch_ms)[0], epoch_ms)
    assert expected.as_json()["windows"] == {"2025-11-25 16:40:00": 2, "2025-11-25 16:41:00": 1}
    assert expected.as_json()["counts"] == {}


def test_a_result_differs_by_a_wrong_a_missing_or_an_extra_key() -> None:
    assert outputs.differences({"a": 1, "b": 2}, {"a": 1, "b": 2}, "windows") == ""
    higher = outputs.differences({"a": 1, "b": 3}, {"a": 1, "b": 2}, "windows")
    assert higher.startswith("windows: 1 of 2 rows correct, 0 missing, 0 extra, 1 wrong") and "b: 3 for 2" in higher
    assert "1 of 2 rows correct, 1 missing, 0 extra, 0 wrong" in outputs.differences({"a": 1}, {"a": 1, "b": 2}, "w")
    assert "1 of 1 rows correct, 0 missing, 1 extra" in outputs.differences({"a": 1, "c": 5}, {"a": 1}, "windows")


def test_every_profile_plans_both_engines_and_records_what_it_leaves_out() -> None:
    for profile in PROFILES.values():
        labels = [step.label for step in harness.plan(profile)]
        assert any("flink/default" in label for label in labels) and any("spark/default" in label for label in labels)
        assert labels[0].startswith("ceiling")
    short = PROFILES["short"]
    assert {"variant": "flink/mini-batch", "workload": "passthrough", "reason": VARIANTS[
        "flink/mini-batch"].inapplicable["passthrough"]} in harness.skipped(short)  # fmt: skip
    assert any("spark/real-time behavior-stats (not supported)" in step.label for step in harness.plan(short))
    windowed = [step for step in harness.plan(short) if "windowed-messages" in step.label]
    assert {step.kind for step in windowed} == {"drain"} and len(windowed) == 2 * short.repetitions
    assert any(item["workload"] == "windowed-messages" for item in harness.skipped(short))


def _results(drain_speed: float, p99: float) -> dict:
    def record(kind: str, engine: str, variant: str, workload: str, **figures: object) -> dict:
        return runs.run_record(kind, engine, variant, workload, 1, **figures)

    return {
        "started": "2026-11-25T00:00:00+00:00",
        "finished": "2026-11-25T00:10:00+00:00",
        "bootstrap_servers": "localhost:9092",
        "machine": {"cpus": 2, "memory_gib": 24, "platform": "test"},
        "versions": {"Python": "3.11"},
        "conditions": {
            **harness.conditions(PROFILES["tiny"]),
        },
        "skipped": [],
        "failures": [],
        "runs": [
            record("ceiling", "relay", "jvm-relay", "passthrough", events_per_s=100_000.0),
            record("drain", "flink", "default", "behavior-stats", events_per_s=drain_speed, seconds=1.0, events=10),
            record("drain", "flink", "default", "behavior-stats", events_per_s=drain_speed * 3, seconds=1.0, events=10),
            record("drain", "flink", "default", "behavior-stats", events_per_s=1.0, valid=False, notes="wrong"),
            record(
                "latency",
                "flink",
                "default",
                "behavior-stats",
                rate=5_000,
                events_per_s=5_000.0,
                latency_ms={"p50": 10.0, "p95": 20.0, "p99": p99, "p999": p99, "max": p99},
                harness_cores=0.1,
            ),
            runs.unsupported("latency", VARIANTS["spark/real-time"], "behavior-stats", "stateless only"),
        ],  # fmt: skip
    }


def test_the_report_takes_medians_of_valid_runs_and_judges_the_targets(tmp_path: Path) -> None:
    results = _results(drain_speed=40_000, p99=80)
    groups = grouping.grouped(results)
    drains = groups[("drain", "behavior-stats", "flink", "default", None)]
    assert len(drains) == 2 and grouping.median(drains, "events_per_s") == 80_000  # the invalid run left out
    lines = "\n".join(report.targets(results, groups))
    assert "Flink behavior-stats p99 <= 100 ms at 5,000/s: 80 ms, **holds**" in lines
    assert "drain >= 50% of the relay: 80 %, **holds**" in lines
    (tmp_path / "results.json").write_text(json.dumps(results))
    text = report.write(tmp_path).read_text()
    assert "**not supported**: stateless only" in text and "invalid run" in text
    assert (tmp_path / "latency_percentiles.png").is_file()


def _write_with_latency_invalid(folder: Path) -> None:
    """A results.json whose latency runs all fell behind: no valid latency run to show."""
    results = _results(drain_speed=40_000, p99=80)
    for run in results["runs"]:
        if run["kind"] == "latency" and run.get("supported") is not False:
            run.update(valid=False, notes="the generator fell behind its schedule")
    (folder / "results.json").write_text(json.dumps(results))


def test_a_plot_without_a_valid_run_is_named_in_the_report_instead(tmp_path: Path) -> None:
    _write_with_latency_invalid(tmp_path)
    text = report.write(tmp_path).read_text()
    assert not (tmp_path / "latency_percentiles.png").exists()
    assert "`latency_percentiles.png`: not drawn, no valid run to show" in text


def test_a_missed_target_says_by_how_much() -> None:
    results = _results(drain_speed=10_000, p99=180)
    lines = "\n".join(report.targets(results, grouping.grouped(results)))
    assert "180 ms, **missed** by 80 ms" in lines
    assert "20 %, **missed** by 30 %" in lines


def test_compare_puts_two_result_sets_side_by_side_with_ratios(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "results.json").write_text(json.dumps(_results(drain_speed=10_000, p99=100)))
    (tmp_path / "b" / "results.json").write_text(json.dumps(_results(drain_speed=20_000, p99=50)))
    rows, _title, machine = compare.compare(tmp_path / "a", tmp_path / "b")
    by_kind = {(row["kind"], row["engine"]): row for row in rows}
    assert by_kind[("drain", "flink/default")]["B/A"] == "2.00"
    assert by_kind[("latency", "flink/default")]["B/A"] == "0.50"
    assert not compare.regressions(rows) and machine == ""


def _two_runs_each(results: dict) -> dict:
    """Every run twice: the guard judges only figures with two valid runs or more on each side."""
    results["runs"] = [run for run in results["runs"] for _ in (1, 2)]
    return results


@pytest.mark.parametrize(
    ("drain_b", "p99_b", "regressed"),
    [
        (8_600, 100, []),  # a drain down 14%: within the margin
        (8_400, 100, ["drain behavior-stats flink/default: fell 16%"]),
        (10_000, 149, []),  # a p99 up 49%: within the margin
        (10_000, 151, ["latency behavior-stats flink/default 5,000: rose 51%"]),
    ],
)
def test_the_guard_names_a_drain_down_15_percent_or_a_p99_up_50_percent(
    drain_b: float, p99_b: float, regressed: list[str]
) -> None:
    before = _two_runs_each(_results(drain_speed=10_000, p99=100))
    after = _two_runs_each(_results(drain_speed=drain_b, p99=p99_b))
    assert compare.regressions(compare.rows(before, after)) == regressed


def test_the_guard_leaves_a_single_run_unjudged() -> None:
    rows = compare.rows(_results(drain_speed=10_000, p99=100), _results(drain_speed=10_000, p99=1_000))
    latency = next(row for row in rows if row["kind"] == "latency" and row["engine"] == "flink/default")
    assert latency["guard"] == "one run: not judged" and not compare.regressions(rows)


def test_compare_exits_1_on_a_regression_and_notes_another_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from streamlab import cli

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    before, after = _results(drain_speed=10_000, p99=100), _results(drain_speed=5_000, p99=100)
    for run in after["runs"]:
        if run["kind"] == "ceiling":
            run["events_per_s"] = 50_000.0  # the relay at half speed: another machine's day
    (tmp_path / "a" / "results.json").write_text(json.dumps(_two_runs_each(before)))
    (tmp_path / "b" / "results.json").write_text(json.dumps(_two_runs_each(after)))
    assert cli.main(["bench", "compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 1
    out = capsys.readouterr().out
    assert "the relay's ceiling moved -50%" in out
    assert "B is slower than A" in out and "drain behavior-stats flink/default: fell 50%" in out


def test_compare_of_a_folder_without_results_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from streamlab import cli

    assert cli.main(["bench", "compare", str(tmp_path), str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "holds no results.json" in out and "Traceback" not in out and len(out.strip().splitlines()) == 1
    assert cli.main(["bench", "report", str(tmp_path)]) == 2
    assert "holds no results.json" in capsys.readouterr().out


def test_bench_flags_that_do_not_fit_fail_with_one_message(capsys: pytest.CaptureFixture[str]) -> None:
    from streamlab import cli

    assert cli.main(["bench", "compare", "only-one"]) == 2
    assert "takes 2 result folder(s), not 1" in capsys.readouterr().out
    assert cli.main(["bench", "report"]) == 2


JFR_PRINTED = """
jdk.ExecutionSample {
  startTime = 17:50:01.123
  sampledThread = "Source: kafka (1/2)#0" (javaThreadId = 80)
  state = "STATE_RUNNABLE"
  stackTrace = [
    com.fasterxml.jackson.core.json.ReaderBasedJsonParser.nextFieldName()  line: 939
    org.apache.flink.table.runtime.functions.SqlJsonUtils.jsonValue(String, String)  line: 120
  ]
}

jdk.ExecutionSample {
  startTime = 17:50:01.133
  stackTrace = [
    java.util.HashMap.putVal(int, Object, Object, boolean, boolean)  line: 636
    org.apache.flink.runtime.state.heap.StateTable.put(Object, Object)  line: 300
  ]
}
"""


def test_a_jfr_dump_is_read_into_stacks_and_grouped_by_what_the_engine_did() -> None:
    from benchmarks import jfr

    stacks = jfr.stacks_from(JFR_PRINTED)
    assert [len(frames) for frames in stacks] == [2, 2]
    assert stacks[0][0].startswith("com.fasterxml.jackson")
    groups = jfr.groups_of(stacks)
    assert groups["JSON parsing and field checks (RecordCheck, parse_json/variant, Jackson)"] == 1
    assert groups["state (keyed state, state store)"] == 1  # found below the HashMap frame on top


def test_bench_flags_adjust_a_profile_and_only_keeps_those_kinds() -> None:
    profile = harness.adjusted(PROFILES["full"], events=1_000_000, repetitions=1)
    assert (profile.drain_events, profile.ceiling_events, profile.repetitions) == (1_000_000, 1_000_000, 1)
    kinds = {step.kind for step in harness.plan(profile, ("ceiling", "drain"))}
    assert kinds == {"ceiling", "drain"}
    assert {step.kind for step in harness.plan(PROFILES["tiny"])} == set(harness.KINDS)


def test_the_console_summary_names_every_run_left_out_of_its_medians(tmp_path: Path) -> None:
    from rich.console import Console

    _write_with_latency_invalid(tmp_path)
    console = Console(width=200, record=True)
    console.print(harness.summary(tmp_path))
    text = console.export_text()
    assert "invalid run: latency behavior-stats flink/default at 5,000/s (rep 1): the generator fell behind" in text
    assert "invalid run: drain behavior-stats flink/default (rep 1): wrong" in text
    assert "not supported: latency behavior-stats spark/real-time: stateless only" in text


def test_every_engine_variant_has_one_colour_of_its_own() -> None:
    from benchmarks import plots

    assert set(plots.COLOURS) == set(VARIANTS)
    assert len(set(plots.COLOURS.values())) == len(plots.COLOURS)


def test_runs_on_engine_clusters_say_so_in_the_report_and_in_compare(tmp_path: Path) -> None:
    """`bench --cluster`: the report names the clusters, and compare against a local run says what B/A measures."""
    local, clustered = _results(drain_speed=10_000, p99=100), _results(drain_speed=8_000, p99=100)
    clustered["conditions"]["clusters"] = {"flink": "http://127.0.0.1:8081", "spark": "spark://127.0.0.1:7077"}
    for name, results in (("a", local), ("b", clustered)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(results))
    assert "engines in local mode" in report.write(tmp_path / "a").read_text()
    text = report.write(tmp_path / "b").read_text()
    assert "engines on their own clusters (flink http://127.0.0.1:8081, spark spark://127.0.0.1:7077)" in text
    rows, _title, note = compare.compare(tmp_path / "a", tmp_path / "b")
    assert note == "A ran the engines in local mode, B on their clusters: B/A is the placement's cost or gain"
    drain = next(row for row in rows if row["kind"] == "drain" and row["engine"] == "flink/default")
    assert drain["B/A"] == "0.80" and drain["guard"] == "placement differs: not judged"
    assert not compare.regressions(rows)  # slower on the clusters is the placement's cost, not a regression


def test_bench_cluster_url_puts_the_engine_it_names_on_its_cluster() -> None:
    from streamlab.cli.bench import bench_clusters

    assert bench_clusters("") == {}
    assert bench_clusters("spark://10.0.0.5:7077") == {"spark": "spark://10.0.0.5:7077"}
    assert bench_clusters("http://10.0.0.5:8081") == {"flink": "http://10.0.0.5:8081"}


def test_a_cluster_runs_processes_are_sampled_with_the_jobs_client() -> None:
    """The sampler adds the trees of further roots: an engine cluster's processes, where a submitted job runs."""
    import os

    from benchmarks.sampler import TreeSampler

    alone, with_parent = TreeSampler(os.getpid()), TreeSampler(os.getpid(), also=(os.getppid(),))
    alone.take()
    with_parent.take()
    assert with_parent.samples[0].rss_mb > alone.samples[0].rss_mb
