"""`streamlab status`: every job of both engines that reported lately, from its newest envelope on
streaming-metrics (the reports are all the command reads: it asks no engine)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from streamlab import kafka_admin
from streamlab.engines import ACTIVE_STATES
from streamlab.errors import LabError
from streamlab.monitoring.envelope import Envelope
from streamlab.monitoring.publish import METRICS_TOPIC

SILENT_S = 10.0  # a job still "running" that has not reported for this long has stopped reporting
RECENT_S = 600.0  # jobs that reported within this long are shown, the ended ones too


def newest_reports(bootstrap_servers: str, since_s: float = RECENT_S) -> dict[str, Envelope]:
    """{ENGINE/WORKLOAD/JOB: its newest envelope} over the reports of the last since_s seconds."""
    since_ms = int((time.time() - since_s) * 1000)
    try:
        records = kafka_admin.read_topic(bootstrap_servers, METRICS_TOPIC, since_ms=since_ms)
    except LabError as error:
        if "does not exist" in str(error):
            return {}  # no job has reported to this cluster yet
        raise
    newest: dict[str, Envelope] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        envelope = Envelope.from_json(record.value)
        newest[envelope.key] = envelope
    return newest


def age_s(envelope: Envelope, now: float) -> float:
    return max(0.0, now - datetime.fromisoformat(envelope.ts.replace("Z", "+00:00")).timestamp())


def shown_state(envelope: Envelope, now: float) -> str:
    """The job's state as its reports tell it: 'NOT REPORTING' once a running job has been silent too long
    (killed, or its process hangs), which no report of its own can say."""
    if envelope.status in ACTIVE_STATES and age_s(envelope, now) > SILENT_S:
        return "NOT REPORTING"
    return envelope.status


def job_rows(reports: dict[str, Envelope], now: float | None = None) -> list[dict[str, Any]]:
    """One row per job, running ones first: what `status` shows and `status --json` gives."""
    now = time.time() if now is None else now
    rows = [
        {
            "job": key,
            "run": envelope.run_id,
            "state": shown_state(envelope, now),
            "in/s": envelope.input_rate,
            "done/s": envelope.processing_rate,
            "lag": envelope.lag_records,
            "watermark": (envelope.watermark or "")[:19].replace("T", " "),
            "batch/ckpt ms": envelope.batch_or_checkpoint_ms,
            "state rows": envelope.state_rows,
            "age s": round(age_s(envelope, now), 1),
        }
        for key, envelope in reports.items()
    ]
    return sorted(rows, key=lambda row: (row["state"] != "RUNNING", row["job"]))
