"""The registry: each workload declares what it reads and writes; everything else follows from that.

A workload is its Kafka topics (by role), a producer, and one or more jobs. A job declares the
role it reads (a topic, or FILE for a file-fed batch job), its result (an upsert topic, an
append-only topic, Parquet or CSV files: streamlab.results.ResultSpec), where rejected input
goes, and the oracle that checks it. The CLI, the live view, the results reader and the oracle
check are driven by these declarations, so adding a workload is its own files plus one entry here.

Producers and jobs are named by module and imported only when used: the shared package never
imports a job.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from streamlab import kafka_admin, oracles, results
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR
from streamlab.results import APPEND_TOPIC, CSV, PARQUET, UPSERT_TOPIC, ResultSpec
from streamlab.settings import DEAD_LETTERS, INPUT, OUTPUT, Settings

FILE = "file"  # what a file-fed job reads: settings.input_path


@dataclass(frozen=True)
class Topic:
    """A Kafka topic a workload uses, by role; `--topic-prefix` and the topic flags rename it per run."""

    role: str
    default: str
    compacted: bool = False


@dataclass(frozen=True)
class Job:
    """One engine job of a workload: flink_jobs.<module> and spark_jobs.<module> (run, explain)."""

    name: str
    module: str
    summary: str
    reads: str  # a topic role, or FILE
    result: ResultSpec
    rejects: str = ""  # the topic role of its dead letters; for a FILE job, the folder of rejected lines
    # streamlab.oracles.<module>.<function>(records of each role it reads, or the input path) -> (expected,
    # rejected rows)
    oracle: str = ""
    also_reads: tuple[str, ...] = ()  # more topic roles the job reads, after `reads` (a join, several inputs)

    @property
    def input_roles(self) -> tuple[str, ...]:
        return (self.reads, *self.also_reads)

    @property
    def batch(self) -> bool:
        """A batch job reads a file to its end and stops; it needs no Kafka."""
        return self.reads == FILE

    @property
    def rejects_spec(self) -> ResultSpec | None:
        """Where rejected input is kept, as a result that can be read back and counted."""
        if self.batch and self.rejects:
            return ResultSpec(CSV, (), ("raw_line", "reason"), subdir=self.rejects)
        if self.rejects:
            return ResultSpec(APPEND_TOPIC, (), ("reason", "source_partition", "source_offset"), role=self.rejects)
        return None

    def oracle_function(self) -> Callable[..., tuple[Any, Any]]:
        return oracles.get(self.oracle)


@dataclass(frozen=True)
class Workload:
    name: str
    summary: str
    producer_module: str = ""  # producers.<producer_module>: add_arguments(parser), produce(settings, options)
    topics: tuple[Topic, ...] = ()
    jobs: tuple[Job, ...] = ()
    demo_args: tuple[str, ...] = ()  # what `demo` passes to the producer, as a user would type it
    # a small input, produced in about ten seconds, added after demo_args: the slow test tier's demos and
    # chaos runs use it (every workload gets them: tests/tiers.py)
    quick_args: tuple[str, ...] = ()
    plot: str = ""  # streamlab.plots.<plot>(table, path): `results --plot FILE.png`
    # jobs that feed one another (each reads what the one before it wrote): `run` without --job runs
    # them all, in this order, and the last one is the main job
    pipeline: tuple[str, ...] = ()

    @property
    def batch(self) -> bool:
        return all(job.batch for job in self.jobs)

    def job(self, name: str | None = None) -> Job:
        """A job by name; the main job when no name is given: the end of the pipeline, else the first job."""
        if name is None:
            return self.stages()[-1]
        for job in self.jobs:
            if job.name == name:
                return job
        raise LabError(f"{self.name} has no job {name!r}: choose one of {', '.join(j.name for j in self.jobs)}")

    def stages(self, name: str | None = None) -> tuple[Job, ...]:
        """What `run` runs: the named job alone, else the pipeline (or the first job when there is none)."""
        if name is not None:
            return (self.job(name),)
        return tuple(self.job(stage) for stage in self.pipeline) or (self.jobs[0],)

    def producer(self) -> ModuleType:
        return importlib.import_module(f"producers.{self.producer_module}")

    def producer_options(
        self, argv: Sequence[str] = (), flags: Mapping[str, object] | None = None
    ) -> argparse.Namespace:
        """The producer's options as `streamlab produce WORKLOAD` parses them: the demo's flags, then `flags`
        where the producer has them (patient-events replays a file: it has no --count), then argv, which wins."""
        parser = argparse.ArgumentParser(prog=f"streamlab produce {self.name}")
        self.producer().add_arguments(parser)
        known = {option for action in parser._actions for option in action.option_strings}
        chosen = [str(part) for flag, value in (flags or {}).items() if flag in known and value is not None
                  for part in (flag, value)]  # fmt: skip
        return parser.parse_args([*self.demo_args, *chosen, *argv])

    def engine_module(self, job: Job, engine: str) -> ModuleType:
        return importlib.import_module(f"{engine}_jobs.{job.module}")

    def topic_names(self, prefix: str = "", overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """role -> topic for one run: an explicit override, else the prefix plus the default name."""
        overrides = overrides or {}
        unknown = set(overrides) - {topic.role for topic in self.topics}
        if unknown:
            roles = ", ".join(topic.role for topic in self.topics) or "none"
            raise LabError(f"{self.name} has no topic role {', '.join(sorted(unknown))} (its roles: {roles})")
        return {topic.role: overrides.get(topic.role) or f"{prefix}{topic.default}" for topic in self.topics}

    def topic_specs(self, settings: Settings) -> list[kafka_admin.TopicSpec]:
        """The topics to create; a job's result topics are stamped by the broker (LogAppendTime), so a
        result record's timestamp says when it became readable: `streamlab bench` measures latency by it."""
        results = {role for job in self.jobs for role in job.result.roles if job.result.is_topic}
        return [
            kafka_admin.TopicSpec(
                settings.topic(topic.role),
                settings.partitions,
                compacted=topic.compacted,
                log_append_time=topic.role in results,
            )
            for topic in self.topics
        ]

    def default_output_dir(self, engine: str) -> Path:
        """Each engine writes its own folder, so Flink's and Spark's files never mix."""
        return RUN_DIR / self.name / engine

    def default_input_path(self) -> Path:
        return RUN_DIR / self.name / "input.csv"


STRATEGIES = "abcd"  # strategy-join: A_input..D_input, each with its X_output
STRATEGY_INPUTS = tuple(f"{letter}_input" for letter in STRATEGIES)
STRATEGY_OUTPUTS = tuple(f"{letter}_output" for letter in STRATEGIES)
BIKE_HOURLY_COLUMNS = ("rent_cnt", "return_cnt", "lst_prk_cnt", "event_cnt")
BIKE_EVENT_COLUMNS = ("stt_nm", "rent_cnt", "return_cnt", "lst_prk_cnt", "stt_lttd", "stt_lgtd")


def sales_totals(subdir: str) -> ResultSpec:
    """Totals per category as headerless CSV; float sums agree to 1e-9 (engines add in their own order)."""
    return ResultSpec(
        CSV,
        key_columns=("category",),
        value_columns=("total_revenue", "avg_price", "total_quantity", "transaction_count"),
        count_column="transaction_count",
        subdir=subdir,
        rel_tolerance=1e-9,
    )


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "behavior-stats",
            "user events -> counts per (category, behavior) -> upsert topic",
            producer_module="behavior_stats",
            topics=(
                Topic(INPUT, "user_behaviors"),
                Topic(OUTPUT, "behavior_stats", compacted=True),
                Topic(DEAD_LETTERS, "user_behaviors_dlq"),
            ),
            jobs=(
                Job(
                    "stats",
                    "behavior_stats",
                    "counts per (category, behavior), upserted by key",
                    reads=INPUT,
                    result=ResultSpec(
                        UPSERT_TOPIC,
                        key_columns=("category", "behavior"),
                        value_columns=("behavior_count", "last_event_ts"),
                        extra_columns=("update_time",),
                        count_column="behavior_count",
                        newest_event="last_event_ts",
                    ),
                    rejects=DEAD_LETTERS,
                    oracle="behavior_stats.counts",
                ),
            ),
            demo_args=("--count", "1000", "--rate", "10", "--bad-every", "50"),
            quick_args=("--count", "400", "--rate", "80"),
        ),
        Workload(
            "bike-rentals",
            "station snapshots -> rent/return events -> hourly Parquet by ymd/hh",
            producer_module="bike_rentals",
            topics=(
                Topic(INPUT, "apis.seouldata.rt-bicycle"),
                Topic("snapshots", "apis.seouldata.rt-bicycle.raw"),
                Topic("derived", "apis.seouldata.rt-bicycle.derived"),
                Topic(DEAD_LETTERS, "apis.seouldata.rt-bicycle.dlq"),
                Topic("snapshot_dead_letters", "apis.seouldata.rt-bicycle.raw.dlq"),
            ),
            jobs=(
                Job(
                    "hourly",
                    "bike_rentals",
                    "rent/return events -> one row per station and hour, Parquet partitioned by ymd/hh",
                    reads=INPUT,
                    result=ResultSpec(
                        PARQUET,
                        key_columns=("stt_id", "ymd", "hh"),
                        value_columns=("stt_nm", *BIKE_HOURLY_COLUMNS, "lst_crt_dttm"),
                        extra_columns=("stt_lttd", "stt_lgtd"),
                        count_column="event_cnt",
                        partition_by=("ymd", "hh"),
                        rank_by=("rent_cnt", "return_cnt"),
                        shown=("ymd", "hh", "stt_id", "stt_nm", *BIKE_HOURLY_COLUMNS),
                    ),
                    rejects=DEAD_LETTERS,
                    oracle="bike_rentals.hourly",
                ),
                Job(
                    "derive",
                    "bike_derive",
                    "station snapshots -> rent/return events by the difference, computed by the engine",
                    reads="snapshots",
                    result=ResultSpec(
                        APPEND_TOPIC,
                        key_columns=("stt_id", "crt_dttm"),
                        value_columns=BIKE_EVENT_COLUMNS,
                        role="derived",
                        not_one_to_one="a snapshot whose parked count did not change makes no event",
                    ),
                    rejects="snapshot_dead_letters",
                    oracle="bike_rentals.derived_events",
                ),
            ),
            demo_args=("--stations", "300", "--hours", "6", "--speedup", "240", "--bad-every", "500"),
            quick_args=("--stations", "30", "--hours", "2", "--speedup", "720", "--bad-every", "40"),
            plot="bike_rentals",
        ),
        Workload(
            "sales-batch",
            "sales CSV -> totals per category in batch mode, read back with pandas",
            producer_module="sales_batch",
            jobs=(
                Job(
                    "summary",
                    "sales_batch",
                    "revenue, average price, quantity and transactions per category",
                    reads=FILE,
                    result=sales_totals("summary"),
                    rejects="rejected",
                    oracle="sales_batch.summary",
                ),
                Job(
                    "seed-csv",
                    "sales_batch_seed",
                    "the seed's reader for comparison: each engine's own CSV parser in its lenient mode",
                    reads=FILE,
                    result=sales_totals("seed-csv"),
                    oracle="sales_batch.summary",  # it does not agree: that is what it is there to show
                ),
            ),
            demo_args=("--rows", "1000", "--bad-every", "100"),
            quick_args=("--rows", "800"),
        ),
        Workload(
            "windowed-messages",
            "timestamped messages -> 1-minute event-time windows with a watermark",
            producer_module="windowed_messages",
            topics=(
                Topic(INPUT, "test-topic"),
                Topic(OUTPUT, "message_counts", compacted=True),
                Topic(DEAD_LETTERS, "test-topic-dlq"),
            ),
            jobs=(
                Job(
                    "windows",
                    "windowed_messages",
                    "messages per 1-minute tumbling event-time window, 1-minute watermark",
                    reads=INPUT,
                    result=ResultSpec(
                        UPSERT_TOPIC,
                        ("window_start", "window_end"),
                        ("message_count",),
                        count_column="message_count",
                        window_end="window_end",
                    ),
                    rejects=DEAD_LETTERS,
                    oracle="windowed_messages.windows",
                ),
            ),
            demo_args=("--count", "300", "--rate", "30", "--bad-every", "50"),
            quick_args=("--count", "400", "--rate", "80"),
        ),
        Workload(
            "strategy-join",
            "strategy jobs A-D, then C's results joined with D's input within 5 minutes",
            producer_module="strategy_join",
            topics=(
                *(Topic(role, role.capitalize()) for role in STRATEGY_INPUTS + STRATEGY_OUTPUTS),
                Topic("ready", "D_input_ready"),
                Topic(DEAD_LETTERS, "strategy_inputs_dlq"),
                Topic("ready_dead_letters", "D_input_ready_dlq"),
            ),
            jobs=(
                Job(
                    "strategies",
                    "strategy_rules",
                    "each X_input record -> X_output with the seed's rule on value (x2, x1.5+10, x*x/100)",
                    reads=STRATEGY_INPUTS[0],
                    also_reads=STRATEGY_INPUTS[1:],
                    result=ResultSpec(
                        APPEND_TOPIC,
                        ("strategy", "key", "ts"),
                        ("value", "result"),
                        role=STRATEGY_OUTPUTS[0],
                        also_roles=STRATEGY_OUTPUTS[1:],
                    ),
                    rejects=DEAD_LETTERS,
                    oracle="strategy_join.outputs",
                ),
                Job(
                    "join",
                    "strategy_join",
                    "C_output joined with D_input on key, event times at most 5 minutes apart",
                    reads="c_output",
                    also_reads=("d_input",),
                    result=ResultSpec(
                        APPEND_TOPIC,
                        ("key", "c_ts", "d_ts"),
                        ("c_result", "d_value"),
                        role="ready",
                        not_one_to_one="a row is a pair of records 5 minutes apart at most: a record is in 0 or many",
                    ),
                    rejects="ready_dead_letters",
                    oracle="strategy_join.pairs",
                ),
            ),
            demo_args=("--count", "100", "--rate", "40", "--bad-every", "97"),
            quick_args=("--count", "150", "--rate", "80"),
            pipeline=("strategies", "join"),
        ),
        Workload(
            "patient-events",
            "CSV replay of patient events, counted by action",
            producer_module="patient_events",
            topics=(
                Topic(INPUT, "patient_events"),
                Topic(OUTPUT, "patient_action_counts", compacted=True),
                Topic(DEAD_LETTERS, "patient_events_dlq"),
            ),
            jobs=(
                Job(
                    "counts",
                    "patient_events",
                    "events per action, upserted by action",
                    reads=INPUT,
                    result=ResultSpec(UPSERT_TOPIC, ("action",), ("event_count",), count_column="event_count"),
                    rejects=DEAD_LETTERS,
                    oracle="patient_events.action_counts",
                ),
            ),
            demo_args=("--rate", "50"),
            quick_args=("--rate", "80"),
        ),
        Workload(
            "passthrough",
            "user events -> parse, keep purchase intents, project -> append topic (stateless)",
            producer_module="behavior_stats",
            topics=(
                Topic(INPUT, "passthrough_events"),
                Topic(OUTPUT, "purchase_intents"),
                Topic(DEAD_LETTERS, "passthrough_events_dlq"),
            ),
            jobs=(
                Job(
                    "intents",
                    "passthrough",
                    "valid add_to_cart and purchase events, projected, keyed by user_id; no state",
                    reads=INPUT,
                    result=ResultSpec(
                        APPEND_TOPIC,
                        key_columns=("source_partition", "source_offset"),
                        value_columns=("user_id", "item_id", "category", "behavior", "ts"),
                        not_one_to_one="only purchase intents are kept: a click or a view makes no record",
                        rank_by=("source_offset",),  # the newest records of each partition first
                        newest_event="ts",
                        shown=("ts", "user_id", "item_id", "category", "behavior", "source_partition", "source_offset"),
                    ),
                    rejects=DEAD_LETTERS,
                    oracle="passthrough.purchase_intents",
                ),
            ),
            demo_args=("--count", "1000", "--rate", "10", "--bad-every", "50"),
            quick_args=("--count", "400", "--rate", "80"),
        ),
    )
}


def get(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise LabError(f"unknown workload {name!r}: choose one of {', '.join(WORKLOADS)}") from None


def read_inputs(job: Job, settings: Settings) -> list[Any]:
    """What a job's oracle takes: the records of each topic it reads, or the path of its input file."""
    if job.batch:
        return [settings.required_input_path()]
    return [kafka_admin.read_topic(settings.bootstrap_servers, topic) for topic in input_topics(job, settings)]


def input_topics(job: Job, settings: Settings) -> list[str]:
    return [settings.topic(role) for role in job.input_roles]


def input_size(job: Job, settings: Settings) -> int:
    """How many input records a run has to account for: topic records, or lines of the input file."""
    if job.batch:
        return count_lines(settings.required_input_path())
    return sum(results.topic_size(settings.bootstrap_servers, topic) for topic in input_topics(job, settings))


def count_lines(path: Path) -> int:
    """Lines in a text file, the last one counted even without a trailing newline (fast: no decoding)."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")
