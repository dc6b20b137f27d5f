"""streamlab.settings (validation, bootstrap precedence, checkpoint folders) and streamlab.sqlfiles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flink_jobs.behavior_stats import sql_values
from streamlab import fields, jobparts, sqlfiles, workloads
from streamlab.errors import LabError
from streamlab.paths import REPO_ROOT, SQL_DIR
from streamlab.settings import MAX_VALUE_CHARS, Settings, bootstrap_from_env

WORKLOAD = "behavior-stats"
SQL_NAMES = sorted(path.stem for path in (SQL_DIR / WORKLOAD).glob("*.sql"))
SPARK_LOADS = ("spark_parse", "query")  # what spark_jobs/behavior_stats.py loads from its own folder
SHARED_NAMES = sorted(path.stem for path in (SQL_DIR / jobparts.SHARED).glob("*.sql"))
ALL_SQL_FILES = sorted(SQL_DIR.glob("*/*.sql"))


def job_settings(**changes: object) -> Settings:
    base = Settings(
        workload=WORKLOAD,
        bootstrap_servers="broker-a:9092,broker-b:9092",
        topics={"input": "in_topic", "output": "out_topic", "dead_letters": "dlq_topic"},
    )
    return base.with_(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"engine": "storm"}, "unknown engine 'storm'"),
        ({"start_from": "middle"}, "--from must be earliest or latest"),
        ({"parallelism": 0}, "at least 1"),
        ({"partitions": 0}, "at least 1"),
        ({"spark_trigger": "realTime=5 seconds"}, "--trigger is a Spark setting"),
        ({"engine": "spark", "spark_trigger": "continuous=1 second"}, "processingTime=DURATION or realTime=DURATION"),
        ({"engine": "spark", "spark_trigger": "realTime="}, "realTime=DURATION"),
    ],
)
def test_invalid_settings_raise_lab_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(LabError, match=message):
        Settings(workload=WORKLOAD, **changes)


def test_with_validates_the_changed_settings() -> None:
    with pytest.raises(LabError, match="unknown engine"):
        job_settings().with_(engine="storm")


def test_valid_settings_keep_their_values() -> None:
    settings = Settings(workload=WORKLOAD, engine="spark", start_from="latest", parallelism=4)
    assert (settings.engine, settings.start_from, settings.parallelism) == ("spark", "latest", 4)


def test_bootstrap_flag_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "env-broker:9092")
    assert bootstrap_from_env("flag-broker:9092") == "flag-broker:9092"


def test_bootstrap_environment_beats_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "env-broker:9092")
    assert bootstrap_from_env(None) == "env-broker:9092"


def test_bootstrap_defaults_to_localhost_9092(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    assert bootstrap_from_env(None) == "localhost:9092"


def test_empty_bootstrap_environment_falls_back_to_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "")
    assert bootstrap_from_env(None) == "localhost:9092"


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_checkpoint_dir_defaults_to_run_checkpoints_engine_workload(engine: str) -> None:
    settings = Settings(workload=WORKLOAD, engine=engine)
    assert settings.resolved_checkpoint_dir == REPO_ROOT / ".run" / "checkpoints" / engine / WORKLOAD


def test_checkpoint_dir_flag_wins(tmp_path: Path) -> None:
    assert Settings(workload=WORKLOAD, checkpoint_dir=tmp_path).resolved_checkpoint_dir == tmp_path


def test_render_fills_placeholders() -> None:
    assert sqlfiles.render("SELECT '${A}', ${B_2}", {"A": "x", "B_2": 3}) == "SELECT 'x', 3"


def test_render_leaves_json_paths_and_lone_dollars_alone() -> None:
    text = "JSON_VALUE(payload, '$.ts'), get_json_object(p, '$.a.b'), $NOT_BRACED, ${X}"
    assert sqlfiles.render(text, {"X": 1}) == "JSON_VALUE(payload, '$.ts'), get_json_object(p, '$.a.b'), $NOT_BRACED, 1"


def test_render_names_every_missing_placeholder() -> None:
    with pytest.raises(LabError, match="placeholders without a value: GROUP_ID, TOPIC"):
        sqlfiles.render("'${TOPIC}' '${GROUP_ID}' '${SET}'", {"SET": 1})


def test_load_of_a_missing_file_raises_lab_error() -> None:
    with pytest.raises(LabError, match="missing SQL file sql/behavior-stats/nope.sql"):
        sqlfiles.load(WORKLOAD, "nope")


def test_every_expected_sql_file_exists() -> None:
    assert {"flink_sink", "flink_parse", "spark_parse", "query"} <= set(SQL_NAMES)
    assert {"flink_raw_source", "flink_dead_letter_sink", "dead_letters"} <= set(SHARED_NAMES)


def shared_values(settings: Settings) -> dict[str, object]:
    """Every placeholder a shared file may hold, as the jobs fill them (streamlab.jobparts)."""
    source = {**jobparts.flink_source_values(settings, "t_raw", settings.input_topic),
              **jobparts.format_values(fields.MESSAGE)}  # fmt: skip
    time = {"TIME_COLUMN": "ts", "TIME_TEXT": "event_time", "WATERMARK_MINUTES": 1}
    sink = jobparts.flink_sink_values(settings, "t_dead_letters", settings.dead_letter_topic)
    envelope = {"RECORDS": jobparts.kafka_table("t_raw"), "MAX_VALUE_CHARS": MAX_VALUE_CHARS}
    routed = {"PARSED_VIEW": "t_parsed", "STEPS": "t_checked AS (SELECT 1 AS n)",
              "RESULT_QUERY": "SELECT n FROM t_checked", "RESULT_KEY": "NULL", "RESULT_VALUE": "to_json(struct(*))",
              "RESULT_TOPIC": "'t_out'", "DEAD_LETTERS": "SELECT 1 AS n",
              "DEAD_LETTER_TOPIC": settings.dead_letter_topic}  # fmt: skip
    return {**sink, **source, **time, **envelope, **routed, "CHECKED_VIEW": "t_checked"}


@pytest.mark.parametrize("name", [*(f"{WORKLOAD}/{n}" for n in SQL_NAMES), *(f"shared/{n}" for n in SHARED_NAMES)])
def test_sql_file_renders_with_flink_job_values(name: str) -> None:
    folder, stem = name.split("/")
    settings = job_settings(bounded=True, start_from="latest")
    # a workload's files may hold the shared placeholders too (flink_seed_source.sql: a Kafka source)
    values = (
        shared_values(settings) if folder == jobparts.SHARED else {**shared_values(settings), **sql_values(settings)}
    )
    text = sqlfiles.load(folder, stem, values)
    assert "${" not in text
    assert not text.endswith(";")
    raw = (SQL_DIR / folder / f"{stem}.sql").read_text(encoding="utf-8")
    if "${BOOTSTRAP_SERVERS}" in raw:
        assert "'broker-a:9092,broker-b:9092'" in text
    if "${STARTUP_MODE}" in raw:
        assert "'scan.startup.mode' = 'latest-offset'" in text
        assert "'scan.bounded.mode' = 'latest-offset'" in text
    if "${GROUP_ID}" in raw:
        assert "'properties.group.id' = 'streamlab-flink-behavior-stats-main'" in text


@pytest.mark.parametrize("name", SPARK_LOADS)
def test_sql_files_spark_loads_render_with_spark_values(name: str) -> None:
    assert "${" not in sqlfiles.load(WORKLOAD, name)


@pytest.mark.parametrize("path", ALL_SQL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sql_file_opens_with_a_comment_naming_its_workload(path: Path) -> None:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith(f"-- {path.parent.name}")
    assert path.parent.name in {*workloads.WORKLOADS, jobparts.SHARED}


@pytest.mark.parametrize("path", ALL_SQL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sql_file_holds_one_statement(path: Path) -> None:
    code = "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("--")
    )
    assert code.strip().rstrip(";").count(";") == 0


def test_settings_name_the_topic_of_a_role_and_refuse_a_missing_one() -> None:
    settings = job_settings()
    assert (settings.topic("input"), settings.input_topic, settings.dead_letter_topic) == (
        "in_topic",
        "in_topic",
        "dlq_topic",
    )
    with pytest.raises(LabError, match="has no snapshots topic"):
        settings.topic("snapshots")


def test_topic_prefix_and_overrides_rename_a_workloads_topics() -> None:
    bike = workloads.get("bike-rentals")
    names = bike.topic_names("t1_", {"derived": "mine"})
    assert names["input"] == "t1_apis.seouldata.rt-bicycle"
    assert names["snapshots"] == "t1_apis.seouldata.rt-bicycle.raw"
    assert names["derived"] == "mine"
    with pytest.raises(LabError, match="has no topic role output"):
        bike.topic_names(overrides={"output": "x"})


def test_load_text_keeps_a_fragment_verbatim() -> None:
    pattern = sqlfiles.load_text("sales-batch", "csv_row.regex")
    assert pattern.count("),(") == 4  # five fields
    assert re.fullmatch(pattern, 'P1,"home, garden",1.5,2,2024-01-01')
    assert "\\" not in pattern  # Spark string literals would unescape a backslash


def test_a_spark_trigger_splits_into_kind_and_duration() -> None:
    settings = Settings(workload=WORKLOAD, engine="spark", spark_trigger="processingTime=100 milliseconds")
    assert settings.trigger_parts() == ("processingTime", "100 milliseconds")


def test_result_topics_are_stamped_by_the_broker_and_inputs_are_not() -> None:
    """`streamlab bench` reads a result's latency from its LogAppendTime; inputs keep the producer's time."""
    workload = workloads.get("strategy-join")
    specs = {spec.name: spec for spec in workload.topic_specs(base_settings_for(workload))}
    assert specs["C_output"].configs() == {"message.timestamp.type": "LogAppendTime"}
    assert specs["D_input_ready"].configs()["message.timestamp.type"] == "LogAppendTime"
    assert specs["C_input"].configs() == {}
    stats = workloads.get(WORKLOAD)
    compacted = {spec.name: spec for spec in stats.topic_specs(base_settings_for(stats))}["behavior_stats"]
    assert compacted.configs()["cleanup.policy"] == "compact"
    assert compacted.configs()["message.timestamp.type"] == "LogAppendTime"


def base_settings_for(workload: workloads.Workload) -> Settings:
    return Settings(workload=workload.name, topics=workload.topic_names())


def test_a_relative_checkpoint_dir_is_made_absolute() -> None:
    """Flink takes the folder as a file:// URI, which a relative path cannot be."""
    settings = Settings(workload=WORKLOAD, checkpoint_dir=Path("relative/checkpoints"))
    assert settings.resolved_checkpoint_dir.is_absolute()
    assert settings.resolved_checkpoint_dir.as_uri().endswith("relative/checkpoints")
