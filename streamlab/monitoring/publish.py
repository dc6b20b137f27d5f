"""Every streaming job the lab starts reports its progress to the `streaming-metrics` topic, about once a
second: Spark through a StreamingQueryListener (every progress event), Flink through a thread that samples
the job's metrics (streamlab.monitoring.flink_metrics). Reporting never stops a job: a failure to publish is
said once, on stderr."""

from __future__ import annotations

import atexit
import json
import sys
import threading
import time
import uuid
from typing import Any

from confluent_kafka import Producer

from streamlab import ownership
from streamlab.engines import ACTIVE_STATES, FlinkJob, Pipeline, RunningJob, SparkJob
from streamlab.kafka_admin import TopicSpec
from streamlab.monitoring.envelope import (
    Envelope,
    JobIdentity,
    flink_envelope,
    spark_envelope,
    spark_idle_envelope,
    terminal_envelope,
)
from streamlab.monitoring.flink_metrics import FlinkMetrics

METRICS_TOPIC = "streaming-metrics"  # one per cluster, whatever a run's --topic-prefix: `status` reads it all
SAMPLE_S = 1.0  # how often a Flink job's metrics are sampled
LAST_WORD_S = 5.0  # how long a process that ends waits for its jobs' last reports
# fields an engine never fills (docs/monitoring.md says why); the others are filled once the job has run a while
ABSENT = {"flink": ("state_rows",), "spark": ()}
_reporters: list[FlinkReporter | SparkReporter] = []
RUN_ID = uuid.uuid4().hex[:12]  # this process's: the jobs it starts share it


class Publisher:
    """A small producer of envelopes. Keyed by job, one partition: a reader sees each job's reports in order."""

    def __init__(self, bootstrap_servers: str, topic: str = METRICS_TOPIC) -> None:
        ownership.ensure_topics(bootstrap_servers, [TopicSpec(topic, partitions=1)])
        self.topic = topic
        self._producer = Producer({"bootstrap.servers": bootstrap_servers, "linger.ms": 20, "acks": "1"})
        self._failed = False

    def publish(self, envelope: Envelope) -> None:
        try:
            self._producer.produce(self.topic, key=envelope.key.encode(), value=envelope.to_json())
            self._producer.poll(0)
        except Exception as error:  # BufferError, KafkaException: the job goes on without its reports
            self.warn_once(error)

    def flush(self, timeout_s: float = 5.0) -> None:
        if self._producer.flush(timeout_s):
            self.warn_once(f"{len(self._producer)} reports not delivered")

    def warn_once(self, error: object) -> None:
        if not self._failed:
            self._failed = True
            print(f"warning: metrics to {self.topic!r} not published: {error}", file=sys.stderr)


def follow(running: RunningJob, identity: JobIdentity, publisher: Publisher) -> None:
    """Start reporting a submitted job (each stage of a pipeline on its own)."""
    if isinstance(running, Pipeline):
        raise ValueError("follow the stages of a pipeline one by one, each with its own job name")
    reporter: FlinkReporter | SparkReporter
    if isinstance(running, FlinkJob):
        reporter = FlinkReporter(running, identity, publisher)
    elif isinstance(running, SparkJob):
        reporter = SparkReporter(running, identity, publisher)
    else:
        return  # a batch job (FinishedJob) has ended before it could be followed
    if not _reporters:
        atexit.register(_last_words)
    _reporters.append(reporter)
    reporter.start()


def _last_words() -> None:
    """At exit, the stopped jobs' last reports (how each ended) go out before the process does."""
    deadline = time.monotonic() + LAST_WORD_S
    for reporter in _reporters:
        reporter.ended_by(deadline)


class FlinkReporter(threading.Thread):
    """Samples the job's metrics once a second until the job has ended; then its last status."""

    def __init__(self, job: FlinkJob, identity: JobIdentity, publisher: Publisher) -> None:
        super().__init__(name=f"metrics-{identity.key}", daemon=True)
        self.job, self.identity, self.publisher = job, identity, publisher
        self.metrics = FlinkMetrics(job.rest_url(), job.prometheus_urls(), job.job_id())
        self.said_last = False  # the job's end reported

    def ended_by(self, deadline: float) -> None:
        """The sampler's own last word, or, where it has not come in time (the mini-cluster's REST endpoint
        answers slowly while it shuts down), the job handle's."""
        self.join(max(0.0, deadline - time.monotonic()))
        if not self.said_last:
            self.last_word(at_exit=True)

    def last_word(self, at_exit: bool = False) -> None:
        """How the job ended. At the process's exit a job still running ends with it: its mini-cluster
        lives in this process."""
        status = self.job.status()
        if at_exit and status in ACTIVE_STATES:
            status = "CANCELED"
        self.publisher.publish(terminal_envelope(self.identity, status))
        self.publisher.flush()
        self.said_last = True

    def run(self) -> None:
        before = None
        while True:
            time.sleep(SAMPLE_S)
            try:
                sample = self.metrics.sample()
            except OSError:  # the job's mini-cluster is gone (or going): the job has ended
                break
            except (KeyError, TypeError, ValueError) as error:  # a document not as expected: this sample is lost
                self.publisher.warn_once(f"a Flink metrics sample could not be read: {error!r}")
                continue
            if sample.state not in ACTIVE_STATES:
                self.publisher.publish(terminal_envelope(self.identity, sample.state))
                self.publisher.flush()
                self.said_last = True
                return
            self.publisher.publish(flink_envelope(self.identity, sample, before))
            self.publisher.flush(1.0)
            before = sample
        self.last_word()


class SparkReporter:
    """A StreamingQueryListener for the job's queries: every progress event, and how each query ended."""

    def __init__(self, job: SparkJob, identity: JobIdentity, publisher: Publisher) -> None:
        self.job, self.identity, self.publisher = job, identity, publisher
        self.errors: list[str] = []
        self.done = threading.Event()
        self.last: Envelope | None = None  # the newest progress report

    def ended_by(self, deadline: float) -> None:
        """Spark tells a listener of a stopped query later, on its listener bus: wait for it, not forever."""
        self.done.wait(max(0.0, deadline - time.monotonic()))

    def start(self) -> None:
        from pyspark.sql import SparkSession
        from pyspark.sql.streaming import StreamingQueryListener

        reporter = self
        ours = {str(query.id) for query in self.job.queries}
        session = SparkSession.builder.getOrCreate()  # the process's one session (engines.spark_session)

        class Listener(StreamingQueryListener):
            def onQueryStarted(self, event: Any) -> None:
                pass

            def onQueryProgress(self, event: Any) -> None:
                if str(event.progress.id) in ours:
                    reporter.progress(event.progress.json)

            def onQueryIdle(self, event: Any) -> None:  # no new data: a report all the same, once a second
                if str(event.id) in ours:
                    reporter.idle(event.timestamp)

            def onQueryTerminated(self, event: Any) -> None:
                if str(event.id) in ours:
                    ours.discard(str(event.id))
                    reporter.errors += [event.exception] if event.exception else []
                    if not ours:  # the job has ended when its last query has
                        reporter.ended()
                        session.streams.removeListener(self)

        session.streams.addListener(Listener())

    def progress(self, progress_json: str) -> None:
        self.last = spark_envelope(self.identity, json.loads(progress_json))
        self.publisher.publish(self.last)
        self.publisher.flush(1.0)

    def idle(self, timestamp: str) -> None:
        self.publisher.publish(spark_idle_envelope(self.identity, timestamp, self.last))
        self.publisher.flush(1.0)

    def ended(self) -> None:
        """FINISHED when every query stopped without an error (a bounded run's end, or `stop`), else FAILED."""
        status = "FAILED" if self.errors else "FINISHED"
        self.publisher.publish(terminal_envelope(self.identity, status, "\n".join(self.errors)))
        self.publisher.flush()
        self.done.set()
