"""The dashboard without a broker or a browser: its event-stream messages, the pinned uPlot files, /api/jobs and
/api/events answered from injected in-memory state, and the bike-rentals plot data (the page itself, in a real
browser on live jobs: tests/integration/test_dashboard_browser.py)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pandas as pd
import pytest

from streamlab import workloads
from streamlab.dashboard import plotdata, server, tables
from streamlab.dashboard.state import DashboardState
from streamlab.errors import LabError
from streamlab.monitoring import status
from streamlab.monitoring.alerts import Alert
from streamlab.monitoring.envelope import Envelope, iso_ms

VENDOR = server.STATIC_DIR / "vendor"
AGES = ("report age s", "result age s")  # they move with the clock between the two documents


def envelope(engine: str, seconds_ago: float, rate: float, lag: int) -> Envelope:
    ts = iso_ms((time.time() - seconds_ago) * 1000)
    return Envelope(engine, "behavior-stats", "stats", f"run-{engine}", ts, "RUNNING", rate, rate, lag)


def test_an_event_is_its_name_and_its_data_as_one_line_of_json() -> None:
    message = server.sse("jobs", {"jobs": [{"job": "flink/a/b", "note": "two\nlines"}]})
    assert message == b'event: jobs\ndata: {"jobs":[{"job":"flink/a/b","note":"two\\nlines"}]}\n\n'


def test_the_vendored_files_are_the_pinned_ones_and_the_page_loads_nothing_from_elsewhere() -> None:
    sums = {
        name: digest for digest, name in (line.split() for line in (VENDOR / "SHA256SUMS").read_text().splitlines())
    }
    assert set(sums) == {path.name for path in VENDOR.iterdir()} - {"SHA256SUMS"}
    assert {"uPlot.iife.min.js", "uPlot.min.css", "uPlot.LICENSE"} <= set(sums)
    for name, expected in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == expected, name
    for page in ("index.html", "dashboard.js", "dashboard.css"):  # offline: no address but the dashboard's own
        assert not re.search(r"https?://|[\"'(]//", (server.STATIC_DIR / page).read_text()), page


@pytest.fixture
def served() -> Iterator[tuple[str, DashboardState]]:
    """A dashboard server on a free port over a state the test fills: no consumer, no broker."""
    state = DashboardState()
    httpd = server.DashboardServer(state, 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.url, state
    httpd.shutdown()
    httpd.server_close()


def test_api_jobs_and_the_event_stream_answer_from_memory(served: tuple[str, DashboardState]) -> None:
    url, state = served
    newest = {}
    for engine in ("spark", "flink"):
        state.add_envelope(envelope(engine, 3.0, 5.0, 40))
        newest[f"{engine}/behavior-stats/stats"] = envelope(engine, 1.0, 9.0, 3)
        state.add_envelope(newest[f"{engine}/behavior-stats/stats"])
    alert = Alert("spark/behavior-stats/stats", "run-spark", "dead-letters", "FIRING", iso_ms(time.time() * 1000), "2%")
    state.add_alert(alert)
    results_at = {"flink/behavior-stats/stats": time.time() - 2}
    state.set_result_at("flink/behavior-stats/stats", results_at["flink/behavior-stats/stats"], time.time() - 1)

    with urllib.request.urlopen(f"{url}/api/jobs", timeout=5) as response:
        answer = json.load(response)
    expected = status.document_from(newest, [alert], results_at)
    assert [{k: v for k, v in row.items() if k not in AGES} for row in answer["jobs"]] == [
        {k: v for k, v in row.items() if k not in AGES} for row in expected["jobs"]
    ]
    assert answer["jobs"][0]["job"] == "flink/behavior-stats/stats" and answer["jobs"][0]["lag"] == 3
    assert 1.5 <= answer["jobs"][0]["result age s"] < 10 and answer["jobs"][1]["result age s"] is None
    assert answer["alerts"] == expected["alerts"] == [alert.as_row()]

    with urllib.request.urlopen(f"{url}/api/events", timeout=5) as events:
        assert events.headers["Content-Type"] == "text/event-stream"
        history, jobs = read_event(events), read_event(events)
    assert history[0] == "history" and history[1]["fields"][:2] == ["t", "in/s"]
    shown = history[1]["jobs"]
    assert {key: [point[1:4] for point in job["points"]] for key, job in shown.items()} == {
        key: [[5.0, 5.0, 40], [9.0, 9.0, 3]] for key in newest
    }
    assert [age for _t, age in shown["flink/behavior-stats/stats"]["freshness"]] == [1.0]  # looked 1 s after
    assert shown["spark/behavior-stats/stats"]["freshness"] == []
    assert jobs[0] == "jobs" and [row["job"] for row in jobs[1]["jobs"]] == sorted(newest)


def read_event(stream: object) -> tuple[str, dict]:
    """One Server-Sent Events message: (event, data)."""
    event, data = "", ""
    while line := stream.readline().decode().rstrip("\n"):  # type: ignore[attr-defined]
        field, _, value = line.partition(": ")
        event, data = (value, data) if field == "event" else (event, data + value)
    return event, json.loads(data)


def test_the_static_route_serves_the_page_files_and_nothing_outside_them(served: tuple[str, DashboardState]) -> None:
    url, _state = served
    with urllib.request.urlopen(f"{url}/static/vendor/uPlot.iife.min.js", timeout=5) as response:
        assert response.read() == (VENDOR / "uPlot.iife.min.js").read_bytes()
    with urllib.request.urlopen(url, timeout=5) as response:
        assert b'src="/static/dashboard.js"' in response.read()
    for outside in ("/static/../server.py", "/static/%2e%2e/server.py", "/nothing"):
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(url + outside, timeout=5)


def test_a_port_in_use_is_one_message_naming_the_fix(served: tuple[str, DashboardState]) -> None:
    taken = int(served[0].rsplit(":", 1)[1])
    with pytest.raises(LabError, match=f"port {taken} on 127.0.0.1 is in use.*--port 0"):
        server.DashboardServer(DashboardState(), taken)


def test_bike_rentals_are_shaped_into_hours_and_stations_as_seed_000_plots_them() -> None:
    hourly = pd.DataFrame(
        {
            "ymd": ["20250112", "20250112", "20250113", "20250112"],
            "hh": ["23", "22", "00", "22"],  # Parquet partition values: strings
            "stt_id": ["ST-1", "ST-1", "ST-2", "ST-2"],
            "rent_cnt": [1, 2, 3, 4],
            "return_cnt": [5, 6, 7, 8],
            "stt_lttd": ["37.5", "37.5", "37.6", "37.6"],
            "stt_lgtd": ["127.0", "127.0", "127.1", "127.1"],
        }
    )
    shaped = plotdata.PLOTS[workloads.get("bike-rentals").plot](hourly)
    assert shaped is not None and shaped["hours"] == {
        "labels": ["01-12 22h", "01-12 23h", "01-13 00h"],
        "rents": [6, 1, 3],
        "returns": [14, 5, 7],
    }
    assert shaped["stations"] == {"lon": [127.0, 127.1], "lat": [37.5, 37.6], "activity": [14, 22]}
    assert plotdata.bike_rentals(pd.DataFrame()) is None  # before the first hourly row


def test_a_live_table_shows_a_handful_of_the_top_or_newest_rows() -> None:
    windows = workloads.get("windowed-messages").job().result  # no rank_by: the newest windows first
    ends = [f"12:{minute:02d}" for minute in range(1, 10)]
    frame = pd.DataFrame({"window_start": ends, "window_end": ends, "message_count": range(9)})
    assert list(tables.shown_rows(frame, windows, 3)["window_end"]) == ["12:09", "12:08", "12:07"]
    bikes = workloads.get("bike-rentals").job().result  # rank_by rents + returns
    frame = pd.DataFrame({name: [1, 9, 5] for name in bikes.columns})
    shown = tables.shown_rows(frame, bikes, 2)
    assert list(shown.columns) == bikes.shown_columns and list(shown["rent_cnt"]) == [9, 5]
