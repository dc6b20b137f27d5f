"""streamlab.cli.main: argument errors, one-line LabError messages and their exit codes."""

from __future__ import annotations

import io
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import pytest

from streamlab import kafka_admin, workloads
from streamlab.cli import main
from streamlab.errors import LabError

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
def test_produce_with_a_negative_count_or_rate_returns_2(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["produce", "behavior-stats", flag, "-1", "--bootstrap-servers", UNREACHABLE]
    assert main(argv) == 2
    assert "--count and --rate must not be negative" in capsys.readouterr().out


def test_bike_rentals_is_not_built_yet() -> None:
    assert not workloads.get("bike-rentals").built


def test_run_of_a_not_built_workload_says_not_built_yet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(kafka_admin, "ensure_topics", lambda bootstrap, specs: [])  # a broker that has the topics
    assert main(["run", "flink", "bike-rentals", "--bootstrap-servers", UNREACHABLE]) == 2
    assert "workload 'bike-rentals' is not built yet" in capsys.readouterr().out


def test_run_of_a_not_built_workload_needs_no_broker(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_broker(bootstrap: str, specs: list[kafka_admin.TopicSpec]) -> list[str]:
        raise LabError(kafka_admin.no_broker_message(bootstrap))  # what an unreachable broker answers

    monkeypatch.setattr(kafka_admin, "ensure_topics", no_broker)
    assert main(["run", "flink", "bike-rentals", "--bootstrap-servers", UNREACHABLE]) == 2
    assert "not built yet" in capsys.readouterr().out


@pytest.mark.usefixtures("kafka_must_not_be_called")
def test_explain_of_a_not_built_workload_says_not_built_yet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "spark", "bike-rentals", "--bootstrap-servers", UNREACHABLE]) == 2
    assert "not built yet" in capsys.readouterr().out
