"""`streamlab status`: every job of both engines that reported lately, from its newest envelope on
streaming-metrics (the reports are all the command reads: it asks no engine)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from streamlab import kafka_admin, results, workloads
from streamlab.engines import ACTIVE_STATES
from streamlab.errors import LabError
from streamlab.monitoring import alerts
from streamlab.monitoring.envelope import Envelope, epoch_s
from streamlab.monitoring.publish import METRICS_TOPIC
from streamlab.settings import Settings

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
    return max(0.0, now - epoch_s(envelope.ts))


def shown_state(envelope: Envelope, now: float) -> str:
    """The job's state as its reports tell it: 'NOT REPORTING' once a running job has been silent too long
    (killed, or its process hangs), which no report of its own can say."""
    if envelope.status in ACTIVE_STATES and age_s(envelope, now) > SILENT_S:
        return "NOT REPORTING"
    return envelope.status


def settings_of(envelope: Envelope, bootstrap_servers: str) -> Settings:
    """The settings a reader of the job's output needs, rebuilt from what the job reported."""
    output_dir = Path(envelope.output_dir) if envelope.output_dir else None
    return Settings(
        envelope.workload, envelope.engine, envelope.job, bootstrap_servers, envelope.topics, output_dir=output_dir
    )


def newest_result_at(envelope: Envelope, bootstrap_servers: str) -> float | None:
    """When the job's newest result became readable (epoch s): the broker's stamp of the newest record of its
    result topics (LogAppendTime, workloads.topic_specs), or the newest file it wrote. None: no result yet."""
    try:
        spec = workloads.get(envelope.workload).job(envelope.job).result
        settings = settings_of(envelope, bootstrap_servers)
        if spec.is_topic:
            stamps = [kafka_admin.newest_timestamp(bootstrap_servers, topic) for topic in spec.topics(settings)]
            return max((stamp for stamp in stamps if stamp is not None), default=None)
        files = results.visible_files(spec.directory(settings))
        return max((path.stat().st_mtime for path in files), default=None)
    except (LabError, KeyError, OSError):
        return None  # an unknown workload (a newer lab's), a topic or folder gone: no age to show


def job_rows(
    reports: dict[str, Envelope], now: float | None = None, results_at: dict[str, float | None] | None = None
) -> list[dict[str, Any]]:
    """One row per job, running ones first: what `status` shows and `status --json` gives. results_at: when
    each job's newest result became readable (newest_result_at), for the age of the newest result."""
    now = time.time() if now is None else now
    results_at = results_at or {}
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
            "report age s": round(age_s(envelope, now), 1),
            "result age s": _age(results_at.get(key), now),
            "ui_url": envelope.links.get("ui"),
            "prometheus_url": envelope.links.get("prometheus"),
        }
        for key, envelope in reports.items()
    ]
    return sorted(rows, key=lambda row: (row["state"] != "RUNNING", row["job"]))


def _age(at: float | None, now: float) -> float | None:
    return None if at is None else round(max(0.0, now - at), 1)


def document_from(
    reports: dict[str, Envelope],
    alert_list: list[alerts.Alert],
    results_at: dict[str, float | None],
    now: float | None = None,
) -> dict[str, Any]:
    """What `status --json` prints and the dashboard serves at /api/jobs: the jobs, and the alerts of the
    window (firing ones first, then the clearings and old firings, newest first)."""
    firing = alerts.active(alert_list)
    rest = [alert for alert in reversed(alert_list) if alert not in firing]
    return {
        "jobs": job_rows(reports, now, results_at),
        "alerts": [alert.as_row() for alert in firing] + [alert.as_row() for alert in rest],
    }


def document(bootstrap_servers: str, since_s: float = RECENT_S) -> dict[str, Any]:
    """The status of every job that reported in the last since_s seconds, read from the two topics now."""
    reports = newest_reports(bootstrap_servers, since_s)
    results_at = {key: newest_result_at(envelope, bootstrap_servers) for key, envelope in reports.items()}
    return document_from(reports, alerts.recent_alerts(bootstrap_servers, since_s), results_at)
