"""The commands a user types, end to end as separate `python -m streamlab` processes.

`demo` is what `make flink-run` / `make spark-run` run; the second test is the by-hand path
produce -> run --bounded -> check -> results on topics of its own. One process per command,
as a user runs them: several Flink planners in one process can trip FLINK-23020 (Calcite's
metadata provider is a Java ThreadLocal, and py4j may serve a later call from another thread).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.commands import one_line, streamlab, succeeded

pytestmark = pytest.mark.integration


DEMOS = {
    "behavior-stats": ["--count", "400", "--rate", "200"],
    # 2 simulated hours in 10 s: the live table grows hour by hour; at the end Flink is drained
    # (stop-with-savepoint, which first emits a final watermark) so that the last hour is written too
    "bike-rentals": ["--stations", "30", "--hours", "2", "--speedup", "720", "--bad-every", "40"],
    "patient-events": ["--rate", "100"],  # the shipped sample: 300 rows, 16 without an action
}


@pytest.mark.parametrize("engine", ["flink", "spark"])
@pytest.mark.parametrize("workload", sorted(DEMOS))
def test_demo_accounts_for_every_record_and_matches_the_oracle(
    workload: str, engine: str, kafka_bootstrap: str
) -> None:
    output = one_line(
        succeeded(streamlab("demo", engine, workload, *DEMOS[workload], "--bootstrap-servers", kafka_bootstrap))
    )
    assert "[all accounted for]" in output
    assert f"{engine} result matches the pandas oracle" in output


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_the_batch_demo_writes_a_file_runs_and_matches_pandas(engine: str, tmp_path: Path) -> None:
    output = one_line(
        succeeded(streamlab("demo", engine, "sales-batch", "--rows", "800", "--output", str(tmp_path / "s.csv")))
    )
    assert "wrote 800 lines" in output and "8 malformed line(s) skipped" in output
    assert f"{engine} result matches pandas" in output


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
    checked = succeeded(streamlab("check", "behavior-stats", *topics, *common))
    shown = succeeded(streamlab("results", "behavior-stats", "--output-topic", f"out_{topic_suffix}", *common))

    assert "sent 500 records" in produced
    assert f"input topic in_{topic_suffix}: 500 records = counted 450 + dead letters 50 [all accounted for]" in (
        one_line(ran)
    )
    assert "20 rows agree with pandas" in checked
    assert "behavior_count" in shown and "electronics" in shown
