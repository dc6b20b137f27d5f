"""Security basics: SEOUL_API_KEY shows nowhere. What the lab may delete is streamlab.ownership's
(tests/test_ownership.py); the listeners' side (everything binds to loopback) needs real engines:
tests/integration/test_listeners.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from producers import bike_rentals
from streamlab import producing, workloads
from streamlab.cli import main
from streamlab.errors import LabError
from streamlab.run import lifecycle

UNREACHABLE = "127.0.0.1:1"  # nothing listens on port 1: a broker call fails at once

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
    return workloads.get("bike-rentals").producer_options(["--source", "seoul-api"])


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

    monkeypatch.setattr(lifecycle, "ensure_topics", lambda *args: None)
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
