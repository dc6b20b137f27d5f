"""A Flink job's progress from its JobManager's REST API (the endpoints the web UI reads).

Per poll: /jobs/:id (state, vertices), each source vertex's subtask metrics (numRecordsOut and the Kafka
source reader's pendingRecords, summed), each other vertex's input watermarks, and /jobs/:id/checkpoints.
The JobManager refreshes the metrics it serves every `metrics.fetcher.update-interval` (the lab sets 1 s).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import quote

from streamlab.monitoring.envelope import FLINK_NO_WATERMARK, FlinkSample

TIMEOUT_S = 2.0
READ = ".numRecordsOut"  # of a source operator: records read from Kafka and handed on
PENDING = ".pendingRecords"  # of a Kafka source reader: records in its partitions beyond its position


class FlinkRest:
    def __init__(self, base_url: str, job_id: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.job_id = job_id
        self._source_metrics: dict[str, list[str]] = {}  # vertex id: the metric ids wanted of it

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.base_url + path, timeout=TIMEOUT_S) as response:
            return json.load(response)

    def sample(self) -> FlinkSample:
        job = self.get(f"/jobs/{self.job_id}")
        sources = [vertex for vertex in job["vertices"] if vertex["name"].startswith("Source:")]
        others = [vertex for vertex in job["vertices"] if vertex not in sources]
        read, pending = 0, None
        for vertex in sources:
            for metric in self._source_values(vertex["id"]):
                if metric["id"].endswith(PENDING):
                    pending = (pending or 0) + int(metric["sum"])
                elif metric["id"].endswith(READ):
                    read += int(metric["sum"])
        checkpoints = self.get(f"/jobs/{self.job_id}/checkpoints")
        latest = (checkpoints.get("latest") or {}).get("completed")
        return FlinkSample(
            at_ms=job["now"],
            state=job["state"],
            records_read=read,
            pending=pending,
            watermark_ms=self._watermark([vertex["id"] for vertex in others]),
            checkpoint=latest,
            raw={
                "job": {key: job[key] for key in ("jid", "name", "state", "start-time", "duration")},
                "vertices": [
                    {"name": v["name"], "parallelism": v["parallelism"], "metrics": v["metrics"]}
                    for v in job["vertices"]
                ],
                "checkpoints": {"counts": checkpoints.get("counts"), "latest": latest},
            },
        )

    def _source_values(self, vertex_id: str) -> list[dict[str, Any]]:
        """The source operators' counters, summed over subtasks. Their ids carry the operator's name
        (Source__behavior_events[1].numRecordsOut), listed once the JobManager has fetched them."""
        path = f"/jobs/{self.job_id}/vertices/{vertex_id}/subtasks/metrics"
        # listed again until the reader's pendingRecords shows up: it is registered after its first fetch
        if not any(name.endswith(PENDING) for name in self._source_metrics.get(vertex_id, ())):
            ids = [metric["id"] for metric in self.get(path)]
            self._source_metrics[vertex_id] = [
                name for name in ids if name.startswith("Source__") and name.endswith((READ, PENDING))
            ]
        # one request per metric: a list naming one that has no value yet (pendingRecords before the reader
        # knows its partitions' ends) gets an empty answer for all of them
        return [
            value for name in self._source_metrics[vertex_id] for value in self.get(f"{path}?get={quote(name)}&agg=sum")
        ]

    def _watermark(self, vertex_ids: list[str]) -> int | None:
        """The job's event-time clock: the lowest input watermark of any operator that has one (the one that
        holds back the windows and joins), None when no operator has seen a watermark."""
        lowest = None
        for vertex_id in vertex_ids:
            marks = [int(m["value"]) for m in self.get(f"/jobs/{self.job_id}/vertices/{vertex_id}/watermarks")]
            if marks and min(marks) > FLINK_NO_WATERMARK:
                lowest = min(marks) if lowest is None else min(lowest, min(marks))
        return lowest
