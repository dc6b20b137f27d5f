"""What a run of the CLI reported to the streaming-metrics topic (streamlab.monitoring), found by the run id
the CLI prints when it starts a job."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request

from streamlab import kafka_admin, monitoring
from streamlab.monitoring import Envelope, alerts, status
from tests.integration.commands import streamlab, succeeded


def reports_of_run(bootstrap: str, output: str) -> list[Envelope]:
    """Every envelope the run whose output this is published, in order."""
    found = re.search(rf"to the {monitoring.METRICS_TOPIC} topic \(run (\w+)\)", output)
    assert found, f"no run id in:\n{output[-2000:]}"
    records = kafka_admin.read_topic(bootstrap, monitoring.METRICS_TOPIC)
    return [envelope for record in records if (envelope := Envelope.from_json(record.value)).run_id == found[1]]


def filled(envelopes: list[Envelope]) -> set[str]:
    """The fields some running report of these gave a value."""
    return {
        name
        for envelope in envelopes
        if envelope.status == "RUNNING"
        for name in monitoring.FIELDS
        if getattr(envelope, name) not in (None, {}, "")
    }


def assert_reported_every_field(bootstrap: str, output: str, engine: str, jobs: set[str]) -> None:
    """Each job of the run reported while running, every field filled but those the engine never fills, and
    the job's end last."""
    reports = reports_of_run(bootstrap, output)
    assert {envelope.job for envelope in reports} == jobs, reports[-3:]
    for job in jobs:
        of_job = [envelope for envelope in reports if envelope.job == job]
        assert {envelope.engine for envelope in of_job} == {engine}
        missing = set(monitoring.FIELDS) - filled(of_job) - set(monitoring.ABSENT[engine])
        assert not missing, f"{engine} {job}: never filled {sorted(missing)}; last report {of_job[-2]}"
        assert of_job[-1].status in ("FINISHED", "CANCELED"), of_job[-1]
    # and `streamlab status` shows how each ended, from the same reports
    shown = json.loads(succeeded(streamlab("status", "--json", "--bootstrap-servers", bootstrap)))["jobs"]
    ours = {row["job"]: row["state"] for row in shown if row["run"] == reports[0].run_id}
    assert ours == {envelope.key: envelope.status for envelope in reports}, shown


# the metrics each engine's own Prometheus endpoint must serve (docs/monitoring.md, "Prometheus")
PROMETHEUS_METRICS = {
    "flink": ("operator_numRecordsOut", "operator_pendingRecords", "operator_currentOutputWatermark"),
    "spark": ("inputRate_total", "processingRate_total", "latency", "eventTime_watermark", "states_rowsTotal"),
}


class Watch(threading.Thread):
    """While a run goes on: scrapes the Prometheus endpoint its job reports (status.document), once the text
    names every metric of PROMETHEUS_METRICS, and runs an alerter on the jobs' reports."""

    def __init__(self, bootstrap: str, engine: str, thresholds: alerts.Thresholds) -> None:
        super().__init__(daemon=True)
        self.bootstrap, self.engine = bootstrap, engine
        self.alerter = alerts.Alerter(bootstrap, thresholds)
        self.scraped = ""  # the last Prometheus text read
        self._finish = threading.Event()

    def __enter__(self) -> Watch:
        self.alerter.start()
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._finish.set()
        self.join(10)
        time.sleep(alerts.TICK_S * 2)  # the job's last report reaches the alerter
        self.alerter.stop()

    def run(self) -> None:
        while not self._finish.wait(1.0) and not self.has_every_metric():
            for url in self.running_endpoints():
                try:
                    self.scraped = urllib.request.urlopen(url, timeout=5).read().decode()
                except OSError:
                    continue  # the job ended meanwhile

    def running_endpoints(self) -> list[str]:
        rows = status.document(self.bootstrap, 60)["jobs"]
        ours = [row for row in rows if row["job"].startswith(f"{self.engine}/") and row["state"] == "RUNNING"]
        return [row["prometheus_url"] for row in ours if row["prometheus_url"]]

    def has_every_metric(self) -> bool:
        return all(name in self.scraped for name in PROMETHEUS_METRICS[self.engine])

    def changes(self, job: str) -> list[tuple[str, str]]:
        return [(alert.rule, alert.state) for alert in self.alerter.raised if alert.job == job]
