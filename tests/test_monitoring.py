"""The metrics envelope: each engine's own document mapped to the same fields (docs/monitoring.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from streamlab.monitoring.envelope import (
    FIELDS,
    Envelope,
    FlinkSample,
    JobIdentity,
    flink_envelope,
    spark_envelope,
    spark_idle_envelope,
    spark_lag,
    terminal_envelope,
)

WHO = JobIdentity("spark", "behavior-stats", "stats", "run1")


def progress(**changes: object) -> dict:
    """A Spark micro-batch's progress, trimmed from a real behavior-stats run (2026-12-06)."""
    document = {
        "id": "41262c5f",
        "name": "behavior-stats-stats-routed",
        "timestamp": "2026-12-06T05:13:24.447Z",
        "batchId": 5,
        "numInputRows": 885,
        "inputRowsPerSecond": 1009.1,
        "processedRowsPerSecond": 953.7,
        "durationMs": {"addBatch": 589, "triggerExecution": 928, "walCommit": 59},
        "stateOperators": [{"operatorName": "stateStoreSave", "numRowsTotal": 20, "numRowsDroppedByWatermark": 0}],
        "sources": [
            {
                "description": "KafkaV2[Subscribe[user_behaviors]]",
                "endOffset": {"user_behaviors": {"0": 2642, "1": 3096, "2": 3962}},
                "latestOffset": {"user_behaviors": {"0": 2700, "1": 3096, "2": 3970}},
            }
        ],
    }
    return {**document, **changes}


def test_a_spark_progress_fills_every_field() -> None:
    envelope = spark_envelope(WHO, progress(eventTime={"watermark": "2026-12-06T05:12:00.000Z"}))
    assert envelope.key == "spark/behavior-stats/stats"
    assert (envelope.input_rate, envelope.processing_rate) == (1009.1, 953.7)
    assert envelope.lag_records == 58 + 0 + 8  # latest - end, per partition
    assert envelope.batch_or_checkpoint_ms == 928
    assert envelope.state_rows == 20
    assert envelope.watermark == "2026-12-06T05:12:00.000Z"
    assert envelope.status == "RUNNING" and envelope.raw["batchId"] == 5


def test_spark_leaves_out_what_it_has_not_measured() -> None:
    """The first batch has no input rate (Spark omits NaN); a stateless query keeps 0 rows; no event time."""
    document = progress(stateOperators=[], sources=[{"description": "x"}])
    del document["inputRowsPerSecond"]
    envelope = spark_envelope(WHO, document)
    assert envelope.input_rate is None and envelope.lag_records is None and envelope.watermark is None
    assert envelope.state_rows == 0


def test_spark_lag_sums_over_sources_and_ignores_partitions_it_has_not_read() -> None:
    sources = [
        {"endOffset": {"a": {"0": 5}}, "latestOffset": {"a": {"0": 9, "1": 4}}},
        {"endOffset": {"b": {"0": 1}}, "latestOffset": {"b": {"0": 1}}},
    ]
    assert spark_lag(sources) == 4


def flink_sample(at_ms: float, read: int, pending: int | None, **changes: object) -> FlinkSample:
    fields = dict(at_ms=at_ms, state="RUNNING", records_read=read, pending=pending, watermark_ms=None,
                  checkpoint={"duration_ms": 31}, raw={})  # fmt: skip
    return FlinkSample(**{**fields, **changes})


def test_flink_rates_come_from_two_samples_and_arrivals_add_the_backlogs_growth() -> None:
    who = JobIdentity("flink", "windowed-messages", "messages", "run2")
    first = flink_envelope(who, flink_sample(1_000, 0, 10), None)
    assert first.processing_rate is None and first.input_rate is None and first.lag_records == 10
    second = flink_envelope(
        who, flink_sample(3_000, 4_000, 210, watermark_ms=1_796_533_000_000), flink_sample(1_000, 0, 10)
    )
    assert second.processing_rate == 2_000  # 4,000 read in 2 s
    assert second.input_rate == 2_100  # and the backlog grew by 200 in 2 s
    assert second.watermark == "2026-12-06T04:56:40.000Z"
    assert second.batch_or_checkpoint_ms == 31 and second.state_rows is None  # Flink counts no state rows
    assert second.ts == "1970-01-01T00:00:03.000Z"


def test_an_envelope_is_json_with_every_field_and_reads_back() -> None:
    envelope = spark_envelope(WHO, progress())
    document = json.loads(envelope.to_json())
    assert tuple(document) == (*FIELDS, "topics", "output_dir", "links")
    assert Envelope.from_json(envelope.to_json()) == envelope
    ended = terminal_envelope(WHO, "FAILED", "boom")
    assert ended.status == "FAILED" and ended.raw == {"error": "boom"} and ended.processing_rate is None


def test_status_shows_running_jobs_first_and_a_silent_one_as_not_reporting() -> None:
    from streamlab.monitoring.status import SILENT_S, job_rows

    now = 1_796_533_000.0
    fresh = spark_envelope(WHO, progress(timestamp="2026-12-06T04:56:39.000Z"))  # 1 s before now
    silent = replace(fresh, job="other", ts="2026-12-06T04:56:00.000Z")  # 40 s before
    ended = terminal_envelope(replace(WHO, workload="a-first"), "FINISHED")
    rows = job_rows({e.key: e for e in (ended, silent, fresh)}, now=now)
    assert [(row["job"], row["state"]) for row in rows] == [
        ("spark/behavior-stats/stats", "RUNNING"),
        ("spark/a-first/stats", "FINISHED"),
        ("spark/behavior-stats/other", "NOT REPORTING"),
    ]
    assert rows[0]["report age s"] == 1.0 and rows[0]["lag"] == 66 and SILENT_S < 40


def test_flinks_end_of_input_watermark_is_no_time_of_day() -> None:
    """A drain (stop with savepoint) or a bounded input's end sends Long.MAX_VALUE: every window fires."""
    who = JobIdentity("flink", "windowed-messages", "windows", "run3")
    assert flink_envelope(who, flink_sample(1_000, 0, 0, watermark_ms=2**63 - 1), None).watermark is None


# a filtered scrape of Flink's reporter during a windowed-messages run (2026-12-06), labels and names trimmed
# (the job id too); the reporter serves Long.MIN_VALUE (no watermark yet) as a double
JOB = "1c6f0c8de5"
SCRAPE = (Path(__file__).parent / "data" / "flink_prometheus_scrape.txt").read_text(encoding="utf-8")


def test_a_flink_sample_reads_the_reporters_gauges_of_its_own_job() -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from streamlab.monitoring.flink_metrics import FlinkMetrics

    asked: list[str] = []

    class Engine(BaseHTTPRequestHandler):  # the mini-cluster's REST endpoint and its reporter, on one port
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b'{"status":"RUNNING"}' if self.path.endswith("/status") else SCRAPE.encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Engine) as server:
        Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        sample = FlinkMetrics(base, [f"{base}/metrics"], JOB).sample()
        server.shutdown()
    assert asked[0] == f"/jobs/{JOB}/status"
    assert asked[1].startswith("/metrics?name%5B%5D=flink_taskmanager_job_task_operator_numRecordsOut&")
    assert sample.state == "RUNNING"
    assert sample.records_read == 1_500  # the source operators' subtasks, not the other operators or jobs
    assert sample.pending == 42
    assert sample.watermark_ms == 1_796_579_847_000  # the lowest that has one; the join has none yet
    assert sample.checkpoint == {"duration_ms": 13, "state_size_bytes": 3337, "completed": 9}
    envelope = flink_envelope(JobIdentity("flink", "windowed-messages", "windows", "run3"), sample, None)
    assert envelope.batch_or_checkpoint_ms == 13 and envelope.lag_records == 42


def test_an_idle_spark_query_reports_nothing_arriving_and_keeps_its_watermark_and_state() -> None:
    last = spark_envelope(WHO, progress())
    idle = spark_idle_envelope(WHO, "2026-12-06T05:13:30.000Z", last)
    assert (idle.status, idle.input_rate, idle.processing_rate, idle.lag_records) == ("RUNNING", 0.0, 0.0, 0)
    assert (idle.watermark, idle.state_rows) == (last.watermark, 20) and idle.ts == "2026-12-06T05:13:30.000Z"
    assert spark_idle_envelope(WHO, "2026-12-06T05:13:30.000Z", None).watermark is None  # idle from its start
