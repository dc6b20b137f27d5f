"""A Flink job's progress, sampled once a second from what its mini-cluster serves on loopback: the job's
metrics as Prometheus text (Flink's own reporter, see streamlab.engines.flink), asking only for the few names
the envelope needs, and the job's state from the REST API's `/jobs/:id/status`.

Why not the REST metric endpoints the web UI reads: each request there makes the JobManager fetch every metric
of every TaskManager (its MetricFetcher), which cost Flink 14-23% of its drain rate in the bench, and serves
values as old as that fetch, so rates computed from them alias. The reporter reads its gauges when scraped.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any
from urllib.parse import urlencode

from prometheus_client.parser import text_string_to_metric_families

from streamlab.monitoring.envelope import FLINK_END_WATERMARK, FLINK_NO_WATERMARK, FlinkSample

TIMEOUT_S = 2.0
READ = "flink_taskmanager_job_task_operator_numRecordsOut"  # of a source operator: records read from Kafka
PENDING = "flink_taskmanager_job_task_operator_pendingRecords"  # of a Kafka source: beyond its position
INPUT_WATERMARK = "flink_taskmanager_job_task_currentInputWatermark"  # of each subtask of each task
CHECKPOINT = {  # the job's latest completed checkpoint, as the JobManager's gauges give it
    "duration_ms": "flink_jobmanager_job_lastCheckpointDuration",
    "state_size_bytes": "flink_jobmanager_job_lastCheckpointFullSize",
    "completed": "flink_jobmanager_job_numberOfCompletedCheckpoints",
    "failed": "flink_jobmanager_job_numberOfFailedCheckpoints",
}
SOURCE = "Source:"  # how Flink names a source operator, and a task that starts with one


class FlinkMetrics:
    def __init__(self, rest_url: str, prometheus_urls: list[str], job_id: str) -> None:
        """prometheus_urls: a local job's one reporter; a session cluster's JobManager's and TaskManagers'."""
        self.status_url = f"{rest_url.rstrip('/')}/jobs/{job_id}/status"
        names = urlencode([("name[]", name) for name in (READ, PENDING, INPUT_WATERMARK, *CHECKPOINT.values())])
        self.scrape_urls = [f"{url}?{names}" for url in prometheus_urls]
        self.job_id = job_id

    def sample(self) -> FlinkSample:
        with urllib.request.urlopen(self.status_url, timeout=TIMEOUT_S) as response:
            state = str(json.load(response)["status"])
        texts = []
        for url in self.scrape_urls:
            with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
                texts.append(response.read().decode())
        at_ms = time.time() * 1000
        families = (family for text in texts for family in text_string_to_metric_families(text))
        samples = [s for family in families for s in family.samples if self._ours(s.labels)]
        sources: dict[str, dict[str, int]] = {}
        watermarks: dict[str, int] = {}  # per task (not a source), its lowest subtask's input watermark
        checkpoint: dict[str, int] = {}
        for name, labels, value in ((s.name, s.labels, s.value) for s in samples):
            if name in (READ, PENDING) and labels.get("operator_name", "").startswith(SOURCE):
                counts = sources.setdefault(labels["operator_name"], {})
                key = "read" if name == READ else "pending"
                counts[key] = counts.get(key, 0) + int(value)
            elif name == INPUT_WATERMARK and not labels.get("task_name", "").startswith(SOURCE):
                mark = min(int(value), FLINK_END_WATERMARK)  # Long.MAX_VALUE comes back as a double, 2^63
                watermarks[labels["task_name"]] = min(watermarks.get(labels["task_name"], mark), mark)
            else:
                checkpoint.update({key: int(value) for key, gauge in CHECKPOINT.items() if gauge == name})
        pending = [counts["pending"] for counts in sources.values() if "pending" in counts]
        return FlinkSample(
            at_ms=at_ms,
            state=state,
            records_read=sum(counts.get("read", 0) for counts in sources.values()),
            pending=sum(pending) if pending else None,  # the reader registers it after its first fetch
            watermark_ms=self._lowest(watermarks),
            checkpoint=checkpoint if checkpoint.get("completed") else None,
            raw={
                "job": {"jid": self.job_id, "state": state},
                "sources": sources,
                "input_watermarks": watermarks,
                "checkpoints": checkpoint,
            },  # fmt: skip
        )

    def _ours(self, labels: dict[str, Any]) -> bool:
        """Two jobs of one process each have a mini-cluster, and a reporter, of their own; the label is a check."""
        return labels.get("job_id", self.job_id) == self.job_id

    @staticmethod
    def _lowest(watermarks: dict[str, int]) -> int | None:
        """The job's event-time clock: the lowest input watermark of any task that has one (the one that holds
        back the windows and joins); None when none has seen a watermark, or the job has no event time."""
        seen = [mark for mark in watermarks.values() if mark > FLINK_NO_WATERMARK]
        return min(seen) if seen else None
