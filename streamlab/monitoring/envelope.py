"""One JSON envelope for the progress of a job of either engine, as it goes to the `streaming-metrics` topic.

Spark reports a micro-batch's progress (StreamingQueryProgress, seed 003's listener); Flink's counters and
gauges are sampled once a second from its Prometheus reporter. Each field's source per engine, and where an engine
has no equivalent (None), is the table in docs/monitoring.md; `raw` keeps the engine's own document.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

FLINK_NO_WATERMARK = -(2**63)  # Long.MIN_VALUE: an operator that has seen no watermark yet
FLINK_END_WATERMARK = 2**63 - 1  # Long.MAX_VALUE: the input has ended (or a drain), every window fires


@dataclass(frozen=True)
class JobIdentity:
    """Who reports: the same for every envelope of one job in one run."""

    engine: str
    workload: str
    job: str  # the registry's job name (a stage of a pipeline), else the workload's
    run_id: str  # one per `streamlab` process that started the job
    # where the job reads and writes, for readers of the reports (alerts, the dashboard): topic per role
    topics: dict[str, str] = field(default_factory=dict)
    output_dir: str | None = None  # jobs that write files
    links: dict[str, str] = field(default_factory=dict)  # "ui": the engine's web UI, "prometheus": its scrape URL

    @property
    def key(self) -> str:
        """The record key on streaming-metrics: envelopes of one job land in order in one partition."""
        return f"{self.engine}/{self.workload}/{self.job}"


@dataclass(frozen=True)
class Envelope:
    engine: str
    workload: str
    job: str
    run_id: str
    ts: str  # when the engine measured, ISO 8601 UTC
    status: str  # RUNNING, FINISHED, FAILED, CANCELED, ...
    input_rate: float | None = None  # records/s arriving at the job's input
    processing_rate: float | None = None  # records/s the job read and processed
    lag_records: int | None = None  # records in the input topics not read yet
    watermark: str | None = None  # the event-time clock, ISO 8601 UTC; None: no event time
    batch_or_checkpoint_ms: float | None = None  # Spark: the last micro-batch; Flink: the last checkpoint
    state_rows: int | None = None  # rows in state; None where the engine does not count them
    raw: dict[str, Any] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)  # JobIdentity's: not a measurement
    output_dir: str | None = None
    links: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return JobIdentity(self.engine, self.workload, self.job, self.run_id).key

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), allow_nan=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, value: bytes | str) -> Envelope:
        document = json.loads(value)
        return cls(**{name: document.get(name) for name in cls.__dataclass_fields__ if name in document})


# the measured fields, each documented per engine in docs/monitoring.md (topics, output_dir and links say where)
FIELDS = tuple(name for name in Envelope.__dataclass_fields__ if name not in ("topics", "output_dir", "links"))


def epoch_s(iso: str) -> float:
    """An envelope's or an alert's ts (ISO 8601 UTC, Z or +00:00) in epoch seconds."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def iso_ms(epoch_ms: float) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: Any) -> float | None:
    """A rate as JSON allows it: Spark leaves out NaN (the first batch's input rate), Python may not."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return float(value)


# --- Spark: one StreamingQueryProgress (its .json) per micro-batch ----------------------------------------


def spark_lag(sources: list[dict[str, Any]]) -> int | None:
    """Records behind: per topic partition, the newest offset the source saw minus the one its batch read to.
    Spark commits nothing to Kafka, so this comes from the progress (its avgOffsetsBehindLatest is the mean
    of the same differences)."""
    lag, known = 0, False
    for source in sources:
        ends, latest = source.get("endOffset"), source.get("latestOffset")
        if not isinstance(ends, dict) or not isinstance(latest, dict):
            continue
        for topic, partitions in latest.items():
            for partition, offset in partitions.items():
                read_to = ends.get(topic, {}).get(partition)
                if read_to is not None:
                    lag, known = lag + max(0, int(offset) - int(read_to)), True
    return lag if known else None


def spark_envelope(identity: JobIdentity, progress: dict[str, Any]) -> Envelope:
    """A micro-batch's progress. Stateless queries keep no state: 0 rows, as Spark reports no operator."""
    watermark = progress.get("eventTime", {}).get("watermark")
    return Envelope(
        **asdict(identity),
        ts=progress["timestamp"],
        status="RUNNING",
        input_rate=_number(progress.get("inputRowsPerSecond")),
        processing_rate=_number(progress.get("processedRowsPerSecond")),
        lag_records=spark_lag(progress.get("sources", [])),
        watermark=watermark,
        batch_or_checkpoint_ms=_number(progress.get("durationMs", {}).get("triggerExecution")),
        state_rows=sum(int(operator.get("numRowsTotal", 0)) for operator in progress.get("stateOperators", [])),
        raw=progress,
    )


def spark_idle_envelope(identity: JobIdentity, timestamp: str, last: Envelope | None) -> Envelope:
    """A query with no new data: since Spark 3.5 its listener hears QueryIdleEvent (id, runId, timestamp) at
    noDataProgressEventInterval instead of an empty progress report. Nothing arrives and nothing is read, so
    the rates and the lag are 0; the watermark, the last batch and the state are as the last report said."""
    return Envelope(
        **asdict(identity),
        ts=timestamp,
        status="RUNNING",
        input_rate=0.0,
        processing_rate=0.0,
        lag_records=0,
        watermark=last.watermark if last else None,
        batch_or_checkpoint_ms=last.batch_or_checkpoint_ms if last else None,
        state_rows=last.state_rows if last else None,
        raw={"idle": {"timestamp": timestamp}},
    )


# --- Flink: a sample of the job's metrics, once a second ---------------------------------------------


@dataclass(frozen=True)
class FlinkSample:
    """What one sample of a Flink job's metrics found (streamlab.monitoring.flink_metrics)."""

    at_ms: float  # when the gauges were read
    state: str
    records_read: int  # every source operator's numRecordsOut: read from Kafka and handed on
    pending: int | None  # every Kafka source reader's pendingRecords; None before the readers report
    watermark_ms: int | None  # the lowest input watermark over the operators that have one
    checkpoint: dict[str, int] | None  # the latest completed checkpoint: duration_ms, state_size_bytes, counts
    raw: dict[str, Any]


def flink_envelope(identity: JobIdentity, sample: FlinkSample, before: FlinkSample | None) -> Envelope:
    """Rates come from two samples' counters (Flink's own *PerSecond meters average over a minute): the
    processing rate is what the sources read per second; the input rate adds how fast the backlog grew,
    so that arrivals = read + growth of what waits, as the topic's end offsets would give it."""
    processing = input_rate = None
    if before is not None and sample.at_ms > before.at_ms:
        seconds = (sample.at_ms - before.at_ms) / 1000
        processing = max(0.0, (sample.records_read - before.records_read) / seconds)
        if sample.pending is not None and before.pending is not None:
            input_rate = max(0.0, processing + (sample.pending - before.pending) / seconds)
    checkpoint = sample.checkpoint or {}
    return Envelope(
        **asdict(identity),
        ts=iso_ms(sample.at_ms),
        status=sample.state,
        input_rate=input_rate,
        processing_rate=processing,
        lag_records=sample.pending,
        # the end-of-input watermark is no time of day: none, as before the first one
        watermark=iso_ms(sample.watermark_ms) if sample.watermark_ms not in (None, FLINK_END_WATERMARK) else None,
        batch_or_checkpoint_ms=_number(checkpoint.get("duration_ms")),
        state_rows=None,  # Flink counts state in bytes (raw.checkpoints.state_size_bytes), not rows
        raw=sample.raw,
    )


def terminal_envelope(identity: JobIdentity, status: str, error: str = "") -> Envelope:
    """The last word of a job: how it ended, with no figures."""
    raw = {"error": error} if error else {}
    return Envelope(**asdict(identity), ts=iso_ms(datetime.now(UTC).timestamp() * 1000), status=status, raw=raw)
