"""Watching jobs run: each job's progress in one envelope for both engines (envelope), published to the
`streaming-metrics` topic while it runs (publish; Flink's figures from its Prometheus reporter, flink_metrics)."""

from streamlab.monitoring.envelope import FIELDS, Envelope, JobIdentity
from streamlab.monitoring.publish import ABSENT, METRICS_TOPIC, RUN_ID, Publisher, follow

__all__ = ["ABSENT", "FIELDS", "METRICS_TOPIC", "RUN_ID", "Envelope", "JobIdentity", "Publisher", "follow"]
