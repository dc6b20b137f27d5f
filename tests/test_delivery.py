"""`--delivery`: the Flink Kafka sinks' guarantee, set in one place (streamlab.jobparts.flink_sink_values) for
every sink of every Flink job, refused on Spark, passed on by chaos; without an engine or a broker."""

from __future__ import annotations

import re
from pathlib import Path
from unittest.mock import MagicMock

import pytest

from streamlab import chaos, engines, jobparts, kafka_admin, sqlfiles, workloads
from streamlab.chaos import report as chaos_report
from streamlab.chaos import run as chaos_run
from streamlab.cli import main
from streamlab.compare import DeadLetters, Rows, Verdict
from streamlab.errors import LabError
from streamlab.paths import SQL_DIR
from streamlab.settings import AT_LEAST_ONCE, EXACTLY_ONCE, Settings

# every Flink DDL that writes to Kafka: the sink tables of sql/*/ (sources read, filesystem sinks write files)
KAFKA_SINK_FILES = sorted(
    path
    for path in SQL_DIR.glob("*/flink_*sink.sql")
    if re.search(r"'connector' = '(upsert-)?kafka'", path.read_text(encoding="utf-8"))
)
SINK_OPTIONS = {
    "sink.delivery-guarantee": "DELIVERY_GUARANTEE",
    "sink.transactional-id-prefix": "TRANSACTIONAL_ID_PREFIX",
    "properties.transaction.timeout.ms": "TRANSACTION_TIMEOUT_MS",
}
# the broker's transaction.max.timeout.ms by default: a sink asking for more is refused
BROKER_MAX_TRANSACTION_MS = 15 * 60 * 1000


def run_settings(workload: workloads.Workload, job: workloads.Job, prefix: str = "", **changes: object) -> Settings:
    settings = Settings(
        workload=workload.name, job=job.name, bootstrap_servers="broker-a:9092", topics=workload.topic_names(prefix),
        output_dir=workload.default_output_dir("flink"),
    )  # fmt: skip
    return settings.with_(**changes)


def flink_jobs() -> list[tuple[workloads.Workload, workloads.Job]]:
    """Every streaming Flink job (each writes Kafka); batch jobs read and write files."""
    return [(w, j) for w in workloads.WORKLOADS.values() for j in w.jobs if not j.batch]


def kafka_sinks(workload: workloads.Workload, job: workloads.Job, settings: Settings) -> list[str]:
    """The Kafka sink DDLs a job's build() executes (a table environment that records, no JVM)."""
    table_env = MagicMock()
    workload.engine_module(job, "flink").build(table_env, settings)
    statements = [str(call.args[0]) for call in table_env.execute_sql.call_args_list]
    return [ddl for ddl in statements if "'sink.delivery-guarantee'" in ddl or "kafka'" in ddl and "scan." not in ddl]


def option(ddl: str, key: str) -> str:
    found = re.search(rf"'{re.escape(key)}' = '([^']*)'", ddl)
    assert found, f"no {key} in:\n{ddl}"
    return found[1]


# ---- the SQL files ------------------------------------------------------------------------------------


def test_the_kafka_sink_files_are_found() -> None:
    names = {f"{path.parent.name}/{path.stem}" for path in KAFKA_SINK_FILES}
    assert {"passthrough/flink_sink", "behavior-stats/flink_sink", "shared/flink_dead_letter_sink"} <= names
    assert "bike-rentals/flink_hourly_sink" not in names  # a filesystem sink: no Kafka transactions


@pytest.mark.parametrize("path", KAFKA_SINK_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_flink_kafka_sink_takes_the_delivery_from_placeholders(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for key, placeholder in SINK_OPTIONS.items():
        assert f"'{key}' = '${{{placeholder}}}'" in text


# ---- the values: one place for every sink ---------------------------------------------------------------


def test_the_default_is_at_least_once() -> None:
    workload = workloads.get("passthrough")
    settings = run_settings(workload, workload.job())
    assert settings.delivery == AT_LEAST_ONCE
    assert jobparts.flink_sink_values(settings, "t", "out")["DELIVERY_GUARANTEE"] == "at-least-once"


def test_the_transaction_timeout_outlasts_a_checkpoint_and_stays_under_the_brokers_limit() -> None:
    checkpoint_ms = int(engines.FLINK_CHECKPOINT_INTERVAL.split()[0]) * 1000
    assert checkpoint_ms < jobparts.TRANSACTION_TIMEOUT_MS < BROKER_MAX_TRANSACTION_MS


@pytest.mark.parametrize(("workload", "job"), flink_jobs(), ids=lambda x: getattr(x, "name", ""))
def test_every_kafka_sink_of_every_flink_job_is_exactly_once_when_asked(
    workload: workloads.Workload, job: workloads.Job
) -> None:
    settings = run_settings(workload, job, delivery=EXACTLY_ONCE)
    sinks = kafka_sinks(workload, job, settings)
    assert sinks, "every streaming job writes its dead letters to Kafka, most their result too"
    assert {option(ddl, "sink.delivery-guarantee") for ddl in sinks} == {"exactly-once"}
    prefixes = [option(ddl, "sink.transactional-id-prefix") for ddl in sinks]
    assert len(set(prefixes)) == len(prefixes), "two sinks of one job would fence each other"
    timeouts = {int(option(ddl, "properties.transaction.timeout.ms")) for ddl in sinks}
    assert timeouts == {jobparts.TRANSACTION_TIMEOUT_MS}
    # a restart builds the job again: the same prefixes, so it finds (and aborts) what its killed run left open
    assert [option(ddl, "sink.transactional-id-prefix") for ddl in kafka_sinks(workload, job, settings)] == prefixes


def test_runs_on_other_topics_use_other_transactional_ids() -> None:
    workload = workloads.get("passthrough")
    job = workload.job()
    first = kafka_sinks(workload, job, run_settings(workload, job, "a_", delivery=EXACTLY_ONCE))
    second = kafka_sinks(workload, job, run_settings(workload, job, "b_", delivery=EXACTLY_ONCE))
    ids = {option(ddl, "sink.transactional-id-prefix") for ddl in first + second}
    assert len(ids) == 4


def test_at_least_once_sinks_say_so() -> None:
    workload = workloads.get("behavior-stats")
    sinks = kafka_sinks(workload, workload.job(), run_settings(workload, workload.job()))
    assert {option(ddl, "sink.delivery-guarantee") for ddl in sinks} == {"at-least-once"}
    assert all(sqlfiles.placeholders(ddl) == set() for ddl in sinks)


# ---- Spark, bad values, chaos -----------------------------------------------------------------------------


def test_spark_refuses_exactly_once_saying_its_sink_is_at_least_once() -> None:
    with pytest.raises(LabError, match="Spark's Kafka sink is at-least-once"):
        Settings(workload="passthrough", engine="spark", delivery=EXACTLY_ONCE)
    assert Settings(workload="passthrough", engine="spark").delivery == AT_LEAST_ONCE


def test_an_unknown_guarantee_is_refused() -> None:
    with pytest.raises(LabError, match="--delivery must be at-least-once or exactly-once"):
        Settings(workload="passthrough", delivery="at-most-once")


@pytest.fixture
def no_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("contacted Kafka before rejecting the arguments")

    monkeypatch.setattr(kafka_admin, "delete_topics", fail)
    monkeypatch.setattr(kafka_admin, "ensure_topics", fail)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "spark", "passthrough", "--delivery", "exactly-once", "--bootstrap-servers", "localhost:1"],
        ["chaos", "kill-restart", "spark", "passthrough", "--delivery", "exactly-once", "--bootstrap-servers", "x:1"],
    ],
)
def test_the_cli_refuses_spark_exactly_once_in_one_line(
    argv: list[str], no_kafka: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    output = " ".join(capsys.readouterr().out.split())
    assert "error: --delivery exactly-once is a Flink option: Spark's Kafka sink is at-least-once" in output


def test_a_bad_delivery_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["run", "flink", "passthrough", "--delivery", "twice"])
    assert raised.value.code == 2
    assert "invalid choice: 'twice'" in capsys.readouterr().err


def test_chaos_runs_the_job_with_the_delivery_it_was_given(tmp_path: Path) -> None:
    workload = workloads.get("passthrough")
    settings = run_settings(workload, workload.job(), "chaos_", delivery=EXACTLY_ONCE, checkpoint_dir=tmp_path)
    runs = chaos_run.Chaos(settings, workload, chaos.ChaosOptions(log_dir=tmp_path / "logs"))
    args = runs.run_args()
    assert args[args.index("--delivery") + 1] == "exactly-once"


def test_the_chaos_report_says_how_the_sinks_wrote() -> None:
    spec = workloads.get("passthrough").job().result
    verdict = Verdict(Rows(expected=5, correct=5), DeadLetters(0, 0), spec, restarted=True)
    report = chaos.ChaosReport(
        engine="flink", workload="passthrough", result_kind="append-topic", kills=[], restarts_resumed=0,
        produced=10, rejected=0, verdict=verdict, raw_duplicates=0, caught_up=True, seconds=1.0,
        delivery=EXACTLY_ONCE,
    )  # fmt: skip
    rows = {row["measure"]: row["what it means"] for row in chaos_report.report_rows(report)}
    assert rows["duplicates in the raw output topic"].endswith("read read_committed (exactly-once sinks)")
