"""What `streamlab bench` runs: the engine variants and the profiles (tiny for the test, short by
default, full for the long one). Every setting here lands in results.json."""

from __future__ import annotations

from dataclasses import dataclass, field

# the same for both engines in every run (REFERENCE.md, benchmark method)
PARALLELISM = 2  # Flink parallelism = Spark local cores = shuffle partitions = topic partitions
DELIVERY = "at-least-once"  # Flink's Kafka sinks' default; Spark's Kafka sink offers nothing else
CHECKPOINT_INTERVAL = "10 s"  # Flink's (streamlab.engines); Spark's real-time trigger is given the same

REAL_TIME_STATELESS_ONLY = (
    "Spark 4.2's real-time mode runs stateless queries only: started on an aggregation it fails with "
    "STREAMING_REAL_TIME_MODE.OPERATOR_OR_SINK_NOT_IN_ALLOWLIST (HashAggregateExec, ShuffleExchangeExec); "
    "aggregations come with Spark 4.3, whose Kafka connector is not on Maven Central yet"
)

DRAIN_ONLY = {  # workload -> why it has no latency or sustainable runs
    "windowed-messages": (
        "a 1-minute window under a 1-minute watermark is final a minute or more after its end on both engines by "
        "design (Flink emits it once then; Spark's update mode re-emits the count so far after every batch, so its "
        "records are not final results), event times are whole seconds, and a phase of seconds never sees a window "
        "close: the drain measures what the window operator costs"
    ),
}


@dataclass(frozen=True)
class Variant:
    """An engine with a configuration: `conf` goes to `run --conf`, `trigger` to `run --trigger`."""

    engine: str
    name: str
    conf: dict[str, str] = field(default_factory=dict)
    trigger: str = ""
    why: str = ""  # what the variant shows
    unsupported: dict[str, str] = field(default_factory=dict)  # workload -> why it cannot run
    inapplicable: dict[str, str] = field(default_factory=dict)  # workload -> why running it means nothing

    @property
    def label(self) -> str:
        return f"{self.engine}/{self.name}"


VARIANTS = {
    v.label: v
    for v in (
        Variant("flink", "default", why="Flink as configured out of the box (network buffer timeout 100 ms)"),
        Variant(
            "flink",
            "buffer-5ms",
            {"execution.buffer-timeout.interval": "5 ms"},
            why="network buffers flushed after 5 ms instead of 100 ms: lower latency, more small buffers",
        ),
        Variant(
            "flink",
            "mini-batch",
            {
                "table.exec.mini-batch.enabled": "true",
                "table.exec.mini-batch.allow-latency": "100 ms",
                "table.exec.mini-batch.size": "5000",
            },
            why="aggregates rows in batches of up to 100 ms: one upsert per key per batch instead of per event",
            inapplicable={"passthrough": "no aggregation: mini-batch changes nothing in a stateless query"},
        ),
        Variant("spark", "default", why="micro-batches back to back (processingTime 0)"),
        Variant(
            "spark",
            "trigger-100ms",
            trigger="processingTime=100 milliseconds",
            why="a micro-batch every 100 ms: fewer, smaller batches when data is steady",
        ),
        Variant(
            "spark",
            "real-time",
            trigger=f"realTime={CHECKPOINT_INTERVAL.replace(' s', ' seconds')}",
            why="real-time mode: long-running tasks pass records on as they arrive; checkpoints every 10 s",
            unsupported={"behavior-stats": REAL_TIME_STATELESS_ONLY},
        ),
    )
}
DEFAULTS = ("flink/default", "spark/default")


@dataclass(frozen=True)
class Profile:
    name: str
    workloads: tuple[str, ...]
    repetitions: int  # independent runs (fresh topics, a fresh engine) of every measurement
    ceiling_events: int
    drain_events: int
    latency_rates: tuple[int, ...]  # events/s, each phase = warm-up + measurement, one engine start
    variant_rates: tuple[int, ...]  # the rates the non-default variants run at
    warmup_s: int
    measure_s: int
    variants: tuple[str, ...]
    sustainable_rates: tuple[int, ...] = ()  # stepped up until latency keeps growing
    sustainable_step_s: int = 0
    variant_repetitions: int = 0  # 0: as many as `repetitions`


PROFILES = {
    p.name: p
    for p in (
        Profile(
            "tiny",  # the integration test: every kind of run once, in seconds of measuring
            workloads=("behavior-stats", "windowed-messages"),
            repetitions=1,
            ceiling_events=20_000,
            drain_events=20_000,
            latency_rates=(500,),
            variant_rates=(),
            warmup_s=1,
            measure_s=2,
            variants=DEFAULTS,
            sustainable_rates=(1_000, 2_000),
            sustainable_step_s=2,
        ),
        Profile(
            "short",  # `make bench`: under 15 minutes on 2 cores
            workloads=("behavior-stats", "passthrough", "windowed-messages"),
            repetitions=3,
            ceiling_events=150_000,
            drain_events=150_000,
            # 5k/s is the targets' rate, 20k/s the highest; 1k/s (full profile) would take the short
            # profile past 15 minutes now that it drains windowed-messages too
            latency_rates=(5_000, 20_000),
            variant_rates=(5_000,),
            warmup_s=2,
            measure_s=4,
            variants=tuple(VARIANTS),
            variant_repetitions=1,
        ),
        Profile(
            "full",  # `make bench PROFILE=full`: about an hour
            workloads=("behavior-stats", "passthrough", "windowed-messages"),
            repetitions=3,
            ceiling_events=2_000_000,
            drain_events=2_000_000,
            latency_rates=(1_000, 5_000, 20_000, 50_000),
            variant_rates=(5_000, 20_000),
            warmup_s=5,
            measure_s=20,
            variants=tuple(VARIANTS),
            sustainable_rates=(10_000, 20_000, 40_000, 60_000, 80_000, 120_000),
            sustainable_step_s=15,
        ),
    )
}
