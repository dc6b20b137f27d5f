"""streamlab.crosscheck: whose topics each engine writes, the side-by-side table and the verdict
(`streamlab check WORKLOAD` runs both engines: tests/test_end_to_end.py runs it for every workload)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from streamlab import crosscheck, workloads
from streamlab.compare import DeadLetters, Verdict, compare_rows
from streamlab.crosscheck import EngineCheck
from streamlab.errors import LabError
from streamlab.results import UPSERT_TOPIC, ResultSpec
from streamlab.settings import Settings

SPEC = ResultSpec(UPSERT_TOPIC, key_columns=("category",), value_columns=("count", "total"), count_column="count")
ORACLE = pd.DataFrame({"category": ["books", "games", "toys"], "count": [3, 2, 5], "total": [1.5, 2.25, 10.0]})


def engine_result(**changes: dict[str, object]) -> pd.DataFrame:
    """The oracle's rows with some cells changed: {"games": {"count": 7}}."""
    table = ORACLE.copy()
    for key, values in changes.items():
        for column, value in values.items():
            table.loc[table["category"] == key, column] = value
    return table


def checked(engine: str, table: pd.DataFrame, rejected: int = 1, expected_rejects: int = 1) -> EngineCheck:
    """An engine's check: its table against ORACLE; `rejected` dead letters, the oracle's first."""
    accounted = min(rejected, expected_rejects)
    letters = DeadLetters(expected_rejects, accounted, unexpected=rejected - accounted)
    verdict = Verdict(compare_rows(table, ORACLE, SPEC), letters, SPEC, table=table, expected=ORACLE)
    return EngineCheck(engine, 1.0, verdict)


# ---- topics and folders -----------------------------------------------------------------------------


def test_each_engine_reads_the_shared_input_and_writes_topics_of_its_own() -> None:
    workload = workloads.get("behavior-stats")
    flink = crosscheck.engine_topics(workload, "check_", "flink")
    spark = crosscheck.engine_topics(workload, "check_", "spark")
    assert flink["input"] == spark["input"] == "check_user_behaviors"
    assert flink["output"] == "check_flink_behavior_stats" and spark["output"] == "check_spark_behavior_stats"
    assert flink["dead_letters"] == "check_flink_user_behaviors_dlq"


def test_a_pipeline_stage_reads_its_own_engines_intermediate_topic() -> None:
    workload = workloads.get("strategy-join")
    flink = crosscheck.engine_topics(workload, "p_", "flink")
    spark = crosscheck.engine_topics(workload, "p_", "spark")
    for role in workloads.STRATEGY_INPUTS:  # what the producer writes: read by both
        assert flink[role] == spark[role] == f"p_{role.capitalize()}"
    for role in (*workloads.STRATEGY_OUTPUTS, "ready", "dead_letters", "ready_dead_letters"):
        assert flink[role] != spark[role] and flink[role].startswith("p_flink_")


def test_every_topic_a_job_of_the_workload_writes_is_per_engine() -> None:
    roles = crosscheck.written_roles(workloads.get("bike-rentals"))
    assert roles == {"dead_letters", "derived", "snapshot_dead_letters"}  # input and snapshots: the producer's
    assert crosscheck.written_roles(workloads.get("sales-batch")) == set()  # files only


def test_each_engine_gets_its_own_folders_under_the_checks_folder() -> None:
    workload = workloads.get("sales-batch")
    per_engine = crosscheck.engine_settings(Settings("sales-batch"), workload, "check_")
    folder = crosscheck.work_dir(workload, "check_")
    assert per_engine["flink"].output_dir == folder / "flink" and per_engine["spark"].output_dir == folder / "spark"
    assert per_engine["flink"].input_path == per_engine["spark"].input_path == folder / "input.csv"
    assert per_engine["flink"].checkpoint_dir != per_engine["spark"].checkpoint_dir
    assert all(settings.bounded for settings in per_engine.values())


def test_the_run_command_names_every_topic_and_folder_of_the_engine() -> None:
    workload = workloads.get("strategy-join")
    settings = crosscheck.engine_settings(Settings("strategy-join"), workload, "p_")["spark"]
    job = workload.job("join")
    args = crosscheck.run_args(crosscheck.stage_settings(settings, job), workload, job)
    assert args[:6] == ["run", "spark", "strategy-join", "--job", "join", "--bounded"]
    assert "c_output=p_spark_C_output" in args and "d_input=p_D_input" in args
    checkpoints = Path(args[args.index("--checkpoint-dir") + 1])
    assert checkpoints.name == "join" and checkpoints.parent.name == "spark"  # lifecycle.later_stage_folders' layout


def test_a_batch_run_reads_the_checks_input_file() -> None:
    workload = workloads.get("sales-batch")
    settings = crosscheck.engine_settings(Settings("sales-batch"), workload, "check_")["flink"]
    args = crosscheck.run_args(settings, workload, workload.job())
    assert args[args.index("--input") + 1] == str(crosscheck.work_dir(workload, "check_") / "input.csv")
    assert "--topic" not in args


def test_the_demo_producer_options_run_at_full_speed_and_keep_the_rest() -> None:
    options = argparse.Namespace(count=1000, rate=10.0, speedup=240.0, bad_every=50)
    faster = crosscheck.fast_producer_options(options)
    assert (faster.rate, faster.speedup, faster.count, faster.bad_every) == (0.0, 0.0, 1000, 50)
    assert options.rate == 10.0  # the demo's own options are left alone


def test_an_empty_prefix_is_refused_before_kafka_is_asked() -> None:
    workload = workloads.get("behavior-stats")
    with pytest.raises(LabError, match="--topic-prefix of its own"):
        crosscheck.check_both_engines(Settings("behavior-stats"), workload, workload.stages(), argparse.Namespace(), "")


# ---- the verdict --------------------------------------------------------------------------------------


def test_the_tolerance_is_said_in_words() -> None:
    tolerant = ResultSpec(UPSERT_TOPIC, ("category",), ("count", "total"), rel_tolerance=1e-9)
    assert "1e-09" in crosscheck.tolerance_words(tolerant) and "exactly" in crosscheck.tolerance_words(SPEC)


def test_a_planted_difference_fails_the_check_naming_the_engine() -> None:
    checks = [checked("flink", ORACLE), checked("spark", engine_result(toys={"count": 4}))]
    assert [c.passed for c in checks] == [True, False]
    with pytest.raises(LabError, match="^spark differ from the pandas oracle on behavior-stats"):
        crosscheck.verdict(checks, workloads.get("behavior-stats"))


def test_agreeing_engines_pass_the_verdict() -> None:
    crosscheck.verdict([checked("flink", ORACLE), checked("spark", ORACLE)], workloads.get("behavior-stats"))


def test_dead_letters_must_match_the_oracles_rejects() -> None:
    checks = [checked("flink", ORACLE, rejected=2), checked("spark", ORACLE, rejected=0)]
    assert crosscheck.failures(checks) == ["flink", "spark"]


def test_the_summary_line_has_every_count() -> None:
    job = workloads.get("behavior-stats").job()
    line = crosscheck.summary_line(checked("spark", engine_result(toys={"count": 4}), rejected=2), job)
    assert "spark stats: [red]differs from pandas[/]: 3 rows, 2 correct, 1 missing, 0 extra, 0 wrong" in line
    assert "dead letters 1 of the oracle's 1, 1 unexpected" in line
    batch_line = crosscheck.summary_line(checked("flink", ORACLE), workloads.get("sales-batch").job())
    assert "agrees with pandas" in batch_line and "lines set aside 1 of the oracle's 1" in batch_line


# ---- the side-by-side table ------------------------------------------------------------------------------


def test_the_table_puts_the_oracle_beside_each_engine_differing_rows_first() -> None:
    checks = [checked("flink", ORACLE), checked("spark", engine_result(toys={"count": 4}))]
    table = crosscheck.side_by_side(ORACLE, checks, SPEC)
    assert len(table) == len(ORACLE) * len(SPEC.value_columns)
    first = table.iloc[0]
    assert (first["category"], first["column"], first["pandas"], first["flink"], first["spark"]) == (
        "toys", "count", 5, 5, 4,
    )  # fmt: skip
    assert first["differs"] == "spark" and (table["differs"].iloc[1:] == "").all()


def test_a_key_only_an_engine_has_shows_an_empty_oracle_cell() -> None:
    extra = pd.concat([ORACLE, pd.DataFrame([{"category": "pens", "count": 1, "total": 0.5}])], ignore_index=True)
    table = crosscheck.side_by_side(ORACLE, [checked("flink", extra), checked("spark", ORACLE)], SPEC)
    pens = table[table["category"] == "pens"]
    assert len(pens) == 2 and pens["pandas"].isna().all() and (pens["differs"] == "flink").all()
    shown = crosscheck.shown(table)
    assert shown.loc[shown["category"] == "pens", "pandas"].tolist() == ["", ""]


def test_floats_are_shown_with_every_digit() -> None:
    table = pd.DataFrame({"v": [0.1 + 0.2, 3.0], "k": ["a", None]})
    assert crosscheck.shown(table).to_dict("list") == {"v": ["0.30000000000000004", "3.0"], "k": ["a", ""]}


def test_a_planted_difference_makes_the_command_exit_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`streamlab check` with the engines' runs left out: one engine's result has a wrong count (the table
    shows them under behavior-stats' own columns; the verdict is what counts here)."""
    from streamlab.cli import main

    runs = []
    monkeypatch.setattr(crosscheck, "start_over", lambda per_engine, workload, prefix: None)
    monkeypatch.setattr(crosscheck, "produce", lambda settings, workload, options: "sent nothing")
    monkeypatch.setattr(crosscheck, "run_in_own_process", lambda args, log: runs.append(args[:2]) or 1.0)
    planted = [checked("flink", ORACLE), checked("spark", engine_result(games={"count": 7}))]
    monkeypatch.setattr(crosscheck, "_check_job", lambda per_engine, job, seconds: planted)

    assert main(["check", "behavior-stats", "--bootstrap-servers", "localhost:1", "--topic-prefix", "t_"]) == 2
    output = " ".join(capsys.readouterr().out.split())
    assert runs == [["run", "flink"], ["run", "spark"]]  # one process per engine, Flink first
    assert "spark stats: differs from pandas: 3 rows, 2 correct, 0 missing, 0 extra, 1 wrong" in output
    assert "error: spark differ from the pandas oracle on behavior-stats" in output


def test_the_title_names_the_shared_input_and_each_engines_own_intermediate_topic() -> None:
    workload = workloads.get("strategy-join")
    per_engine = crosscheck.engine_settings(Settings("strategy-join"), workload, "check_")
    assert crosscheck.describe_input(per_engine, workload.job("join")) == (
        "its own c_output (check_flink_C_output, check_spark_C_output) + check_D_input"
    )
    assert crosscheck.describe_input(per_engine, workload.job("strategies")).startswith("check_A_input + check_B")
