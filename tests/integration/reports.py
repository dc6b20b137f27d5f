"""What a run of the CLI reported to the streaming-metrics topic (streamlab.monitoring), found by the run id
the CLI prints when it starts a job."""

from __future__ import annotations

import json
import re

from streamlab import kafka_admin, monitoring
from streamlab.monitoring import Envelope
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
    shown = json.loads(succeeded(streamlab("status", "--json", "--bootstrap-servers", bootstrap)))
    ours = {row["job"]: row["state"] for row in shown if row["run"] == reports[0].run_id}
    assert ours == {envelope.key: envelope.status for envelope in reports}, shown
