"""The ceiling: what the broker itself does on this machine, measured with Kafka's own perf tools and a
plain JVM consume-and-produce relay (relay/Relay.java), so that each engine is reported as a share of it."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import outputs, processes
from benchmarks.events import POOL_SIZE, Events
from benchmarks.profiles import PARALLELISM
from benchmarks.runs import DRAIN_TIMEOUT_S, SEED, Context, preload, run_record
from streamlab import kafka_admin, ownership
from streamlab.errors import LabError

PRODUCER_PERF = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec .*?([\d.]+) ms avg latency, ([\d.]+) ms max latency, "
    r"(\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th"
)


def kafka_tools(ctx: Context, repetition: int) -> list[dict]:
    """kafka-producer-perf-test then kafka-consumer-perf-test on one fresh topic: the broker's own figures."""
    topic = ctx.fresh_prefix("ceiling-kafka") + "perf"
    count = ctx.profile.ceiling_events
    ownership.ensure_topics(ctx.bootstrap, [kafka_admin.TopicSpec(topic, PARALLELISM)])
    payloads = payload_file(ctx)
    try:
        producing = processes.java(
            "org.apache.kafka.tools.ProducerPerformance",
            ["--topic", topic, "--num-records", str(count), "--payload-file", str(payloads), "--throughput", "-1",
             "--command-property", f"bootstrap.servers={ctx.bootstrap}", "acks=all", "linger.ms=5"],
            ctx.log("producer-perf"), "kafka-producer-perf-test",
        )  # fmt: skip
        produced = _finished_tool(producing)
        consuming = processes.java(
            "org.apache.kafka.tools.ConsumerPerformance",
            ["--bootstrap-server", ctx.bootstrap, "--topic", topic, "--num-records", str(count)],
            ctx.log("consumer-perf"), "kafka-consumer-perf-test",
        )  # fmt: skip
        consumed = _finished_tool(consuming)
    finally:
        ownership.delete_topics(ctx.bootstrap, [topic])
    return [_producer_record(produced, count, repetition), _consumer_record(consumed, count, repetition)]


def payload_file(ctx: Context) -> Path:
    """The benchmark's own events, one per line, for the perf tool to send (it picks one at random per
    record): the same records the engines read, not random bytes."""
    path = ctx.out_dir / "perf-payloads.txt"
    if not path.exists():
        events, now_ms = Events("behavior", SEED), int(time.time() * 1000)
        path.write_bytes(b"\n".join(events.make(index, now_ms)[1] for index in range(POOL_SIZE)))
    return path


@dataclass
class ToolRun:
    text: str
    seconds: float
    cores: float
    rss_mb: float


def _finished_tool(tool: processes.Child) -> ToolRun:
    try:
        tool.process.wait(DRAIN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        tool.finish(timeout_s=0)
        raise LabError(f"{tool.name} did not end within {DRAIN_TIMEOUT_S} s; {tool.tail()}") from None
    ended = time.monotonic()
    tool.finish()
    if tool.process.returncode != 0:
        raise LabError(f"{tool.name} failed (exit {tool.process.returncode}); {tool.tail()}")
    return ToolRun(
        tool.log.read_text(), ended - tool.started, tool.sampler.cores_between(tool.started, ended),
        tool.sampler.peak_rss_mb(),
    )  # fmt: skip


def _producer_record(run: ToolRun, count: int, repetition: int) -> dict:
    found = PRODUCER_PERF.findall(run.text)
    if not found:
        raise LabError(f"kafka-producer-perf-test printed no summary: {run.text[-300:]}")
    sent, per_s, _avg, most, p50, p95, p99, p999 = found[-1]
    return run_record(
        "ceiling", "kafka", "producer-perf-test", "-", repetition,
        events=int(sent), seconds=int(sent) / float(per_s), events_per_s=float(per_s),
        latency_ms={"p50": float(p50), "p95": float(p95), "p99": float(p99), "p999": float(p999), "max": float(most)},
        cpu_cores_used=run.cores, rss_mb=run.rss_mb, valid=int(sent) == count,
        notes="the benchmark's events, acks=all, linger.ms=5; latency = send to acknowledgement",
    )  # fmt: skip


def _consumer_record(run: ToolRun, count: int, repetition: int) -> dict:
    # CSV: start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, ...
    rows = [line.split(", ") for line in run.text.splitlines() if line.count(", ") >= 9 and line[:1].isdigit()]
    if not rows:
        raise LabError(f"kafka-consumer-perf-test printed no summary: {run.text[-300:]}")
    row = rows[-1]
    consumed, fetch_ms, fetch_per_s = int(row[4]), float(row[7]), float(row[9])
    return run_record(
        "ceiling", "kafka", "consumer-perf-test", "-", repetition,
        events=consumed, seconds=fetch_ms / 1000, events_per_s=fetch_per_s,
        cpu_cores_used=run.cores, rss_mb=run.rss_mb, valid=consumed == count,
        notes="records/s while fetching (the group join before it left out)",
    )  # fmt: skip


def jvm_relay(ctx: Context, repetition: int) -> list[dict]:
    """The JVM relay drains the same preloaded events the engines do: the ceiling without an engine."""
    prefix = ctx.fresh_prefix("ceiling-relay")
    source, target = prefix + "relay_in", prefix + "relay_out"
    ownership.ensure_topics(ctx.bootstrap, [kafka_admin.TopicSpec(source, PARALLELISM),
                                            kafka_admin.TopicSpec(target, PARALLELISM)])  # fmt: skip
    count = ctx.profile.ceiling_events
    try:
        expected = preload(ctx, source, count, "behavior")  # the relay applies the passthrough rule
        relay = processes.relay(ctx.bootstrap, source, target, PARALLELISM, ctx.log("relay"))
        try:
            arrived, summary = relay.wait_for(lambda line: "read" in line, DRAIN_TIMEOUT_S, "its summary")
        finally:
            relay.finish()
        written = outputs.topic_records(ctx.bootstrap, [target])
    finally:
        ownership.delete_topics(ctx.bootstrap, [source, target])
    seconds = summary["seconds"]
    return [
        run_record(
            "ceiling", "relay", "jvm-relay", "passthrough", repetition,
            events=summary["read"], seconds=seconds, events_per_s=summary["read"] / seconds,
            startup_s=arrived - relay.started - seconds, output_records=written,
            write_amplification=written / count, cpu_cores_used=relay.sampler.cores_between(arrived - seconds, arrived),
            rss_mb=relay.sampler.peak_rss_mb(), valid=summary["read"] == count and written >= expected["intents"],
            notes=f"{PARALLELISM} consumer threads, Flink's record check, filter, project, one producer (acks=all)",
        )
    ]  # fmt: skip
