"""The commands a user types, end to end as separate `python -m streamlab` processes (the slow tier).

`demo` is what `make flink-run` / `make spark-run` run: every workload of the registry, on one engine (the
engines take turns; bike-rentals on both: tests/tiers.py), with its small input (Workload.quick_args).
The last test is the by-hand path produce -> run --bounded -> check -> results on topics of its own. One
process per command, as a user runs them: several Flink planners in one process can trip FLINK-23020
(Calcite's metadata provider is a Java ThreadLocal, and py4j may serve a later call from another thread).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streamlab import workloads
from tests.integration.commands import one_line, streamlab, succeeded
from tests.tiers import demo_pairs

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize(("engine", "name"), demo_pairs())
def test_demo_accounts_for_every_record_and_matches_the_oracle(
    engine: str, name: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    workload = workloads.get(name)
    file = ["--output", str(tmp_path / "input.csv")] if workload.batch else []  # a file producer's own flag
    output = one_line(
        succeeded(streamlab("demo", engine, name, *workload.quick_args, *file, "--bootstrap-servers", kafka_bootstrap))
    )
    for job in workload.stages():
        whose = engine + (f" {job.name}" if len(workload.stages()) > 1 else "")
        assert f"{whose} result matches the pandas oracle" in output, output[-3000:]
    if not workload.job().result.not_one_to_one:  # a join's pairs are not its input records
        assert "[all accounted for]" in output


def test_demo_both_sets_the_engines_side_by_side_and_dead_letters_reads_each(kafka_bootstrap: str) -> None:
    """`demo both`: one input, both engines live at once, one table; then each engine's dead letters, by reason."""
    workload = workloads.get("windowed-messages")
    common = ["--bootstrap-servers", kafka_bootstrap]
    output = one_line(succeeded(streamlab("demo", "both", workload.name, *workload.quick_args, *common)))
    for engine in ("flink", "spark"):
        assert f"{engine} result matches the pandas oracle" in output, output[-3000:]
    assert "flink and spark side by side" in output, output[-3000:]
    for measure in ("input records", "dead letters", "late records", "records written", "against pandas"):
        assert f"│ {measure} │" in output, output[-3000:]
    assert "│ against pandas │ matches │ matches │" in output, output[-3000:]
    letters = one_line(succeeded(streamlab("dead-letters", workload.name, "--engine", "spark", *common)))
    assert "dead letters in check_spark_test-topic-dlq" in letters and "┃ reason ┃ records ┃ share ┃" in letters


def test_produce_then_bounded_run_then_check_and_results(kafka_bootstrap: str, topic_suffix: str) -> None:
    common = ["--bootstrap-servers", kafka_bootstrap]
    topics = ["--input-topic", f"in_{topic_suffix}", "--output-topic", f"out_{topic_suffix}"]
    produced = succeeded(
        streamlab("produce", "behavior-stats", "--count", "500", "--rate", "0", "--bad-every", "10",
                  "--input-topic", f"in_{topic_suffix}", *common)
    )  # fmt: skip
    ran = succeeded(
        streamlab("run", "flink", "behavior-stats", "--bounded", *topics,
                  "--dead-letter-topic", f"dlq_{topic_suffix}", *common)
    )  # fmt: skip
    checked = succeeded(
        streamlab("check", "behavior-stats", *topics, "--dead-letter-topic", f"dlq_{topic_suffix}", *common)
    )
    shown = succeeded(streamlab("results", "behavior-stats", "--output-topic", f"out_{topic_suffix}", *common))

    assert "sent 500 records" in produced
    assert f"input topic in_{topic_suffix}: 500 records = counted 450 + dead letters 50 [all accounted for]" in (
        one_line(ran)
    )
    assert f"stats: 20 rows in topic out_{topic_suffix}; the result matches the pandas oracle over in_" in (
        one_line(checked)
    )
    assert "its 50 rejected record(s) are the oracle's" in one_line(checked)
    assert "behavior_count" in shown and "electronics" in shown
