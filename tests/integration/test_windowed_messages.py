"""windowed-messages live, on both engines (the slow tier; the fast tier's bounded run holds every window
to pandas: tests/integration/test_end_to_end.py).

The demo with 10% late messages, arriving while the job runs: each is stamped 3-4 minutes behind the
messages sent just before it, after a warm-up, so once an engine has read those its watermark (1 minute
behind the newest event) has passed the late message's window. Flink routes late messages to the dead
letters (left out of the oracle's input); Spark drops them and reports how many, and every window is
short by exactly those. Exactly how many are late depends on how far each watermark had moved when
they arrived; that some are, the test insists on.
"""

from __future__ import annotations

import json
import re

import pytest

from spark_jobs.windowed_output_modes import MODES, describe
from streamlab import engines, workloads
from streamlab.monitoring import alerts
from streamlab.settings import Settings
from tests.integration.commands import one_line, streamlab, succeeded
from tests.integration.reports import PROMETHEUS_METRICS, Watch, assert_reported_every_field

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKLOAD = workloads.get("windowed-messages")


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_live_late_messages_are_routed_by_flink_or_dropped_by_spark(engine: str, kafka_bootstrap: str) -> None:
    # every 10th record malformed: a dead-letter share far above the alert's 2% while the demo runs
    forced = alerts.Thresholds(alert_after_s=8, dead_letter_share=0.02)
    with Watch(kafka_bootstrap, engine, forced) as watch:
        output = one_line(
            succeeded(
                streamlab(
                    "demo", engine, "windowed-messages", "--count", "400", "--rate", "20", "--late-fraction", "0.1",
                    "--bad-every", "10", "--bootstrap-servers", kafka_bootstrap,
                )
            )
        )  # fmt: skip
    assert "[all accounted for]" in output
    assert f"{engine} result matches the pandas oracle" in output
    # its progress on streaming-metrics: event time, state and checkpoints or batches, all reported
    assert_reported_every_field(kafka_bootstrap, output, engine, {"windows"})
    # the engine's own Prometheus endpoint served its named metrics while the job ran
    assert watch.has_every_metric(), f"{engine}: {PROMETHEUS_METRICS[engine]} not all in:\n{watch.scraped[:2000]}"
    # the alert fired and cleared when the job ended, in streaming-alerts and in `streamlab status`
    job = f"{engine}/windowed-messages/windows"
    # (under load a job may also go silent for a while, or the share flap: the rule fired, and ended cleared)
    dead_letters = [state for rule, state in watch.changes(job) if rule == "dead-letters"]
    assert dead_letters[:1] == ["FIRING"] and dead_letters[-1:] == ["CLEARED"], watch.alerter.raised
    shown = json.loads(succeeded(streamlab("status", "--json", "--bootstrap-servers", kafka_bootstrap)))["alerts"]
    assert [row["state"] for row in shown if row["job"] == job and row["rule"] == "dead-letters"][:2] == [
        "CLEARED", "FIRING"
    ], shown  # newest first  # fmt: skip
    if engine == "flink":  # Flink routes late messages, it never drops them
        routed = re.search(r"\(([0-9,]+) late record\(s\) routed to the dead letters and left out\)", output)
        assert routed and int(routed[1].replace(",", "")) > 0, output[-2000:]
        assert "dropped" not in output
    else:
        dropped = re.search(r"dropped as late by spark ([0-9,]+)", output)
        assert dropped and int(dropped[1].replace(",", "")) > 0, output[-2000:]
        assert "late record(s) spark dropped" in output and "all closed by its final watermark" in output


def test_spark_output_modes_emit_what_the_readme_shows() -> None:
    """The printout `streamlab explain spark windowed-messages` ends with, pasted in the README."""
    spark = engines.spark_session(Settings(WORKLOAD.name, engine="spark"))
    text = describe(spark)
    complete, update, append = (text.split(f"outputMode('{mode}'):")[1].split("outputMode")[0] for mode in MODES)
    assert "batch 3 (watermark 14:02:10): 14:00-14:01 = 5;" in complete  # complete mode drops nothing
    assert "batch 2 (watermark 14:01:30): 14:00-14:01 = 4; 14:03-14:04 = 1" in update  # late by one batch: counted
    assert "batch 3 (watermark 14:02:10, dropped 1 late row(s)): 14:03-14:04 = 2" in update
    assert append.count("14:00-14:01") == 1 and "batch 2 (watermark 14:01:30): 14:00-14:01 = 4" in append
