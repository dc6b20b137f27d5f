"""streamlab.cli.main: argument errors, one-line LabError messages and their exit codes."""

from __future__ import annotations

import io
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from streamlab import display, kafka_admin, workloads
from streamlab.cli import main

UNREACHABLE = "localhost:1"  # nothing listens on port 1: a refused connection, never a real cluster


@dataclass(frozen=True)
class Outcome:
    code: int
    output: str
    seconds: float


NO_BROKER_COMMANDS = {
    "results": ["results", "behavior-stats"],  # fails in a KafkaConsumer
    "produce": ["produce", "behavior-stats", "--count", "1"],  # fails in a KafkaAdminClient
}


@pytest.fixture(scope="module", params=sorted(NO_BROKER_COMMANDS))
def without_broker(request: pytest.FixtureRequest) -> Outcome:
    """A command run once against a broker that does not answer; several tests look at the outcome."""
    stdout, stderr = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main([*NO_BROKER_COMMANDS[request.param], "--bootstrap-servers", UNREACHABLE])
    return Outcome(code, stdout.getvalue() + stderr.getvalue(), time.monotonic() - started)


@pytest.fixture
def kafka_must_not_be_called(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("the CLI contacted Kafka before rejecting its arguments")

    monkeypatch.setattr(kafka_admin, "ensure_topics", fail)


def exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    return int(raised.value.code)


@pytest.mark.parametrize(
    "argv",
    [
        ["results", "no-such-workload"],
        ["produce", "no-such-workload"],
        ["run", "flink", "no-such-workload"],
    ],
)
def test_unknown_workload_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(argv) == 2
    assert "invalid choice: 'no-such-workload'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "explain", "demo"])
def test_unknown_engine_exits_2(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code([command, "storm", "behavior-stats"]) == 2
    assert "invalid choice: 'storm'" in capsys.readouterr().err


def test_missing_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_unreachable_broker_returns_2_and_names_make_cluster_up(without_broker: Outcome) -> None:
    assert without_broker.code == 2
    message = " ".join(without_broker.output.split())
    assert message.startswith(f"error: no Kafka broker answers at {UNREACHABLE}")
    assert "`make cluster-up`" in message
    assert "Traceback" not in without_broker.output


def test_unreachable_broker_message_is_one_line(without_broker: Outcome) -> None:
    assert len(without_broker.output.strip().splitlines()) == 1


def test_unreachable_broker_is_reported_within_20_s(without_broker: Outcome) -> None:
    assert without_broker.seconds < 20


@pytest.mark.usefixtures("kafka_must_not_be_called")
@pytest.mark.parametrize("flag", ["--count", "--rate"])
def test_produce_with_a_negative_count_or_rate_exits_2(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["produce", "behavior-stats", flag, "-1", "--bootstrap-servers", UNREACHABLE]) == 2
    assert "must not be negative" in capsys.readouterr().err


@pytest.mark.usefixtures("kafka_must_not_be_called")
def test_each_workload_has_its_own_producer_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["produce", "sales-batch", "--stations", "3"]) == 2
    assert "unrecognized arguments: --stations 3" in capsys.readouterr().err


@pytest.mark.usefixtures("kafka_must_not_be_called")
def test_a_workload_sharing_a_producer_takes_its_flags(capsys: pytest.CaptureFixture[str]) -> None:
    """passthrough reads behavior-stats' events: the same producer, so the same flags and nothing else."""
    assert exit_code(["produce", "passthrough", "--count", "-1", "--bootstrap-servers", UNREACHABLE]) == 2
    assert "must not be negative" in capsys.readouterr().err
    assert exit_code(["produce", "passthrough", "--stations", "3"]) == 2
    assert "unrecognized arguments: --stations 3" in capsys.readouterr().err


@pytest.mark.usefixtures("kafka_must_not_be_called")
def test_workloads_lists_every_job_with_what_it_reads_and_writes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(display.console, "width", 140)  # what piped output gets
    assert main(["workloads"]) == 0
    shown = capsys.readouterr().out
    listing = " ".join(shown.split())
    assert "…" not in shown  # no cell cut short: long ones wrap instead
    for workload in workloads.WORKLOADS.values():
        assert workload.name in listing
        for job in workload.jobs:
            assert job.name in listing
    assert "passthrough_events" in listing and "purchase_intents" in listing


@pytest.mark.usefixtures("kafka_must_not_be_called")
def test_an_unknown_job_is_named_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "spark", "bike-rentals", "--job", "nope", "--bootstrap-servers", UNREACHABLE]) == 2
    assert "bike-rentals has no job 'nope': choose one of hourly, derive" in capsys.readouterr().out


@pytest.mark.usefixtures("kafka_must_not_be_called")
def test_a_topic_flag_for_a_role_the_workload_lacks_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["results", "bike-rentals", "--output-topic", "x", "--bootstrap-servers", UNREACHABLE]) == 2
    assert "bike-rentals has no topic role output" in capsys.readouterr().out


@pytest.mark.usefixtures("kafka_must_not_be_called")
def test_a_batch_run_without_its_input_file_names_the_producer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["run", "flink", "sales-batch", "--input", str(missing), "--output-dir", str(tmp_path)]) == 2
    assert f"input file {missing} does not exist: write one with `streamlab produce sales-batch`" in (
        " ".join(capsys.readouterr().out.split())
    )


def test_plot_of_a_workload_without_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "summary").mkdir()
    (tmp_path / "summary" / "part-0").write_text("books,1.5,1.5,1,1\n")
    argv = ["results", "sales-batch", "--output-dir", str(tmp_path), "--plot", str(tmp_path / "x.png")]
    assert main(argv) == 2
    assert "sales-batch has no plot; --plot works for: bike-rentals" in capsys.readouterr().out


@pytest.mark.usefixtures("kafka_must_not_be_called")
def test_engine_configuration_flags_are_checked_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["run", "spark", "behavior-stats", "--conf", "no-equals-sign"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert main(["run", "flink", "behavior-stats", "--trigger", "realTime=5 seconds",
                 "--bootstrap-servers", UNREACHABLE]) == 2  # fmt: skip
    assert "--trigger is a Spark setting" in capsys.readouterr().out


# ---- check: both engines by default, an existing result with --existing or a result flag -----------


@pytest.mark.parametrize(
    ("flags", "existing"),
    [
        ([], False),
        (["--topic-prefix", "mine_"], False),  # the prefix of the check's own fresh topics
        (["--parallelism", "2", "--job", "stats"], False),
        (["--existing"], True),
        (["--input-topic", "in"], True),
        (["--topic", "output=out"], True),
        (["--engine", "spark"], True),
        (["--dead-letter-topic", "dlq"], True),
    ],
)
def test_check_runs_both_engines_unless_told_to_read_an_existing_result(
    flags: list[str], existing: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlab import crosscheck
    from streamlab.cli import check

    ran: list[str] = []
    monkeypatch.setattr(check, "check_existing", lambda settings, job: ran.append("existing"))
    monkeypatch.setattr(crosscheck, "check_both_engines", lambda *args: ran.append("both engines"))
    monkeypatch.setattr(check, "bootstrap_or_embedded", lambda args: UNREACHABLE)
    assert main(["check", "behavior-stats", *flags, "--bootstrap-servers", UNREACHABLE]) == 0
    assert ran == (["existing"] if existing else ["both engines"])


def test_check_without_a_broker_exits_2_naming_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "behavior-stats", "--bootstrap-servers", UNREACHABLE]) == 2
    output = " ".join(capsys.readouterr().out.split())
    assert "error:" in output and "cluster up" in output


def test_a_demo_passes_the_producers_own_flags_on_whole() -> None:
    """The producer's --output is no abbreviation of the demo's --output-topic: it reaches the producer."""
    from streamlab.cli import build_parser

    args, extra = build_parser().parse_known_args(["demo", "flink", "sales-batch", "--output", "s.csv", "--rows", "9"])
    assert args.output_topic is None and extra == ["--output", "s.csv", "--rows", "9"]
