"""The registry: every built workload declares what the CLI, the live view and the oracle rely on."""

from __future__ import annotations

import pytest

from streamlab import oracles, workloads
from streamlab.paths import SQL_DIR
from streamlab.results import KINDS
from streamlab.run import lifecycle, live
from streamlab.settings import Settings

BUILT = list(workloads.WORKLOADS.values())
JOBS = [(w, j) for w in BUILT for j in w.jobs]


def test_names_are_the_ones_used_everywhere() -> None:
    assert list(workloads.WORKLOADS) == [
        "behavior-stats", "bike-rentals", "sales-batch", "windowed-messages", "strategy-join", "patient-events",
        "passthrough",
    ]  # fmt: skip


@pytest.mark.parametrize(("workload", "job"), JOBS, ids=lambda x: getattr(x, "name", ""))
def test_a_job_declares_a_complete_result(workload: workloads.Workload, job: workloads.Job) -> None:
    spec = job.result
    assert spec.kind in KINDS and spec.key_columns and spec.value_columns
    assert not spec.count_column or spec.count_column in spec.value_columns  # the live view sums it
    assert set(spec.shown_columns) <= set(spec.columns)
    assert callable(oracles.get(job.oracle))
    roles = {topic.role for topic in workload.topics}
    assert job.batch or set(job.input_roles) <= roles
    assert not spec.is_topic or set(spec.roles) <= roles
    assert job.batch or not job.rejects or job.rejects in roles


@pytest.mark.parametrize(("workload", "job"), JOBS, ids=lambda x: getattr(x, "name", ""))
def test_a_job_has_both_engines(workload: workloads.Workload, job: workloads.Job) -> None:
    for engine in ("flink", "spark"):
        module = workload.engine_module(job, engine)
        assert callable(module.run) and callable(module.explain)


@pytest.mark.parametrize("workload", BUILT, ids=lambda w: w.name)
def test_a_built_workload_has_its_sql_and_a_producer(workload: workloads.Workload) -> None:
    assert (SQL_DIR / workload.name).is_dir()
    producer = workload.producer()
    assert callable(producer.add_arguments) and callable(producer.produce)


def test_the_first_job_is_the_main_one() -> None:
    bike = workloads.get("bike-rentals")
    assert bike.job() is bike.job("hourly")
    assert [job.name for job in bike.jobs] == ["hourly", "derive"]


def test_a_pipeline_runs_its_stages_in_order_and_ends_in_its_main_job() -> None:
    strategy = workloads.get("strategy-join")
    assert [job.name for job in strategy.stages()] == ["strategies", "join"]
    assert strategy.job() is strategy.job("join")  # results/explain without --job: the end of the pipeline
    assert strategy.stages("strategies") == (strategy.job("strategies"),)  # --job runs that job alone
    assert workloads.get("bike-rentals").stages() == (workloads.get("bike-rentals").job("hourly"),)
    # each stage reads what the one before it wrote
    strategies, join = strategy.stages()
    assert join.reads in strategies.result.roles


def test_file_results_default_to_one_folder_per_engine() -> None:
    sales = workloads.get("sales-batch")
    assert sales.default_output_dir("flink") != sales.default_output_dir("spark")
    settings = Settings("sales-batch", output_dir=sales.default_output_dir("spark"))
    assert sales.job().result.directory(settings) == sales.default_output_dir("spark") / "summary"
    assert sales.job().rejects_spec.directory(settings) == sales.default_output_dir("spark") / "rejected"


def test_count_lines_counts_a_last_line_without_newline(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "f.csv"
    path.write_bytes(b"a\nb\nc")
    assert workloads.count_lines(path) == 3
    path.write_bytes(b"a\nb\n")
    assert workloads.count_lines(path) == 2
    path.write_bytes(b"")
    assert workloads.count_lines(path) == 0


def test_only_a_run_with_a_checkpoint_resumes_file_results(tmp_path) -> None:  # noqa: ANN001
    bike, behavior = workloads.get("bike-rentals"), workloads.get("behavior-stats")
    spark = Settings("bike-rentals", engine="spark", job="hourly", checkpoint_dir=tmp_path / "hourly")
    assert not lifecycle.can_resume(spark, bike.job())  # no checkpoint yet: batch ids start again at 0
    (tmp_path / "hourly" / "hourly" / "offsets").mkdir(parents=True)
    (tmp_path / "hourly" / "hourly" / "offsets" / "0").write_text("v1")
    assert not lifecycle.can_resume(spark, bike.job())  # a checkpoint of unknown topics (older than the marker)
    lifecycle.remember_topics(spark)  # what start_job writes when the job starts
    assert lifecycle.can_resume(spark, bike.job())
    flink = spark.with_(engine="flink")
    assert not lifecycle.can_resume(flink, bike.job())  # Spark's folders are no Flink checkpoint
    (tmp_path / "hourly" / "3f2a" / "chk-4").mkdir(parents=True)
    assert not lifecycle.can_resume(flink, bike.job())  # a checkpoint Flink did not complete: it starts over
    (tmp_path / "hourly" / "3f2a" / "chk-4" / "_metadata").write_bytes(b"")
    assert lifecycle.can_resume(flink, bike.job())  # Flink restores its newest completed checkpoint
    derive = spark.with_(job="derive", checkpoint_dir=tmp_path / "derive")
    assert not lifecycle.can_resume(derive, bike.job("derive"))  # its own checkpoint folder is still empty
    upserts = Settings("behavior-stats", engine="flink", job="stats", checkpoint_dir=tmp_path / "stats")
    assert lifecycle.can_resume(upserts, behavior.job())  # upserts converge


def test_the_newest_event_column_is_declared_where_latency_is_measured() -> None:
    """The live view's age line and `streamlab bench` read the same declaration, not a column name each."""
    import pandas as pd

    assert workloads.get("behavior-stats").job().result.newest_event == "last_event_ts"
    assert workloads.get("passthrough").job().result.newest_event == "ts"
    table = pd.DataFrame({"ts": ["2020-01-01 00:00:00.000", "2020-01-01 00:00:01.500"]})
    progress = live.Progress(table, 2, 2, 0, newest_event="ts")
    assert progress.newest_event_age_s() > 0
    assert live.Progress(table, 2, 2, 0).newest_event_age_s() is None


def test_the_producer_gets_the_flags_it_has() -> None:
    flags = {"--seed": 3, "--count": 500, "--rate": 20.0, "--bad-every": 25}
    behavior = workloads.get("behavior-stats").producer_options(flags=flags)
    assert (behavior.count, behavior.rate, behavior.seed, behavior.bad_every) == (500, 20.0, 3, 25)
    patients = workloads.get("patient-events").producer_options(flags=flags)  # a file replay: rate only
    assert patients.rate == 20.0 and not hasattr(patients, "count")


def test_producer_args_come_last_and_win() -> None:
    flags = {"--seed": 3, "--count": 500, "--bad-every": 25}
    bikes = workloads.get("bike-rentals").producer_options(("--stations", "40", "--bad-every", "7"), flags)
    assert (bikes.stations, bikes.seed, bikes.bad_every, bikes.speedup) == (40, 3, 7, 240.0)  # speedup: the demo's
    with pytest.raises(SystemExit):  # a flag this producer does not take: argparse's own error
        workloads.get("bike-rentals").producer_options(("--no-such-flag",))
