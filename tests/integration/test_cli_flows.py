"""The commands a user types, end to end through streamlab.cli.main against the real broker.

`demo` is what `make flink-run` / `make spark-run` run; the second test is the by-hand path
produce -> run --bounded -> check -> results on topics of its own.
"""

from __future__ import annotations

import pytest

from streamlab.cli import main

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_demo_accounts_for_every_record_and_matches_the_oracle(
    engine: str, kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["demo", engine, "behavior-stats", "--count", "400", "--rate", "200", "--bootstrap-servers", kafka_bootstrap]
    assert main(argv) == 0
    output = capsys.readouterr().out
    assert "[all accounted for]" in output
    assert f"{engine} result matches the pandas oracle" in output


def test_produce_then_bounded_run_then_check_and_results(
    kafka_bootstrap: str, topic_suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    topics = [
        "--input-topic", f"in_{topic_suffix}",
        "--output-topic", f"out_{topic_suffix}",
    ]  # fmt: skip
    common = ["--bootstrap-servers", kafka_bootstrap]
    produce = ["produce", "behavior-stats", "--count", "500", "--rate", "0", "--bad-every", "10"]
    assert main([*produce, "--topic", f"in_{topic_suffix}", *common]) == 0
    run = ["run", "flink", "behavior-stats", "--bounded", *topics, "--dead-letter-topic", f"dlq_{topic_suffix}"]
    assert main([*run, *common]) == 0
    assert main(["check", "behavior-stats", *topics, *common]) == 0
    assert main(["results", "behavior-stats", "--output-topic", f"out_{topic_suffix}", *common]) == 0

    output = capsys.readouterr().out
    assert "sent 500 records" in output
    assert f"dlq_{topic_suffix} holds 50 rejected record(s)" in output
    assert "20 keys agree with pandas" in output
    assert "behavior_count" in output
