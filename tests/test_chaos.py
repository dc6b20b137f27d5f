"""streamlab.chaos without an engine: the kill schedule, the checkpoint rule, the report, the producer's
hold, and the CLI's refusals (which must come before any broker is asked). The comparison with the oracle
is streamlab.compare's: tests/test_compare.py."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from streamlab import chaos, compare, kafka_admin, ownership, workloads
from streamlab.chaos import broker, schedule
from streamlab.chaos import report as chaos_report
from streamlab.chaos import run as chaos_module
from streamlab.cli import main
from streamlab.compare import REJECT_POSITION, DeadLetters, compare_rows
from streamlab.engines import Checkpoint
from streamlab.errors import LabError
from streamlab.producing import ProduceStats
from streamlab.results import PARQUET, UPSERT_TOPIC, ResultSpec
from streamlab.run import verdict
from streamlab.settings import Settings
from tests.test_cluster import three_node_cluster
from tests.test_compare import COUNTS, ORACLE, counts

# ---- the kill schedule ------------------------------------------------------------------------------


def test_the_kill_schedule_is_seeded_ordered_and_inside_the_span() -> None:
    points = schedule.kill_schedule(seed=7, kills=3, total=1000)
    assert points == schedule.kill_schedule(seed=7, kills=3, total=1000)
    assert schedule.kill_schedule(seed=8, kills=3, total=1000) != points
    records = [record for point in points for record in (point.gate, point.kill)]
    assert len(points) == 3 and records == sorted(set(records))  # gate < kill < next gate
    assert all(100 <= record < 900 for record in records)


def test_the_kill_schedule_of_a_small_input() -> None:
    points = schedule.kill_schedule(seed=1, kills=2, total=10)
    assert points[0].gate >= 1 and points[-1].kill < 9
    with pytest.raises(LabError, match="raise --count or lower --kills"):
        schedule.kill_schedule(seed=1, kills=3, total=6)


def test_a_checkpoint_has_completed_when_flinks_number_grows() -> None:
    chk = Checkpoint(4, Path("job/chk-4"))
    assert not schedule.checkpoint_advanced([], [])
    assert schedule.checkpoint_advanced([], [chk])
    assert not schedule.checkpoint_advanced([chk], [chk])
    assert schedule.checkpoint_advanced([chk], [Checkpoint(5, Path("other-job/chk-5"))])


def test_a_spark_checkpoint_needs_a_new_commit_of_every_query() -> None:
    before = [Checkpoint(2, Path("dead-letters"), "dead-letters"), Checkpoint(3, Path("stats"), "stats")]
    one = [Checkpoint(2, Path("dead-letters"), "dead-letters"), Checkpoint(4, Path("stats"), "stats")]
    both = [Checkpoint(3, Path("dead-letters"), "dead-letters"), Checkpoint(4, Path("stats"), "stats")]
    assert not schedule.checkpoint_advanced(before, one)
    assert schedule.checkpoint_advanced(before, both)
    assert not schedule.checkpoint_advanced([], [Checkpoint(-1, Path("stats"), "stats")])  # started, none committed


class WatchedStats(ProduceStats):
    """ProduceStats that says when a record is held at the limit: a readiness check, not a sleep."""

    def wait_turn(self, index: int, poll_s: float = 0.02) -> float:
        if self.limit is not None and index >= self.limit:
            self.held.set()
        return super().wait_turn(index, poll_s)


def test_a_held_producer_waits_at_its_limit_until_it_is_raised() -> None:
    stats = WatchedStats(10, limit=2)
    stats.held = threading.Event()
    passed: list[int] = []

    def send() -> None:
        for index in range(4):
            stats.wait_turn(index)
            passed.append(index)

    sender = threading.Thread(target=send)
    sender.start()
    assert stats.held.wait(timeout=5)  # record 2 is at the limit
    assert passed == [0, 1] and sender.is_alive()
    stats.limit = None
    sender.join(timeout=5)
    assert passed == [0, 1, 2, 3]


def test_stop_releases_a_held_producer() -> None:
    stats = ProduceStats(10, limit=0)
    stats.stop.set()
    stats.wait_turn(5)  # returns at once


def report(missing: int = 0, wrong: int = 0, missing_letters: int = 0) -> chaos.ChaosReport:
    result = ORACLE.iloc[missing:].assign(behavior_count=lambda t: t["behavior_count"] + (t.index < missing + wrong))
    verdict = compare.Verdict(
        compare_rows(result, ORACLE, COUNTS), DeadLetters(20, 20 - missing_letters, 3, 0), COUNTS, restarted=True
    )
    return chaos.ChaosReport(
        engine="flink", workload="behavior-stats", result_kind=UPSERT_TOPIC,
        kills=[chaos_report.Kill(1, 500, 20.0, 2, "4")], restarts_resumed=1, produced=1000, rejected=20,
        verdict=verdict, raw_duplicates=12, caught_up=True, seconds=60.0,
    )  # fmt: skip


def test_the_report_passes_only_without_missing_wrong_or_missing_dead_letters() -> None:
    assert report().passed
    assert not report(missing=1).passed and not report(wrong=1).passed and not report(missing_letters=1).passed


def test_the_report_table_names_every_figure() -> None:
    rows = {row["measure"]: row["figure"] for row in chaos_report.report_rows(report(missing=1, wrong=1))}
    assert rows["kills"] == "1" and rows["missing"] == "1" and rows["wrong"] == "1" and rows["extra"] == "0"
    assert rows["correct"] == "1 of 3 keys"
    assert rows["duplicates in the raw output topic"] == "12"
    assert rows["dead letters accounted for"] == "20 of 20"


def test_raw_duplicates_are_records_beyond_one_per_key_and_value() -> None:
    # a key's successive counts are updates, the same count again is what a restart wrote twice
    raw = counts(
        ("books", "click", 1, "t1"), ("books", "click", 2, "t2"), ("books", "click", 2, "t2"), ("home", "click", 1, "t")
    ).assign(update_time=["a", "b", "c", "d"])  # when it was written does not make it another record
    assert chaos_report.raw_duplicates(raw, COUNTS) == 1
    assert chaos_report.raw_duplicates(pd.DataFrame(), COUNTS) == 0


# ---- which workloads, which flags -------------------------------------------------------------------


def test_streaming_workloads_are_supported_pipelines_and_parquet_results_too() -> None:
    assert chaos.supported_workloads() == [
        "behavior-stats", "bike-rentals", "windowed-messages", "strategy-join", "patient-events", "passthrough"
    ]  # fmt: skip
    assert chaos.check_supported(workloads.get("behavior-stats")).name == "stats"
    assert chaos.check_supported(workloads.get("bike-rentals")).name == "hourly"
    assert chaos.check_supported(workloads.get("strategy-join")).name == "join"  # the main job: the pipeline's end


def test_a_batch_workload_is_refused_with_the_reason() -> None:
    with pytest.raises(LabError, match="is a batch workload") as refused:
        chaos.check_supported(workloads.get("sales-batch"))
    assert "behavior-stats" in str(refused.value) and "strategy-join" in str(refused.value)


# ---- several stages, file results ---------------------------------------------------------------------


def test_a_stages_points_are_named_after_it_and_its_query() -> None:
    flink = [Checkpoint(7, Path("j/chk-7"))]
    spark = [Checkpoint(2, Path("q"), "dead-letters"), Checkpoint(-1, Path("r"), "pairs")]
    assert [p.query for p in schedule.stage_points("join", flink)] == ["join"]
    named = schedule.stage_points("strategies", spark)
    assert [(p.number, p.query) for p in named] == [(2, "strategies/dead-letters"), (-1, "strategies/pairs")]
    # two stages as one list: a checkpoint has completed once each stage (and query) has a newer one
    before = schedule.stage_points("strategies", flink) + schedule.stage_points("join", [Checkpoint(3, Path("x"))])
    only_first = schedule.stage_points("strategies", [Checkpoint(8, Path("y"))]) + before[1:]
    both = schedule.stage_points("strategies", [Checkpoint(8, Path("y"))]) + schedule.stage_points(
        "join", [Checkpoint(4, Path("z"))]
    )
    assert not schedule.checkpoint_advanced(before, only_first)
    assert schedule.checkpoint_advanced(before, both)


def test_the_last_job_reads_the_roles_an_earlier_one_writes_once_per_value() -> None:
    join = workloads.get("strategy-join")
    assert chaos_module.intermediate_roles(join.stages()) == ("c_output",)  # d_input comes from the producer
    assert chaos_module.intermediate_roles(workloads.get("behavior-stats").stages()) == ()


def test_a_record_two_stages_reject_is_one_malformed_record() -> None:
    def rejects(*rows: tuple[str, int, int, str]) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=list(REJECT_POSITION))

    strategies = rejects(("A_input", 0, 3, "not a JSON object"), ("D_input", 1, 5, "missing field: ts"))
    join = rejects(("D_input", 1, 5, "missing field: ts"))
    assert chaos_report.rejected_records([strategies, join]) == 2
    assert chaos_report.rejected_records([strategies]) == 2 and chaos_report.rejected_records([]) == 0


def test_a_parquet_result_counts_its_duplicates_across_files() -> None:
    hourly = ResultSpec(PARQUET, ("stt_id", "ymd", "hh"), ("rent_cnt",), partition_by=("ymd", "hh"))
    rows = pd.DataFrame(
        [("s1", "20250112", "22", 3), ("s1", "20250112", "22", 3), ("s2", "20250112", "22", 1)],
        columns=["stt_id", "ymd", "hh", "rent_cnt"],
    )
    assert chaos_report.raw_duplicates(rows, hourly) == 1
    judged = compare.Verdict(
        compare_rows(rows, rows.drop_duplicates(), hourly), DeadLetters(0, 0), hourly, restarted=True
    )
    report = chaos.ChaosReport(
        engine="spark", workload="bike-rentals", result_kind=PARQUET, kills=[], restarts_resumed=0, produced=10,
        rejected=0, verdict=judged, raw_duplicates=1, caught_up=True, seconds=1.0,
    )  # fmt: skip
    shown = {row["measure"]: row for row in chaos_report.report_rows(report)}
    assert shown["correct"]["figure"] == "2 of 2 rows" and shown["duplicated in the final view"]["figure"] == "1"
    assert shown["duplicates in the raw output files"]["figure"] == "1"
    assert "parquet files" in shown["duplicates in the raw output files"]["what it means"]
    assert "duplicates in the raw output topic" not in shown


@pytest.fixture
def no_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("chaos contacted Kafka before rejecting its arguments")

    monkeypatch.setattr(kafka_admin, "delete_topics", fail)
    monkeypatch.setattr(kafka_admin, "ensure_topics", fail)
    monkeypatch.setattr(ownership, "clear", fail)


def test_a_batch_workload_is_one_clear_error(no_kafka: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chaos", "kill-restart", "flink", "sales-batch", "--bootstrap-servers", "localhost:1"]) == 2
    output = " ".join(capsys.readouterr().out.split())
    assert "error: sales-batch is a batch workload" in output


def test_producer_args_the_producer_lacks_exit_2_before_kafka(
    no_kafka: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(
            [
                "chaos",
                "kill-restart",
                "flink",
                "bike-rentals",
                "--producer-args",
                "--count 5",
                "--bootstrap-servers",
                "x:1",
            ]
        )
    assert raised.value.code == 2
    assert "unrecognized arguments: --count 5" in capsys.readouterr().err
    assert (
        main(
            ["chaos", "kill-restart", "flink", "bike-rentals", "--producer-args", "'--x", "--bootstrap-servers", "x:1"]
        )
        == 2
    )
    assert "No closing quotation" in capsys.readouterr().out


def test_an_empty_topic_prefix_is_refused(no_kafka: None, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["chaos", "kill-restart", "spark", "behavior-stats", "--topic-prefix", "", "--bootstrap-servers", "x:1"]
    assert main(argv) == 2
    assert "--topic-prefix of its own" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["flink", "behavior-stats", "--kills", "0"], "must be at least 1"),
        (["storm", "behavior-stats"], "invalid choice: 'storm'"),
        (["flink", "no-such-workload"], "invalid choice: 'no-such-workload'"),
    ],
)
def test_bad_flags_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["chaos", "kill-restart", *argv])
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_a_group_coordinator_not_ready_yet_means_lag_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new broker answers COORDINATOR_NOT_AVAILABLE while it creates __consumer_offsets: the last run of
    `chaos` asks Flink's group then, and must wait instead of failing."""
    from contextlib import contextmanager

    from kafka.errors import CoordinatorNotAvailableError, GroupAuthorizationFailedError

    def admin_raising(error: Exception) -> object:
        class Admin:
            def list_consumer_group_offsets(self, group: str) -> dict:
                raise error

        @contextmanager
        def client(bootstrap_servers: str) -> Iterator[object]:
            yield Admin()

        return client

    monkeypatch.setattr(kafka_admin, "admin_client", admin_raising(CoordinatorNotAvailableError()))
    assert kafka_admin.committed_lag("localhost:1", "group", ("topic",)) is None
    monkeypatch.setattr(kafka_admin, "admin_client", admin_raising(GroupAuthorizationFailedError()))
    with pytest.raises(GroupAuthorizationFailedError):
        kafka_admin.committed_lag("localhost:1", "group", ("topic",))


def chaos_run(workload_name: str, folder: Path, engine: str = "flink") -> chaos_module.Chaos:
    """A Chaos as cmd_chaos builds it (checkpoint folder D, D-output beside it), without starting anything."""
    workload = workloads.get(workload_name)
    settings = Settings(
        workload=workload.name, engine=engine, job=workload.job().name, bootstrap_servers="broker-a:9092",
        topics=workload.topic_names("chaos_"), checkpoint_dir=folder / "ck", output_dir=folder / "ck-output",
    )  # fmt: skip
    return chaos_module.Chaos(settings, workload, chaos.ChaosOptions(log_dir=folder / "ck-logs"))


def completed_flink_checkpoint(folder: Path, number: int) -> None:
    chk = folder / "3f2a" / f"chk-{number}"
    chk.mkdir(parents=True)
    (chk / "_metadata").write_bytes(b"")


def test_a_file_result_runs_into_the_runs_own_output_folder(tmp_path: Path) -> None:
    bikes = chaos_run("bike-rentals", tmp_path).run_args()
    assert bikes[bikes.index("--output-dir") + 1] == str(tmp_path / "ck-output")
    assert "--output-dir" not in chaos_run("behavior-stats", tmp_path).run_args()


def test_a_pipeline_resumes_from_every_stages_folder(tmp_path: Path) -> None:
    runs = chaos_run("strategy-join", tmp_path)
    assert [stage.settings.resolved_checkpoint_dir for stage in runs.stages] == [
        tmp_path / "ck" / "strategies", tmp_path / "ck" / "join"
    ]  # fmt: skip
    assert runs.run_args()[runs.run_args().index("--checkpoint-dir") + 1] == str(tmp_path / "ck")  # run splits it
    completed_flink_checkpoint(tmp_path / "ck" / "strategies", 4)
    before = runs.resume_points()
    assert [(p.number, p.query) for p in before] == [(4, "strategies")]
    assert not runs.checkpointed([])  # the join has no checkpoint yet: a kill now would start it over
    with pytest.raises(LabError, match="join has nothing to resume from"):
        runs.resume_lines()
    completed_flink_checkpoint(tmp_path / "ck" / "join", 2)
    assert runs.checkpointed([]) and not runs.checkpointed(runs.resume_points())
    lines = runs.resume_lines()
    assert [line.split(" (")[0] for line in lines] == [
        "strategies: resuming from checkpoint 4", "join: resuming from checkpoint 2"
    ]  # fmt: skip

    class Said:  # what the restarted `streamlab run` has printed so far
        def __init__(self, output: str) -> None:
            self.output, self.log = output, tmp_path / "run-2.log"

    runs.processes = [Said(""), Said("")]  # type: ignore[list-item]
    assert not runs.said_it_resumes(Said(lines[0]), lines)  # type: ignore[arg-type]  # the join starts later
    assert runs.said_it_resumes(Said(f"{lines[0]}\nwaiting ...\n{lines[1]}"), lines)  # type: ignore[arg-type]
    with pytest.raises(LabError, match="did not resume from the newest checkpoint"):
        runs.said_it_resumes(Said(f"{lines[0]}\njoin: resuming from checkpoint 1 (x)"), lines)  # type: ignore[arg-type]
    with pytest.raises(LabError, match="started over"):
        runs.said_it_resumes(Said(f"{lines[0]}\njoin: no checkpoint: starting from earliest"), lines)  # type: ignore[arg-type]


def test_one_job_keeps_its_folder_and_an_unnamed_resume_line(tmp_path: Path) -> None:
    runs = chaos_run("behavior-stats", tmp_path)
    completed_flink_checkpoint(tmp_path / "ck", 6)
    assert [(p.number, p.query) for p in runs.resume_points()] == [(6, "")]
    assert runs.resume_lines()[0].startswith("resuming from checkpoint 6 (")


def test_the_oracle_reads_an_earlier_stages_output_once_per_value(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlab.kafka_admin import Record

    def record(topic: str, offset: int, value: bytes) -> Record:
        return Record(topic=topic, partition=0, offset=offset, timestamp_ms=0, key=None, value=value)

    c_output = [record("C_output", 0, b"c1"), record("C_output", 1, b"c2"), record("C_output", 2, b"c1")]
    d_input = [record("D_input", 0, b"d1"), record("D_input", 1, b"d1")]  # the producer's: kept as they are
    seen: list[tuple[list[int], list[int]]] = []

    def oracle(c: list[Record], d: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
        seen.append(([r.offset for r in c], [r.offset for r in d]))
        return pd.DataFrame(), pd.DataFrame()

    job = workloads.get("strategy-join").job()
    monkeypatch.setattr(verdict, "read_inputs", lambda *_: [c_output, d_input])
    monkeypatch.setattr(type(job), "oracle_function", lambda self: oracle)
    settings = Settings(workload="strategy-join", job="join")
    verdict.oracle_answer(settings, job, distinct=("c_output",))
    verdict.oracle_answer(settings, job)
    assert seen == [([0, 1], [0, 1]), ([0, 1, 2], [0, 1])]


# ---- a broker down --------------------------------------------------------------------------------


def test_a_broker_down_report_says_which_node_and_when_instead_of_kills() -> None:
    outage = chaos_report.Outage(node=2, down_at=900, up_at=2100, dropped_s=9.6, down_s=41.4)
    down = dataclasses.replace(report(), kills=[], restarts_resumed=0, outage=outage)
    rows = {row["measure"]: (row["figure"], row["what it means"]) for row in chaos_report.report_rows(down)}
    assert "kills" not in rows and "restarts resumed" not in rows
    assert rows["broker down"] == ("node 2", "SIGKILL at record 900, `cluster up` at record 2,100")
    assert rows["out of the cluster after"][0] == "10 s" and rows["back in sync after"][0] == "41 s"
    assert rows["the job"][0] == "running" and rows["missing"][0] == "0"


def test_a_run_with_kills_and_a_broker_down_reports_both() -> None:
    outage = chaos_report.Outage(node=2, down_at=300, up_at=800, dropped_s=9.6, down_s=30.2)
    both = dataclasses.replace(report(), outage=outage)
    rows = {row["measure"]: (row["figure"], row["what it means"]) for row in chaos_report.report_rows(both)}
    assert rows["kills"][0] == "1" and rows["restarts resumed"][0] == "1 of 1"
    assert rows["broker down"] == ("node 2", "SIGKILL at record 300, `cluster up` at record 800")
    assert "the job" not in rows  # it did not run all along: it was killed


def test_broker_down_needs_the_embedded_three_nodes_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layout = three_node_cluster(tmp_path, monkeypatch, (True, False, True))
    with pytest.raises(LabError, match=r"3-broker cluster, which has 3 node\(s\), running: \[1, 3\].*--brokers 3"):
        broker.check_cluster(layout, 2)
    layout = three_node_cluster(tmp_path / "up", monkeypatch, (True, True, True))
    broker.check_cluster(layout, 3)
    with pytest.raises(LabError, match="the node to kill must be one of the cluster's nodes"):
        broker.check_cluster(layout, 4)


def test_broker_down_refuses_another_cluster_before_kafka(no_kafka: None, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["chaos", "broker-down", "spark", "behavior-stats", "--bootstrap-servers", "elsewhere:9092"]
    assert main(argv) == 2
    assert "give no --bootstrap-servers" in " ".join(capsys.readouterr().out.split())
    argv = ["chaos", "kill-restart", "flink", "windowed-messages", "--broker-down", "2", "--bootstrap-servers", "x:1"]
    assert main(argv) == 2
    assert "give no --bootstrap-servers" in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit) as raised:
        main(["chaos", "broker-down", "flink", "behavior-stats", "--node", "4"])
    assert raised.value.code == 2
    with pytest.raises(SystemExit) as raised:
        main(["chaos", "kill-restart", "flink", "behavior-stats", "--broker-down", "4"])
    assert raised.value.code == 2


def test_end_offsets_timing_out_while_leaders_move_means_lag_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broker that has just come back takes its partitions' leadership back, and kafka-python's end_offsets
    times out meanwhile: the last run's drain asks Flink's lag then, and must ask again instead of failing."""
    from contextlib import contextmanager

    from kafka.errors import KafkaTimeoutError

    class Admin:
        def list_consumer_group_offsets(self, group: str) -> dict:
            return {}

    class Consumer:
        def partitions_for_topic(self, topic: str) -> set[int]:
            return {0}

        def end_offsets(self, partitions: list) -> dict:
            raise KafkaTimeoutError("Failed to get offsets by timestamps in 15000 ms")

        def close(self) -> None:
            pass

    @contextmanager
    def client(bootstrap_servers: str) -> Iterator[object]:
        yield Admin()

    monkeypatch.setattr(kafka_admin, "admin_client", client)
    monkeypatch.setattr(kafka_admin, "new_consumer", lambda *args, **kwargs: Consumer())
    assert kafka_admin.committed_lag("localhost:1", "group", ("topic",)) is None


# ---- rescale ---------------------------------------------------------------------------------------


def test_a_rescale_report_says_from_and_to_what_it_kept_and_what_the_engine_did() -> None:
    rescaled = chaos_report.Rescaling(1, 2, 378, "savepoint savepoint-7e2f55-a5b0", 7.4, ("job 7e2f55ff: ...",))
    rows = chaos_report.report_rows(dataclasses.replace(report(), rescaled=rescaled))
    figures = {row["measure"]: row["figure"] for row in rows}
    assert "kills" not in figures and "restarts resumed" not in figures
    assert figures["parallelism"] == "1 -> 2" and figures["stopped at"] == "record 378"
    assert figures["state kept in"] == "savepoint savepoint-7e2f55-a5b0" and figures["without a job"] == "7 s"
    assert [row["what it means"] for row in rows if row["measure"] == "the engine"] == ["job 7e2f55ff: ..."]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["flink", "strategy-join", "--to", "2"], "a pipeline of jobs"),
        (["spark", "behavior-stats", "--to", "1"], "nothing would change"),
        (["flink", "sales-batch", "--to", "2"], "sales-batch is a batch workload"),
    ],
)
def test_rescale_refuses_what_it_cannot_do_before_kafka(
    argv: list[str], message: str, no_kafka: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(chaos_module.lifecycle, "produce_in_background", lambda *a: pytest.fail("produced"))
    cluster = ["--cluster", "http://127.0.0.1:1"] if argv[0] == "flink" else ["--cluster", "spark://127.0.0.1:1"]
    assert main(["rescale", *argv, *cluster, "--bootstrap-servers", "x:1"]) == 2
    assert message in " ".join(capsys.readouterr().out.split())


def test_rescale_needs_its_target_parallelism(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["rescale", "flink", "behavior-stats"])
    assert raised.value.code == 2
    assert "--to" in capsys.readouterr().err
