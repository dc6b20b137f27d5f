"""Security basics: output paths stay inside the chosen output root, and SEOUL_API_KEY shows nowhere.

The listeners' side (everything binds to loopback) needs real engines: tests/integration/test_listeners.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from producers import bike_rentals
from streamlab import producing, runner, workloads
from streamlab.cli import main, producer_options
from streamlab.errors import LabError
from streamlab.paths import OUTPUT_ROOT_ENV, RUN_DIR, output_path

UNREACHABLE = "127.0.0.1:1"  # nothing listens on port 1: a broker call fails at once

# ---- output paths ------------------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An output root chosen with $STREAMLAB_OUTPUT_ROOT, the current folder too (relative paths start there)."""
    chosen = tmp_path / "root"
    chosen.mkdir()
    monkeypatch.setenv(OUTPUT_ROOT_ENV, str(chosen))
    monkeypatch.chdir(chosen)
    return chosen.resolve()


def test_a_nested_path_is_accepted_and_resolved(root: Path) -> None:
    assert output_path(Path("runs/a/../b"), "--output-dir") == root / "runs" / "b"
    assert output_path(root / "runs" / "c", "--checkpoint-dir") == root / "runs" / "c"


def test_a_path_climbing_out_through_dotdot_is_refused(root: Path) -> None:
    with pytest.raises(LabError) as refused:
        output_path(Path("runs/../../elsewhere"), "--output-dir")
    message = str(refused.value)
    assert "--output-dir runs/../../elsewhere climbs through '..' to" in message
    assert f"outside the output root {root} (from ${OUTPUT_ROOT_ENV})" in message
    assert f"set {OUTPUT_ROOT_ENV} to a folder that holds {root.parent / 'elsewhere'}" in message


def test_a_symlink_pointing_outside_is_refused(root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(LabError, match=f"--checkpoint-dir link/ck follows a symlink to {outside / 'ck'}, outside"):
        output_path(Path("link/ck"), "--checkpoint-dir")


def test_a_symlink_staying_inside_is_accepted(root: Path) -> None:
    (root / "real").mkdir()
    (root / "alias").symlink_to(root / "real")
    assert output_path(Path("alias/out"), "--out") == root / "real" / "out"


def test_the_root_itself_is_refused(root: Path) -> None:
    """A bounded run deletes its checkpoint folder: `--checkpoint-dir .` must not mean the whole root."""
    with pytest.raises(LabError, match="is .*, the output root itself: give a folder inside it"):
        output_path(Path("."), "--checkpoint-dir")
    with pytest.raises(LabError, match="the lab's .run folder itself"):
        output_path(RUN_DIR, "--checkpoint-dir")


def test_the_lab_run_folder_is_always_accepted(root: Path) -> None:
    """Its defaults, which `check`, `chaos` and batch runs pass on to the processes they start."""
    assert output_path(RUN_DIR / "chaos" / "x", "--checkpoint-dir") == RUN_DIR.resolve() / "chaos" / "x"


def test_without_a_chosen_root_the_current_folder_is_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OUTPUT_ROOT_ENV)
    monkeypatch.chdir(tmp_path)
    assert output_path(Path("out"), "--out") == tmp_path.resolve() / "out"
    with pytest.raises(LabError, match=r"outside the output root .* \(the current folder\)"):
        output_path(Path("../out"), "--out")


def test_a_root_that_is_no_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OUTPUT_ROOT_ENV, str(tmp_path / "missing"))
    with pytest.raises(LabError, match=f"{OUTPUT_ROOT_ENV}=.*missing is not a folder"):
        output_path(Path("out"), "--out")


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "flink", "behavior-stats", "--bounded", "--checkpoint-dir", "../ck"],
        ["run", "spark", "sales-batch", "--output-dir", "../out"],
        ["results", "bike-rentals", "--plot", "../bike.png"],
        ["bench", "--out", "../bench"],
        ["chaos", "kill-restart", "flink", "behavior-stats", "--checkpoint-dir", "../ck"],
        ["produce", "sales-batch", "--output", "../sales.csv"],
    ],
)
def test_every_output_flag_of_the_cli_is_checked(
    argv: list[str], root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One clear line and exit 2, before any broker or engine is asked (the broker address answers nothing)."""
    assert main([*argv, "--bootstrap-servers", UNREACHABLE]) == 2
    output = " ".join(capsys.readouterr().out.split())
    assert output.startswith("error: ") and f"outside the output root {root}" in output
    assert "Traceback" not in output


def test_the_demo_checks_its_producer_output_too(root: Path) -> None:
    with pytest.raises(LabError, match="--output ../s.csv climbs through '..'"):
        producer_options(workloads.get("sales-batch"), ["--output", "../s.csv"])


def test_output_paths_are_reported_resolved(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["produce", "sales-batch", "--rows", "10", "--output", "data/../in/sales.csv"]) == 0
    output = " ".join(capsys.readouterr().out.split())
    assert f"output paths: --output {root / 'in' / 'sales.csv'}" in output
    assert (root / "in" / "sales.csv").is_file()


# ---- SEOUL_API_KEY ------------------------------------------------------------------------------

KEY = "TOPSECRET-7d1e-api-key"


class EchoingSeoulApi(BaseHTTPRequestHandler):
    """A Seoul Open API that repeats the request path (the key) back: in its status line, or in the
    MESSAGE of an INFO-100 answer, as a real error page may."""

    status = 200

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = json.dumps({"RESULT": {"CODE": "INFO-100", "MESSAGE": f"invalid key in {self.path}"}}).encode()
        self.send_response(self.status, f"no such key {self.path}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echoing_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[EchoingSeoulApi]]:
    server = HTTPServer(("127.0.0.1", 0), EchoingSeoulApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SEOUL_API_BASE", f"http://127.0.0.1:{server.server_address[1]}")
    yield EchoingSeoulApi
    server.shutdown()
    EchoingSeoulApi.status = 200


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> str:
    monkeypatch.setenv("SEOUL_API_KEY", KEY)
    caplog.set_level(logging.DEBUG)  # every log record of every library, to look for the key in
    return KEY


def api_options() -> argparse.Namespace:
    return producer_options(workloads.get("bike-rentals"), ["--source", "seoul-api"])


def everything_said(error: BaseException) -> str:
    """What any traceback printer could show of an error: its text, its chain, its attributes."""
    shown = "".join(traceback.format_exception(error))
    chained = error.__cause__ or error.__context__
    return shown + repr(vars(error)) + (everything_said(chained) if chained else "")


def assert_not_leaked(
    key: str, error: BaseException, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    captured = capsys.readouterr()
    assert key not in everything_said(error)
    assert key not in captured.out and key not in captured.err
    assert all(key not in record.getMessage() for record in caplog.records)


def test_an_unreachable_api_never_shows_the_key(
    key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SEOUL_API_BASE", "http://127.0.0.1:1")  # refused at once
    with pytest.raises(LabError, match="did not answer") as raised:
        list(bike_rentals.records(api_options()))
    assert raised.value.__context__ is None and raised.value.__cause__ is None
    assert_not_leaked(key, raised.value, capsys, caplog)


@pytest.mark.parametrize("status", [200, 500])
def test_an_api_echoing_the_key_has_it_masked(
    status: int,
    key: str,
    echoing_api: type[EchoingSeoulApi],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """200: the API's own INFO-100 message repeats the path; 500: the HTTP error's reason does."""
    echoing_api.status = status
    with pytest.raises(LabError) as raised:
        list(bike_rentals.records(api_options()))
    assert "****" in str(raised.value)  # the message still says what happened, with the key masked
    assert_not_leaked(key, raised.value, capsys, caplog)


def test_the_cli_never_shows_the_key(
    key: str,
    echoing_api: type[EchoingSeoulApi],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`streamlab produce bike-rentals --source seoul-api`, its progress line and its error; Kafka left out."""

    class NoKafka:
        def produce(self, *args: object, **kwargs: object) -> None: ...
        def poll(self, *args: object) -> int:
            return 0

        def flush(self, *args: object) -> int:
            return 0

    monkeypatch.setattr(runner, "ensure_topics", lambda *args: None)
    monkeypatch.setattr(producing, "new_producer", lambda *args: NoKafka())
    echoing_api.status = 500
    assert main(["produce", "bike-rentals", "--source", "seoul-api", "--bootstrap-servers", UNREACHABLE]) == 2
    captured = capsys.readouterr()
    assert "the Seoul Open API did not answer" in " ".join(captured.out.split())
    assert key not in captured.out + captured.err
    assert all(key not in record.getMessage() for record in caplog.records)


def test_help_never_shows_the_key(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["produce", "bike-rentals", "--help"])
    shown = capsys.readouterr().out
    assert "SEOUL_API_KEY" in shown and key not in shown


def test_masked_covers_the_key_as_a_url_carries_it() -> None:
    text = "GET /api/a%20b%2Fc/json, then a%20b/c, then a b/c"
    assert bike_rentals.masked(text, "a b/c") == "GET /api/****/json, then ****, then ****"
