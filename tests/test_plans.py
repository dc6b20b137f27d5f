"""streamlab.plans and the page's pieces that need no engine: what is kept of each engine's plan, and what is
read from it. The plans below are shortened from what `streamlab run --bounded --plan-out` wrote for
behavior-stats and windowed-messages (docs/ENGINES.md shows whole ones)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from streamlab import engines_page, plans
from streamlab.paths import REPO_ROOT

FLINK = """== Abstract Syntax Tree ==
LogicalSink(table=[default_catalog.default_database.behavior_stats], fields=[category])

== Optimized Physical Plan ==
Sink(table=[default_catalog.default_database.behavior_stats], fields=[category, behavior], changelogMode=[NONE])
+- Calc(select=[category, behavior, behavior_count], changelogMode=[I,UA])
   +- GroupAggregate(groupBy=[category, behavior], select=[category, COUNT(*) AS c], changelogMode=[I,UA])
      +- Exchange(distribution=[hash[category, behavior]], changelogMode=[I])
         +- TableSourceScan(table=[[default_catalog, default_database, raw, metadata=[topic]]], changelogMode=[I])

Sink(table=[default_catalog.default_database.raw_checked_dead_letters], fields=[raw_value], changelogMode=[NONE])
+- Calc(select=[payload AS raw_value], where=[IS NOT NULL(reject_reason)], changelogMode=[I])

== Optimized Execution Plan ==
Sink(table=[default_catalog.default_database.behavior_stats], fields=[category, behavior])
"""

SPARK = f"""-- query behavior-stats-stats-routed (output mode Update)
== Physical Plan ==
WriteToDataSourceV2 (4)
+- StateStoreSave (3)
   +- EventTimeWatermark (2)
      +- MicroBatchScan (1)


(1) MicroBatchScan
Output [2]: [key#7, value#8]

(2) EventTimeWatermark
Arguments: 9fcb90e1-f58d-4097-a0c3-cd2176bbd88d, ts#22: timestamp, 1 minutes

(3) StateStoreSave
Input [4]: [category#28, behavior#29, count#65L, max#67]
Arguments: [category#28], state info [ checkpoint = file:{REPO_ROOT}/.run/check/x/state, runId = \
0f46cfc6-9b30-4f37-b106-a7f55a9c8b27, opId = 0, ver = 0, numPartitions = 1] stateStoreCkptIds = None, Update, 0, 0, 2

(4) WriteToDataSourceV2
Arguments: KafkaStreamingWrite
"""


def test_flink_keeps_the_results_tree_with_each_operators_changelog_mode() -> None:
    trimmed = plans.flink_trimmed(FLINK)
    assert trimmed.splitlines() == [
        "Sink(table=[behavior_stats], changelogMode=[NONE])",
        "+- Calc(changelogMode=[I,UA])",
        "   +- GroupAggregate(groupBy=[category, behavior], changelogMode=[I,UA])",
        "      +- Exchange(distribution=[hash[category, behavior]], changelogMode=[I])",
        "         +- TableSourceScan(table=[[raw, metadata=[topic]]], changelogMode=[I])",
    ]  # the dead-letter sink and the other sections are left out
    assert plans.flink_changelog(FLINK) == ["I,UA"]
    assert plans.changelog_words("I,UA") == "insert, update-after"
    assert [line.split("`")[1] for line in plans.flink_state(FLINK)] == ["GroupAggregate"]


def test_a_long_argument_is_cut_and_nested_brackets_are_one_value() -> None:
    assert plans.bracket_args("a=[x, [y]], b=[z]") == {"a": "x, [y]", "b": "z"}
    long = "where=[" + "x" * 200 + "], changelogMode=[I]"
    assert plans._flink_node(f"+- Calc({long})") == f"+- Calc(where=[{'x' * 69}…], changelogMode=[I])"


def test_spark_keeps_the_tree_and_the_state_operators_with_relative_paths_and_no_run_ids() -> None:
    trimmed = plans.spark_trimmed(SPARK)
    assert trimmed.startswith("-- query behavior-stats-stats-routed (output mode Update)\n== Physical Plan ==")
    assert "(3) StateStoreSave" in trimmed and "(2) EventTimeWatermark" in trimmed
    assert "(1) MicroBatchScan" not in trimmed and "Input [" not in trimmed
    assert "state info [checkpoint = .run/check/x/state, opId = 0, numPartitions = 1], Update" in trimmed
    assert str(REPO_ROOT) not in trimmed and "9fcb90e1" not in trimmed and "0f46cfc6" not in trimmed
    assert plans.spark_output_modes(SPARK) == ["Update"]
    assert plans.spark_state_modes(SPARK) == ["Update"]
    (state,) = plans.spark_state(SPARK)
    assert state.startswith("`StateStoreSave`") and "EventTimeWatermark" in state
    assert not plans.spark_no_data_batch(SPARK)
    assert plans.spark_no_data_batch(SPARK.replace("MicroBatchScan", "LocalTableScan"))


def test_without_state_operators_neither_engine_names_any() -> None:
    assert plans.flink_state("== Optimized Physical Plan ==\nSink(table=[t])\n+- Calc(where=[x])\n") == []
    assert plans.spark_state("== Physical Plan ==\n* Project (1)\n\n(1) Project\nOutput: [a]\n") == []


def test_freshness_comes_from_the_newest_bench_at_its_lowest_rate(tmp_path: Path) -> None:
    def run(engine: str, rate: int, p50: float) -> dict:
        return {"kind": "latency", "variant": "default", "valid": True, "workload": "w", "engine": engine,
                "rate": rate, "latency_ms": {"p50": p50, "p99": p50 * 2}}  # fmt: skip

    for name, finished, runs in (
        ("old", "2026-12-01T00:00:00", [run("flink", 10, 1), run("spark", 10, 1)]),
        ("new", "2026-12-05T00:00:00", [run("flink", 10, 40), run("flink", 10, 60), run("flink", 20, 900),
                                        run("spark", 10, 1500)]),
        ("newest-without-latency", "2026-12-06T00:00:00", []),
    ):  # fmt: skip
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps({"finished": finished, "runs": runs}))
    bench = engines_page.newest_bench([tmp_path])
    assert bench is not None and bench.date == "2026-12-05" and bench.folder.endswith("new")
    assert bench.cells("w") == {
        "flink": "50 / 100 ms at 10 events/s (2 runs)",
        "spark": "1,500 / 3,000 ms at 10 events/s (1 run)",
    }
    assert bench.cells("other") is None
    assert engines_page.newest_bench([tmp_path / "none"]) is None


def test_a_table_becomes_markdown_with_its_pipes_escaped() -> None:
    frame = pd.DataFrame({"key": ["a|b"], "flink": ["1"]})
    assert engines_page.markdown_table(frame) == "| key | flink |\n|---|---|\n| a\\|b | 1 |"


def test_a_query_that_writes_nowhere_hands_its_batches_to_foreach_batch() -> None:
    merged = "-- query hourly (output mode Append)\n== Physical Plan ==\n* Project (2)\n+- MicroBatchScan (1)\n"
    assert plans.spark_foreach_batch(merged)
    assert not plans.spark_foreach_batch(SPARK)
