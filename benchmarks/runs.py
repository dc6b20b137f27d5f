"""The four kinds of benchmark run, each on fresh topics and (for the engines) a fresh engine process:

- ceiling: Kafka's own perf tools and the JVM relay, no engine (what the broker and a client allow);
- drain: N events preloaded, the job run --bounded from the earliest offset; time from the job's
  submission to its end, when its output holds every event (startup reported apart);
- latency: the job runs live while the open-loop generator sends at fixed rates, one phase per rate
  (warm-up, then measurement), and the collector times every output record;
- sustainable: like latency, stepping the rate up until latency keeps growing.

Each returns run records (dicts) as results.json stores them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks import latency, outputs, processes
from benchmarks.events import WORKLOAD_SHAPES, Events
from benchmarks.latency import Samples
from benchmarks.profiles import PARALLELISM, Profile, Variant
from streamlab import engine_clusters, ownership, workloads
from streamlab.engine_clusters import EngineLayout
from streamlab.errors import LabError
from streamlab.producing import new_producer
from streamlab.settings import Settings

STARTUP_TIMEOUT_S = 180  # a cold JVM, connector jars, the first checkpoint folder
DRAIN_TIMEOUT_S = 900
TAIL_TIMEOUT_S = 30  # after the last event is sent, how long its result may take to show
PHASE_PAUSE_S = 1.0  # between the generator's start and its first scheduled event
SEED = 7


@dataclass
class Context:
    profile: Profile
    bootstrap: str
    out_dir: Path
    run_id: str
    counter: int = 0
    log_name: str = ""
    # `bench --cluster`: each engine's cluster URL (Settings.cluster), and the lab's engine clusters' layout
    clusters: dict[str, str] = field(default_factory=dict)
    engine_layout: EngineLayout | None = None

    def fresh_prefix(self, what: str) -> str:
        """A topic prefix no earlier run used (and the name of this run's log files)."""
        self.counter += 1
        self.log_name = f"{self.counter:03d}-{what}"
        return f"bench{self.run_id}_{self.counter}_"

    def cluster_pids(self, engine: str) -> tuple[int, ...]:
        """The processes of the engine's cluster the runs submit to, sampled with the job's (the lab's own only)."""
        if engine not in self.clusters or self.engine_layout is None:
            return ()
        return engine_clusters.node_pids(self.engine_layout, engine, self.clusters[engine])

    def log(self, process: str) -> Path:
        path = self.out_dir / "logs" / f"{self.log_name}-{process}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def run_record(kind: str, engine: str, variant: str, workload: str, repetition: int, **figures: object) -> dict:
    """One entry of results.json's `runs`, every field present (None where it does not apply)."""
    record = {
        "kind": kind,
        "engine": engine,
        "variant": variant,
        "workload": workload,
        "repetition": repetition,
        "rate": None,
        "events": 0,
        "seconds": None,
        "events_per_s": None,
        "latency_ms": {},
        "cpu_cores_used": None,
        "rss_mb": None,
        "valid": True,
        "notes": "",
    }
    record.update(figures)
    if record["events_per_s"] and record["cpu_cores_used"]:
        record["events_per_s_per_core"] = record["events_per_s"] / record["cpu_cores_used"]
    return record


def settings_for(ctx: Context, workload_name: str, variant: Variant, prefix: str, bounded: bool) -> Settings:
    workload = workloads.get(workload_name)
    return Settings(
        workload=workload_name,
        engine=variant.engine,
        job=workload.job().name,
        bootstrap_servers=ctx.bootstrap,
        topics=workload.topic_names(prefix),
        checkpoint_dir=ctx.out_dir / "checkpoints" / prefix.rstrip("_"),
        bounded=bounded,
        parallelism=PARALLELISM,
        partitions=PARALLELISM,
        engine_conf=variant.conf,
        spark_trigger=variant.trigger,
        cluster=ctx.clusters.get(variant.engine, ""),
    )


def result_topics(settings: Settings) -> list[str]:
    return workloads.get(settings.workload).job(settings.job).result.topics(settings)


def newest_event_field(settings: Settings) -> str:
    """The field of the result that holds the newest event time a record includes (the registry's
    ResultSpec.newest_event): what latency is measured from."""
    field = workloads.get(settings.workload).job(settings.job).result.newest_event
    if not field:
        raise LabError(f"{settings.workload} declares no newest-event column in its result: no latency to measure")
    return field


def create_topics(settings: Settings) -> None:
    ownership.ensure_topics(settings.bootstrap_servers, workloads.get(settings.workload).topic_specs(settings))


def drop_topics(settings: Settings) -> None:
    """A benchmark's topics hold millions of records: gone once measured, so the broker stays light
    (and so does the disk: the run's checkpoints go too)."""
    ownership.clear(settings.bootstrap_servers, list(settings.topics.values()), [settings.resolved_checkpoint_dir])


def preload(ctx: Context, topic: str, count: int, shape: str) -> dict:
    """`count` events of a shape into `topic` as fast as librdkafka sends them; what a correct job
    outputs for them."""
    spec = {"bootstrap": ctx.bootstrap, "topic": topic, "shape": shape, "seed": SEED, "count": count,
            "start_ms": int(time.time() * 1000) - count}  # fmt: skip
    sender = processes.generator(spec, ctx.log("preload"))
    try:
        summary = sender.done(timeout_s=600)
    finally:
        sender.finish()
    if summary["sent"] != count:
        raise LabError(f"the preload sent {summary['sent']:,} of {count:,} events to {topic}")
    return summary["expected"]


# ---- drain --------------------------------------------------------------------------------------


def drain(ctx: Context, workload_name: str, variant: Variant, repetition: int) -> list[dict]:
    prefix = ctx.fresh_prefix(f"drain-{variant.engine}-{variant.name}-{workload_name}")
    settings = settings_for(ctx, workload_name, variant, prefix, bounded=True)
    create_topics(settings)
    try:
        count = ctx.profile.drain_events
        expected = preload(ctx, settings.input_topic, count, WORKLOAD_SHAPES[workload_name])
        job = processes.engine(settings, ctx.log("engine"), ctx.cluster_pids(variant.engine))
        try:
            submitted = job.event("submitted", STARTUP_TIMEOUT_S)
            finished, line = job.wait_for(lambda line: line.get("event") == "finished", DRAIN_TIMEOUT_S, "the end")
        finally:
            job.finish()
        written = outputs.topic_records(ctx.bootstrap, result_topics(settings))
        problem = outputs.CHECKS[workload_name](ctx.bootstrap, result_topics(settings)[0], expected)
        if line.get("status") != "FINISHED":
            problem = f"the job ended {line.get('status')}"
    finally:
        drop_topics(settings)
    seconds = finished - submitted
    return [
        run_record(
            "drain", variant.engine, variant.name, workload_name, repetition,
            events=count, seconds=seconds, events_per_s=count / seconds, startup_s=submitted - job.started,
            output_records=written, write_amplification=written / count,
            cpu_cores_used=job.sampler.cores_between(submitted, finished),
            rss_mb=job.sampler.peak_rss_mb(submitted, finished), valid=not problem, notes=problem,
        )
    ]  # fmt: skip


# ---- latency and sustainable ----------------------------------------------------------------------


@dataclass
class Phase:
    rate: int
    start_ms: float  # first scheduled event
    measure_from_ms: float  # warm-up over
    end_ms: float  # after the last scheduled event
    generator: dict = field(default_factory=dict)
    caught_up: bool = False
    engine_cores: float | None = None
    engine_rss_mb: float = 0.0
    harness_cores: float | None = None


def live(ctx: Context, workload_name: str, variant: Variant, repetition: int, rates: tuple[int, ...],
         kind: str = "latency") -> list[dict]:  # fmt: skip
    """One engine start; a phase per rate. `sustainable` stops at the first rate that did not hold."""
    prefix = ctx.fresh_prefix(f"{kind}-{variant.engine}-{variant.name}-{workload_name}")
    settings = settings_for(ctx, workload_name, variant, prefix, bounded=False)
    create_topics(settings)
    samples_file = ctx.out_dir / "samples" / f"{prefix.rstrip('_')}.npz"
    samples_file.parent.mkdir(parents=True, exist_ok=True)
    phases: list[Phase] = []
    job = processes.engine(settings, ctx.log("engine"), ctx.cluster_pids(variant.engine))
    collector = None
    try:
        submitted = job.event("submitted", STARTUP_TIMEOUT_S)
        spec = {"bootstrap": ctx.bootstrap, "topics": result_topics(settings),
                "field": newest_event_field(settings), "out": str(samples_file)}  # fmt: skip
        collector = processes.collector(spec, ctx.log("collector"))
        ready_s = wait_until_ready(ctx, settings, collector, submitted)
        measure_s = ctx.profile.sustainable_step_s if kind == "sustainable" else ctx.profile.measure_s
        for rate in rates:
            phase = run_phase(ctx, settings, job, collector, rate, measure_s)
            phases.append(phase)
            if kind == "sustainable" and not phase_held(phase):
                break
    finally:
        job.finish()
        collected = stop_collector(collector)
        drop_topics(settings)
    samples = load_samples(samples_file)
    stopping = next((line for _, line in job.lines if line.get("event") == "stopping"), {})
    common = {"startup_s": submitted - job.started, "ready_s": ready_s, "collector": collected,
              "time_breakdown_ms": stopping.get("time_breakdown", {})}  # fmt: skip
    records = [phase_record(kind, variant, workload_name, repetition, phase, samples, common) for phase in phases]
    if records:  # CPU and memory of the engine's process tree over the whole run, for the plots
        records[0]["resources"] = job.sampler.series(job.started)
    if kind == "sustainable":
        return [sustainable_record(variant, workload_name, repetition, records)]
    return records


def stop_collector(collector: processes.Child | None) -> dict:
    """Close the collector (it saves its samples) and return its summary; {} if it gave none."""
    if collector is None:
        return {}
    collector.close_stdin()
    try:
        return collector.done(60)
    except LabError:
        return {}
    finally:
        collector.finish()


def wait_until_ready(ctx: Context, settings: Settings, collector: processes.Child, submitted: float) -> float:
    """Probe events until the first result shows: the job has started reading and writing (a readiness
    check, not a sleep). The probes are stamped before the first phase, so no phase counts them."""
    producer, events = new_producer(ctx.bootstrap), Events(WORKLOAD_SHAPES[settings.workload], SEED + 1)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        now_ms = int(time.time() * 1000)
        for index in range(50):
            template, value = events.make(index, now_ms)
            producer.produce(settings.input_topic, key=template.key, value=value)
        producer.flush(10)
        try:
            arrived, _ = collector.wait_for(lambda line: line.get("records", 0) > 0, 5, "a first result")
            return arrived - submitted
        except LabError:
            if collector.process.poll() is not None:
                raise
    raise LabError(f"{settings.engine} {settings.workload} wrote no result within {STARTUP_TIMEOUT_S} s of probes")


def run_phase(ctx: Context, settings: Settings, job: processes.Child, collector: processes.Child, rate: int,
              measure_s: float) -> Phase:  # fmt: skip
    seconds = ctx.profile.warmup_s + measure_s
    start_ms = (time.time() + PHASE_PAUSE_S) * 1000
    phase = Phase(rate, start_ms, start_ms + ctx.profile.warmup_s * 1000, start_ms + seconds * 1000)
    spec = {"bootstrap": ctx.bootstrap, "topic": settings.input_topic, "shape": WORKLOAD_SHAPES[settings.workload],
            "seed": SEED, "rate": rate, "seconds": seconds, "start_ms": start_ms}  # fmt: skip
    sender = processes.generator(spec, ctx.log(f"generator-{rate}"))
    try:
        phase.generator = sender.done(seconds + 60)
    finally:
        sender.finish()
    last_event_ms = phase.end_ms - 1000 / rate
    try:
        collector.wait_for(
            lambda line: line.get("newest_event_ms", 0) >= last_event_ms - 100, TAIL_TIMEOUT_S, "the last results"
        )
        phase.caught_up = True
    except LabError:
        phase.caught_up = False
    window = (to_monotonic(phase.measure_from_ms), to_monotonic(phase.end_ms))
    phase.engine_cores = job.sampler.cores_between(*window)
    phase.engine_rss_mb = job.sampler.peak_rss_mb(*window)
    harness = [sender.sampler.cores_between(*window), collector.sampler.cores_between(*window)]
    phase.harness_cores = None if None in harness else sum(harness)
    return phase


def to_monotonic(epoch_ms: float) -> float:
    return epoch_ms / 1000 - time.time() + time.monotonic()


def load_samples(path: Path) -> Samples:
    if not path.exists():
        return latency.empty_samples()
    with np.load(path) as saved:
        return Samples(saved["append_ms"], saved["event_ms"])


def phase_held(phase: Phase) -> bool:
    """While stepping: go on while the generator kept its schedule and the output caught up. Whether
    latency kept growing within a step is judged from the samples once the run is over."""
    return phase.caught_up and not phase.generator.get("fell_behind", True)


def phase_record(kind: str, variant: Variant, workload_name: str, repetition: int, phase: Phase,
                 samples: Samples, common: dict) -> dict:  # fmt: skip
    measured = samples.between(phase.measure_from_ms, phase.end_ms)
    events = int(phase.rate * measured_seconds(phase))
    recorded = latency.histogram(measured.latency_ms)
    growing = latency.keeps_growing(samples, phase.measure_from_ms, phase.end_ms)
    problems = []
    if phase.generator.get("fell_behind"):
        problems.append(f"the generator fell behind its schedule (lag p99 {phase.generator['lag_ms']['p99']:.0f} ms)")
    if not phase.caught_up:
        problems.append(f"the output did not reflect the last events within {TAIL_TIMEOUT_S} s")
    if not len(measured):
        problems.append("no result in the measured window")
    early = int((measured.latency_ms < 0).sum())
    if early:
        problems.append(f"{early} results appended before their event time: the clocks disagree")
    return run_record(
        kind, variant.engine, variant.name, workload_name, repetition,
        rate=phase.rate, events=events, seconds=measured_seconds(phase), events_per_s=float(phase.rate),
        latency_ms=latency.percentiles(recorded), latency_over_time=latency.per_second(measured, phase.start_ms),
        output_records=len(measured), write_amplification=len(measured) / max(events, 1),
        cpu_cores_used=phase.engine_cores, rss_mb=phase.engine_rss_mb, harness_cores=phase.harness_cores,
        generator_lag_ms=phase.generator.get("lag_ms", {}), latency_growing=growing,
        valid=not problems, notes="; ".join(problems), **common,
    )  # fmt: skip


def measured_seconds(phase: Phase) -> float:
    return (phase.end_ms - phase.measure_from_ms) / 1000


SUSTAINED_P99_FACTOR = 5  # a step held only while its p99 stayed within 5x the first step's


def sustainable_record(variant: Variant, workload_name: str, repetition: int, steps: list[dict]) -> dict:
    """The highest rate whose step held: valid, latency not growing within the step, and p99 within
    SUSTAINED_P99_FACTOR of the first (lowest) step's: a backlog built up early and then carried along
    at a steady several seconds is not a rate the engine sustains."""
    bound = SUSTAINED_P99_FACTOR * (steps[0]["latency_ms"].get("p99") or float("inf")) if steps else 0.0
    held = [step for step in steps if step["valid"] and not step["latency_growing"]
            and (step["latency_ms"].get("p99") or float("inf")) <= bound]  # fmt: skip
    best = max(held, key=lambda step: step["rate"]) if held else None
    tried = ", ".join(
        f"{step['rate']:,}/s {'held' if step in held else 'did not hold'}" for step in steps
    )  # fmt: skip
    return run_record(
        "sustainable", variant.engine, variant.name, workload_name, repetition,
        rate=best["rate"] if best else 0, events=sum(step["events"] for step in steps),
        seconds=sum(step["seconds"] for step in steps), events_per_s=float(best["rate"]) if best else 0.0,
        latency_ms=best["latency_ms"] if best else {}, cpu_cores_used=best["cpu_cores_used"] if best else None,
        rss_mb=max((step["rss_mb"] or 0) for step in steps), valid=best is not None, notes=f"steps: {tried}",
        steps=[{key: step[key] for key in STEP_FIELDS} for step in steps],
    )  # fmt: skip


STEP_FIELDS = ("rate", "valid", "latency_growing", "latency_ms", "notes", "harness_cores", "output_records")


def unsupported(kind: str, variant: Variant, workload_name: str, reason: str) -> dict:
    return run_record(kind, variant.engine, variant.name, workload_name, 0, valid=False, supported=False, notes=reason)
