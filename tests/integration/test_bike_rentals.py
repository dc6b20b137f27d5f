"""bike-rentals on both engines against a real broker, checked by pandas over exactly what was produced.

One seeded run of the simulator (60 stations, 22:30 to 01:30, so the hours cross midnight; records
up to two minutes late, so partitions are out of time order; about 3% malformed events) is produced
once. Flink's hourly job runs --bounded on it, `results` shows and plots it, and its Parquet must hold
every station-hour exactly as pandas computes it, every rejected event in its dead letters (both engines
run the hourly job in the fast tier: tests/integration/test_end_to_end.py). The derive job, outside the
pipeline, runs on a clean run of the simulator on both engines and must write exactly the events the
producer wrote. Spark's foreachBatch writers are also driven batch
by batch, to show that a station-hour split over micro-batches and a replayed batch id come out right.
"""

from __future__ import annotations

import argparse
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from producers import bike_rentals as producer
from streamlab import compare, kafka_admin, results, workloads
from streamlab.oracles import bike_rentals
from streamlab.run import lifecycle
from streamlab.run.verdict import judge
from streamlab.settings import Settings
from tests.integration.commands import one_line, streamlab, succeeded

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKLOAD = workloads.get("bike-rentals")
HOURLY, DERIVE = WORKLOAD.job("hourly"), WORKLOAD.job("derive")
PRODUCE_ARGS = ["--stations", "60", "--hours", "3", "--start", "2025-01-12 22:30:00", "--seed", "5"]


@dataclass(frozen=True)
class Produced:
    prefix: str
    events: list[kafka_admin.Record]
    snapshots: list[kafka_admin.Record]

    def settings(self, engine: str = "flink", **changes: object) -> Settings:
        topics = WORKLOAD.topic_names(self.prefix)
        return Settings("bike-rentals", engine=engine, topics=topics, **changes)


def produce(bootstrap: str, *extra: str) -> Produced:
    prefix = f"bike_{uuid.uuid4().hex[:8]}_"
    settings = Settings("bike-rentals", bootstrap_servers=bootstrap, topics=WORKLOAD.topic_names(prefix))
    parser = argparse.ArgumentParser()
    producer.add_arguments(parser)
    lifecycle.produce(settings, WORKLOAD, parser.parse_args([*PRODUCE_ARGS, *extra]), show_progress=False)
    return Produced(
        prefix,
        kafka_admin.read_topic(bootstrap, settings.input_topic),
        kafka_admin.read_topic(bootstrap, settings.topic("snapshots")),
    )


@pytest.fixture(scope="module")
def produced(kafka_bootstrap: str) -> Produced:
    return produce(kafka_bootstrap, "--bad-every", "31")


@pytest.fixture(scope="module")
def clean(kafka_bootstrap: str) -> Produced:
    return produce(kafka_bootstrap)


def test_the_input_crosses_midnight_and_arrives_out_of_order(produced: Produced) -> None:
    expected, rejected = bike_rentals.hourly(produced.events)
    assert set(expected["ymd"]) == {"20250112", "20250113"}
    snapshots = pd.DataFrame([json.loads(r.value) for r in produced.snapshots])
    assert not snapshots.duplicated(["stt_id", "crt_dttm"]).any()  # sent once each, even after a retry
    assert len(rejected) == len(produced.events) // 31
    behind = 0
    for partition in {r.partition for r in produced.events}:
        stamps = [json.loads(r.value)["crt_dttm"] for r in produced.snapshots if r.partition == partition]
        behind += sum(later < earlier for earlier, later in zip(stamps, stamps[1:], strict=False))
    assert behind > 0  # some records are older than the one before them in their partition


def run_bounded(engine: str, bootstrap: str, data: Produced, job: str, *flags: str) -> str:
    return succeeded(
        streamlab("run", engine, "bike-rentals", "--job", job, "--bounded", "--topic-prefix", data.prefix,
                  "--parallelism", "2", "--bootstrap-servers", bootstrap, *flags)
    )  # fmt: skip


def test_results_shows_the_busiest_hours_and_draws_the_plot(
    kafka_bootstrap: str, produced: Produced, tmp_path: Path
) -> None:
    run_bounded("flink", kafka_bootstrap, produced, "hourly", "--output-dir", str(tmp_path / "out"),
                "--dead-letter-topic", f"{produced.prefix}dlq_plot")  # fmt: skip
    picture = tmp_path / "bike.png"
    shown = one_line(
        succeeded(
            streamlab("results", "bike-rentals", "--output-dir", str(tmp_path / "out"), "--plot", str(picture),
                      "--topic-prefix", produced.prefix, "--bootstrap-servers", kafka_bootstrap, "--limit", "5")
        )
    )  # fmt: skip
    assert (
        "the top 5 of " in shown
        and " by rent_cnt + return_cnt (" in shown
        and "more not shown)" in shown
        and "20250112/22 .. 20250113/01" in shown
    )
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 20_000
    # hours across midnight, out-of-order arrival: every station-hour and every rejected event as pandas has them
    settings = produced.settings(bootstrap_servers=kafka_bootstrap, output_dir=tmp_path / "out")
    settings = settings.with_(topics={**settings.topics, "dead_letters": f"{produced.prefix}dlq_plot"})
    judged = judge(settings, HOURLY)
    assert judged.passed, f"{judged.rows.words()}; {judged.dead_letters.words()}"
    assert judged.dead_letters.expected == len(produced.events) // 31 and not judged.dead_letters.late


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_derived_events_equal_the_producers(engine: str, kafka_bootstrap: str, clean: Produced) -> None:
    derived_topic = f"{clean.prefix}derived_{engine}"
    run_bounded(engine, kafka_bootstrap, clean, "derive", "--topic", f"derived={derived_topic}",
                "--topic", f"snapshot_dead_letters={clean.prefix}raw_dlq_{engine}")  # fmt: skip
    derived = bike_rentals.events_from_records(kafka_admin.read_topic(kafka_bootstrap, derived_topic))
    from_producer = bike_rentals.events_from_records(clean.events)
    assert len(from_producer) > 500
    pd.testing.assert_frame_equal(derived, from_producer)


# ---- Spark's foreachBatch writers, batch by batch ------------------------------------------------


@pytest.fixture(scope="module")
def spark(produced: Produced):  # noqa: ANN201 - a SparkSession, imported lazily
    from streamlab import engines

    return engines.spark_session(produced.settings("spark", parallelism=2))


def checked_frame(spark, records: list[kafka_admin.Record], raw_view: str, parse: str):  # noqa: ANN001, ANN201
    """Records as the streaming source gives them, run through the job's own parse step."""
    from streamlab import jobparts, sqlfiles

    rows = [(r.value.decode(), r.topic, r.partition, r.offset) for r in records]
    schema = "payload STRING, kafka_topic STRING, kafka_partition INT, kafka_offset BIGINT"
    jobparts.spark_envelope(spark, spark.createDataFrame(rows, schema), raw_view)
    return spark.sql(sqlfiles.load("bike-rentals", parse))


def counted_events(spark, records: list[kafka_admin.Record]):  # noqa: ANN001, ANN201
    from streamlab import sqlfiles

    checked_frame(spark, records, "bike_events_raw", "spark_parse").createOrReplaceTempView("bike_events_checked")
    return spark.sql(sqlfiles.load("bike-rentals", "counted")).localCheckpoint()


def halves(records: list[kafka_admin.Record]) -> tuple[list[kafka_admin.Record], list[kafka_admin.Record]]:
    """The first and second half of each partition, as two micro-batches would read them."""
    first, second = [], []
    for partition in {r.partition for r in records}:
        ordered = sorted((r for r in records if r.partition == partition), key=lambda r: r.offset)
        first += ordered[: len(ordered) // 2]
        second += ordered[len(ordered) // 2 :]
    return first, second


def test_spark_hourly_writer_merges_micro_batches_and_ignores_a_replay(
    spark,
    produced: Produced,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    from spark_jobs.bike_rentals import HourlyWriter

    first, second = halves(produced.events)
    hours = lambda records: {(json.loads(r.value).get("stt_id"), str(json.loads(r.value).get("crt_dttm"))[:13])  # noqa: E731
                             for r in records if bike_rentals.bike_event_reject_reason(r.value)[0] is None}  # fmt: skip
    assert hours(first) & hours(second)  # some station-hours are split between the two batches
    writer = HourlyWriter(tmp_path)
    writer(counted_events(spark, first), 0)
    writer(counted_events(spark, second), 1)
    written = results.read_parquet_dir(tmp_path, ("ymd", "hh"))
    writer(counted_events(spark, second), 1)  # Spark replays batch 1 after a crash before its commit
    replayed = results.read_parquet_dir(tmp_path, ("ymd", "hh"))

    expected, _ = bike_rentals.hourly(produced.events)
    spec = HOURLY.result
    diff = compare.differences(replayed, expected, list(spec.key_columns), list(spec.value_columns))
    assert diff.empty, diff.to_string()
    key = ["stt_id", "ymd", "hh"]
    pd.testing.assert_frame_equal(
        written.sort_values(key, ignore_index=True), replayed.sort_values(key, ignore_index=True)
    )
    assert set(replayed["batch_id"]) == {0, 1}  # hours only the first half touched keep batch 0's rows


def test_spark_derive_carries_state_between_micro_batches(
    spark,
    kafka_bootstrap: str,
    clean: Produced,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    from spark_jobs.bike_derive import OUT_OF_ORDER, DeriveBatch

    settings = clean.settings("spark", bootstrap_servers=kafka_bootstrap).with_(
        topics={
            **clean.settings().topics,
            "derived": f"{clean.prefix}batched",
            "snapshot_dead_letters": f"{clean.prefix}batched_dlq",
        }  # fmt: skip
    )
    kafka_admin.ensure_topics(kafka_bootstrap, WORKLOAD.topic_specs(settings))
    first, second = halves(clean.snapshots)
    derive = DeriveBatch(settings, tmp_path / "state")
    derive(checked_frame(spark, first, "bike_snapshots_raw", "spark_snapshot_parse"), 0)
    derive(checked_frame(spark, second, "bike_snapshots_raw", "spark_snapshot_parse"), 1)
    derived = bike_rentals.events_from_records(kafka_admin.read_topic(kafka_bootstrap, settings.topic("derived")))
    pd.testing.assert_frame_equal(derived, bike_rentals.events_from_records(clean.events))

    stale = [min(first, key=lambda r: r.offset)]  # a station's first snapshot, once more, after its later ones
    derive(checked_frame(spark, stale, "bike_snapshots_raw", "spark_snapshot_parse"), 2)
    letters = kafka_admin.read_topic(kafka_bootstrap, settings.topic("snapshot_dead_letters"))
    assert [json.loads(r.value)["reason"] for r in letters] == [OUT_OF_ORDER]
