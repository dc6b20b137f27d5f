"""producers/bike_rentals.py: the diff rule, the simulator's determinism and disorder, the Seoul Open API
source (parsed from a response file the project wrote in the API's documented format, and served
over loopback HTTP: the tests have no internet), and the key never showing in messages."""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pandas as pd
import pytest

from producers import bike_rentals as producer
from streamlab.errors import LabError
from streamlab.oracles.bike_rentals import bike_event_reject_reason, bike_snapshot_reject_reason

DATA = Path(__file__).parent / "data"
KEY = "sEcReT-KEY-1234"
POLLED_AT = datetime(2025, 1, 12, 6, 5, 0, tzinfo=producer.SEOUL_TIME)


def options(**changes: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    producer.add_arguments(parser)
    defaults = parser.parse_args(["--stations", "30", "--hours", "2", "--start", "2025-01-12 23:00:00"])
    return argparse.Namespace(**{**vars(defaults), **changes})


def sent(opts: argparse.Namespace) -> list[producer.OutgoingRecord]:
    return list(producer.records(opts))


def decoded(records: list[producer.OutgoingRecord], role: str) -> list[dict]:
    return [json.loads(r.value) for r in records if r.role == role]


def snapshot(count: int, station: str = "ST-1", at: str = "2025-01-12 22:00:00") -> producer.Snapshot:
    return producer.Snapshot(producer.Station(station, "1. 강남역 1번 출구", "37.49", "127.02", 20), count, at)


@pytest.mark.parametrize(
    ("previous", "current", "rent", "ret"), [(5, 8, 0, 3), (8, 5, 3, 0), (5, 5, None, None), (None, 7, None, None)]
)
def test_the_seeds_diff_rule(previous: int | None, current: int, rent: int | None, ret: int | None) -> None:
    event = producer.rent_return_event(previous, snapshot(current))
    if rent is None:
        assert event is None  # no change, or a first snapshot: nothing to compare with
    else:
        assert (event["rent_cnt"], event["return_cnt"], event["lst_prk_cnt"]) == (rent, ret, current)


def test_same_seed_same_records_and_another_seed_others() -> None:
    assert sent(options(seed=3)) == sent(options(seed=3))
    assert sent(options(seed=3)) != sent(options(seed=4))


def test_every_poll_sends_every_station_and_events_only_for_changes() -> None:
    opts = options()
    records = sent(opts)
    snapshots = pd.DataFrame(decoded(records, producer.SNAPSHOTS))
    events = pd.DataFrame(decoded(records, "input"))
    polls = producer.poll_count(opts)
    assert len(snapshots) == opts.stations * polls
    assert snapshots.groupby("stt_id").size().eq(polls).all()
    assert len(records) == producer.planned_records(opts)
    assert (events["rent_cnt"] + events["return_cnt"] > 0).all()
    assert ((events["rent_cnt"] == 0) | (events["return_cnt"] == 0)).all()


def test_events_follow_from_consecutive_snapshots_of_a_station() -> None:
    records = sent(options())
    snapshots = pd.DataFrame(decoded(records, producer.SNAPSHOTS)).sort_values(["stt_id", "crt_dttm"])
    diff = snapshots.groupby("stt_id")["tot_prk_cnt"].diff()
    changed = snapshots[diff.notna() & (diff != 0)].assign(diff=diff)
    events = pd.DataFrame(decoded(records, "input")).sort_values(["stt_id", "crt_dttm"])
    assert len(events) == len(changed)
    assert (events["return_cnt"].to_numpy() - events["rent_cnt"].to_numpy() == changed["diff"].to_numpy()).all()


def test_stations_look_like_seoul() -> None:
    records = decoded(sent(options(stations=50)), producer.SNAPSHOTS)
    for record in records[:50]:
        assert record["stt_id"].startswith("ST-")
        assert any(place in record["stt_nm"] for place, _, _ in producer.PLACES)
        assert 37.40 < float(record["stt_lttd"]) < 37.72 and 126.75 < float(record["stt_lgtd"]) < 127.20
    assert all(0 <= record["tot_prk_cnt"] <= 40 for record in records)


def test_arrival_is_out_of_order_but_each_station_stays_in_order() -> None:
    opts = options(max_delay=120.0)
    snapshots = decoded(sent(opts), producer.SNAPSHOTS)
    times = [pd.Timestamp(r["crt_dttm"]) for r in snapshots]
    newest, worst = times[0], pd.Timedelta(0)
    for moment in times:
        worst = max(worst, newest - moment)
        newest = max(newest, moment)
    assert pd.Timedelta(0) < worst <= pd.Timedelta(seconds=opts.max_delay)
    per_station = pd.DataFrame(snapshots).groupby("stt_id")["crt_dttm"]
    assert per_station.apply(lambda s: s.is_monotonic_increasing).all()


def test_a_run_from_23_00_crosses_midnight() -> None:
    stamps = {r["crt_dttm"][:10] for r in decoded(sent(options()), producer.SNAPSHOTS)}
    assert stamps == {"2025-01-12", "2025-01-13"}


def test_speedup_schedules_records_on_the_simulated_clock() -> None:
    records = sent(options(speedup=600.0, max_delay=0.0, hours=1))
    dues = [r.due_s for r in records]
    assert dues == sorted(dues) and dues[0] == 0.0
    assert dues[-1] == pytest.approx((3600 - 60) / 600)  # the last poll, 59 simulated minutes in
    assert all(r.due_s is None for r in sent(options(hours=1)))  # speedup 0: as fast as possible


def test_bad_every_spoils_events_only_and_the_oracle_rejects_each() -> None:
    records = sent(options(bad_every=7))
    events = [r for r in records if r.role == "input"]
    reasons = [bike_event_reject_reason(r.value)[0] for r in events]
    spoiled = [reason for reason in reasons if reason]
    assert len(spoiled) == len(events) // 7
    assert len(set(spoiled)) == producer.BAD_KINDS - 1  # two kinds are both "not a JSON object"
    assert all(bike_snapshot_reject_reason(r.value)[0] is None for r in records if r.role == producer.SNAPSHOTS)


# ---- the Seoul Open API ------------------------------------------------------------------------


def test_parse_bike_list_reads_the_documented_response() -> None:
    snapshots = producer.parse_bike_list(json.loads((DATA / "seoul_bike_list.json").read_text()), POLLED_AT)
    assert [(s.station.stt_id, s.tot_prk_cnt) for s in snapshots] == [
        ("ST-4", 8),
        ("ST-5", 0),
        ("ST-6", 21),
        ("ST-7", 3),
    ]
    assert snapshots[2].station.stt_nm == "104. 합정역 1번출구 앞"  # the API's stray leading space is gone
    assert snapshots[0].station.stt_lttd == "37.55564880" and snapshots[0].station.capacity == 15
    assert {s.crt_dttm for s in snapshots} == {"2025-01-12 06:05:00"}  # the poll time, Seoul time
    assert json.loads(snapshots[0].as_json()) == {
        "stt_id": "ST-4", "stt_nm": "102. 망원역 1번출구 앞", "tot_prk_cnt": 8,
        "stt_lttd": "37.55564880", "stt_lgtd": "126.91062927", "crt_dttm": "2025-01-12 06:05:00",
    }  # fmt: skip


def test_parse_bike_list_turns_an_error_answer_into_its_message() -> None:
    answer = json.loads((DATA / "seoul_bike_list_bad_key.json").read_text())
    with pytest.raises(LabError, match="answered INFO-100: 인증키가 유효하지 않습니다"):
        producer.parse_bike_list(answer, POLLED_AT)


def test_parse_bike_list_reads_no_data_as_an_empty_page() -> None:
    answer = json.loads((DATA / "seoul_bike_list_no_data.json").read_text())
    assert producer.parse_bike_list(answer, POLLED_AT) == []


class FakeSeoulApi(BaseHTTPRequestHandler):
    """bikeList over loopback: 1,234 stations in pages of up to 1,000; counts change on each full poll."""

    stations = 1234
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        type(self).requests.append(self.path)
        _, key, _, _, first, last, _ = self.path.split("/")
        if key != KEY:
            self._answer(500, {"error": f"no such key in {self.path}"})
            return
        poll = sum(1 for p in type(self).requests if p.endswith(f"/1/{producer.SEOUL_API_PAGE}/"))
        rows = [
            {"rackTotCnt": "20", "stationName": f"{n}. 망원역 앞", "parkingBikeTotCnt": str((n + poll) % 7),
             "shared": "0", "stationLatitude": "37.55", "stationLongitude": "126.91", "stationId": f"ST-{n}"}
            for n in range(int(first), min(int(last), self.stations) + 1)
        ]  # fmt: skip
        result = {"CODE": "INFO-000", "MESSAGE": "정상 처리되었습니다."}
        self._answer(200, {"rentBikeStatus": {"list_total_count": len(rows), "RESULT": result, "row": rows}})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def seoul_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), FakeSeoulApi)
    FakeSeoulApi.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("SEOUL_API_BASE", base)
    yield base
    server.shutdown()


def test_fetch_all_pages_through_every_station(seoul_api: str) -> None:
    snapshots = producer.fetch_all(KEY, seoul_api)
    assert len(snapshots) == FakeSeoulApi.stations
    assert [p.split("/")[-3:-1] for p in FakeSeoulApi.requests] == [["1", "1000"], ["1001", "2000"]]


def test_the_api_source_polls_and_derives_events(seoul_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEOUL_API_KEY", KEY)
    records = sent(options(source="seoul-api", interval=0.05, hours=0.1 / 3600))  # two polls, 0.05 s apart
    snapshots, events = decoded(records, producer.SNAPSHOTS), decoded(records, "input")
    assert len(snapshots) == 2 * FakeSeoulApi.stations
    assert len(events) == FakeSeoulApi.stations  # every count moved by one between the polls
    assert all(r.due_s is None for r in records)


def test_the_key_never_appears_in_an_error(seoul_api: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(LabError) as raised:
        producer.fetch_page("wrong-" + KEY, 1, 1000, seoul_api)
    assert KEY not in str(raised.value)
    with pytest.raises(LabError) as refused:
        producer.fetch_page(KEY, 1, 1000, "http://127.0.0.1:1")
    assert KEY not in str(refused.value) and "did not answer" in str(refused.value)
    assert KEY not in capsys.readouterr().out


def test_the_api_source_needs_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEOUL_API_KEY", raising=False)
    with pytest.raises(LabError, match=r"needs your Open API key in \$SEOUL_API_KEY"):
        sent(options(source="seoul-api"))
