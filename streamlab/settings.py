"""One settings object per run, built from flags, the environment and the workload's defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from streamlab import sqlfiles
from streamlab.errors import LabError
from streamlab.paths import RUN_DIR

DEFAULT_BOOTSTRAP = "localhost:9092"
ENGINES = ("flink", "spark")
START_POSITIONS = ("earliest", "latest")
# Spark's unbounded triggers: processingTime (a micro-batch every interval, 0 = back to back) and
# realTime (Spark 4.1+: long-running tasks, records flow through as they arrive; stateless queries only
# before Spark 4.3; its duration is how often it checkpoints, not a latency target)
SPARK_TRIGGERS = ("processingTime", "realTime")
# what a Flink Kafka sink promises across a crash (`run --delivery`): at-least-once writes at once and
# may write again what it wrote after the last checkpoint; exactly-once writes in Kafka transactions
# committed when a checkpoint completes, so read_committed readers see each record once
AT_LEAST_ONCE, EXACTLY_ONCE = "at-least-once", "exactly-once"
DELIVERY_GUARANTEES = (AT_LEAST_ONCE, EXACTLY_ONCE)

# the topic roles most workloads have; a workload may declare others (see streamlab.workloads)
INPUT, OUTPUT, DEAD_LETTERS = "input", "output", "dead_letters"
# the longest record value (in characters) a parse step reads; a longer one is a dead letter
# ('too large'), on both engines and in the oracle. Kafka's own limit (1 MiB by default) is far above it.
MAX_VALUE_CHARS = 65_536


@dataclass(frozen=True)
class Settings:
    """What a producer, a job or a reader needs to know; tests build one directly.

    `topics` maps each topic role the workload declares ("input", "output", "dead_letters",
    "snapshots", ...) to the topic this run uses, so a job never hard-codes a topic name.
    """

    workload: str
    engine: str = "flink"
    job: str = ""  # which of the workload's jobs runs (each keeps its own checkpoints)
    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    topics: Mapping[str, str] = field(default_factory=dict)
    input_path: Path | None = None  # file-fed jobs (sales-batch)
    output_dir: Path | None = None  # jobs that write files (bike-rentals, sales-batch)
    checkpoint_dir: Path | None = None
    start_from: str = "earliest"
    bounded: bool = False
    parallelism: int = 1
    partitions: int = 3
    # extra engine configuration (`run --conf KEY=VALUE`): Flink configuration keys or Spark conf keys
    engine_conf: Mapping[str, str] = field(default_factory=dict)
    spark_trigger: str = ""  # `run --trigger KIND=DURATION` on Spark; "" = micro-batches back to back
    delivery: str = AT_LEAST_ONCE  # `run --delivery`: the guarantee of every Kafka sink of a Flink job
    # `--cluster`: the engine's own cluster the job is submitted to (Flink: a session cluster's REST URL, Spark:
    # a standalone master's spark:// URL); "" runs it in this process (Flink's mini-cluster, Spark's local[N])
    cluster: str = ""
    # `run --from-savepoint` (Flink): state and offsets from this savepoint instead of the newest checkpoint in
    # the folder, as `flink run --fromSavepoint` takes them; a rescale resumes from its stop's savepoint so
    savepoint: Path | None = None
    # `run --bounded --plan-out PATH`: the plan the engine ran, written there once the job has ended (Flink: the
    # optimized plan with changelog modes of the statements submitted; Spark: the last micro-batch's physical plan,
    # with the query's real output mode and checkpoint). `streamlab check` keeps one per engine and job.
    plan_out: Path | None = None
    # `run --sql NAME=FILE`: the job reads FILE where it reads sql/<workload>/NAME.sql, a variant of its SQL (a
    # changed query resumed from the old one's checkpoint: docs/lessons/query-change.md)
    sql_files: Mapping[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise LabError(f"unknown engine {self.engine!r}: choose one of {', '.join(ENGINES)}")
        if self.start_from not in START_POSITIONS:
            raise LabError(f"--from must be earliest or latest, not {self.start_from!r}")
        if self.parallelism < 1 or self.partitions < 1:
            raise LabError("--parallelism and --partitions must be at least 1")
        if self.spark_trigger:
            self.trigger_parts()  # a bad --trigger is reported before any engine starts
        self.check_delivery()
        if self.savepoint is not None:
            self.check_savepoint(self.savepoint)
        if self.sql_files:
            sqlfiles.check_replaced(self.workload, self.sql_files)

    def check_savepoint(self, savepoint: Path) -> None:
        """A savepoint is Flink's, and an unbounded run's: Spark resumes from its checkpoint folder alone."""
        if self.engine != "flink":
            raise LabError(
                "--from-savepoint is a Flink option: Spark has no savepoints and resumes from the checkpoint folder "
                "itself (--checkpoint-dir)"
            )
        if self.bounded:
            raise LabError("--from-savepoint resumes a job: a --bounded run starts over; give one or the other")
        if not (savepoint / "_metadata").is_file():
            raise LabError(
                f"no savepoint in {savepoint}: a savepoint (or retained checkpoint) folder holds a _metadata file; "
                "`streamlab rescale` and Flink's `stop --savepointPath` write one"
            )

    def check_delivery(self) -> None:
        """--delivery names a guarantee the engine's Kafka sink can give; Spark's gives at-least-once only."""
        if self.delivery not in DELIVERY_GUARANTEES:
            raise LabError(f"--delivery must be {' or '.join(DELIVERY_GUARANTEES)}, not {self.delivery!r}")
        if self.delivery == EXACTLY_ONCE and self.engine == "spark":
            raise LabError(
                "--delivery exactly-once is a Flink option: Spark's Kafka sink is at-least-once (a micro-batch "
                "replayed after a crash is written again, and it has no Kafka transactions); run Spark without "
                "--delivery, or run flink"
            )

    def trigger_parts(self) -> tuple[str, str]:
        """("processingTime", "500 ms") from "processingTime=500 ms"; an error naming the choices otherwise."""
        kind, _, duration = self.spark_trigger.partition("=")
        if self.engine != "spark":
            raise LabError("--trigger is a Spark setting; Flink streams record by record (see --conf for its knobs)")
        if kind not in SPARK_TRIGGERS or not duration.strip():
            choices = " or ".join(f"{name}=DURATION" for name in SPARK_TRIGGERS)
            raise LabError(f"--trigger must be {choices} (e.g. realTime='10 seconds'), not {self.spark_trigger!r}")
        return kind, duration.strip()

    def topic(self, role: str) -> str:
        """The topic this run uses for a role; an error naming the role if the workload has none."""
        name = self.topics.get(role)
        if not name:
            raise LabError(f"workload {self.workload!r} has no {role} topic in this run")
        return name

    @property
    def input_topic(self) -> str:
        return self.topics.get(INPUT, "")

    @property
    def output_topic(self) -> str:
        return self.topics.get(OUTPUT, "")

    @property
    def dead_letter_topic(self) -> str:
        return self.topics.get(DEAD_LETTERS, "")

    @property
    def resolved_checkpoint_dir(self) -> Path:
        """Where the engine keeps its checkpoints: the flag, else one folder per engine, workload and job.
        Absolute, because Flink takes it as a file:// URI (a relative --checkpoint-dir failed there)."""
        return (self.checkpoint_dir or RUN_DIR / "checkpoints" / self.engine / self.workload / self.job).absolute()

    def required_output_dir(self) -> Path:
        if self.output_dir is None:
            raise LabError(f"workload {self.workload!r} needs --output-dir")
        return self.output_dir

    def required_input_path(self) -> Path:
        if self.input_path is None or not self.input_path.is_file():
            shown = self.input_path or "(none given)"
            raise LabError(f"input file {shown} does not exist: write one with `streamlab produce {self.workload}`")
        return self.input_path

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)


def bootstrap_from_env(flag_value: str | None) -> str:
    """The flag wins, then KAFKA_BOOTSTRAP_SERVERS, then the embedded cluster's first broker."""
    return flag_value or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP
