"""bike-rentals producer: Seoul public-bike ("따릉이") stations polled every interval (seed 000).

Per station it keeps the parked count of the previous poll and computes diff = curr - prev:
diff > 0 is a return of diff bikes, diff < 0 a rent of -diff bikes, no change is no event (and a
station's first poll has nothing to compare with). Every poll publishes each station's raw
snapshot to the `snapshots` topic (apis.seouldata.rt-bicycle.raw) and one rent/return event
per changed station to the `input` topic (apis.seouldata.rt-bicycle), both keyed by stt_id.

Two sources of snapshots:
- the simulator (default): stations with Korean names and coordinates around real Seoul places,
  busier at rush hours; deterministic with --seed; simulated time runs --speedup times faster
  than the wall clock (0: as fast as possible);
- --source seoul-api: the real Seoul Open API (bikeList), polled in real time with the key in
  $SEOUL_API_KEY, which never appears in output or logs.

Arrival is out of order on purpose: each station's records reach Kafka up to --max-delay
simulated seconds late (a third of stations on time, a third half as late, a third the full
delay), so partitions hold events out of time order while each station stays in order.
"""

from __future__ import annotations

import argparse
import heapq
import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from streamlab.cliargs import (
    event_time,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from streamlab.errors import LabError
from streamlab.producing import OutgoingRecord, ProduceStats, send_all
from streamlab.settings import INPUT, Settings

TS_FORMAT = "%Y-%m-%d %H:%M:%S"
SNAPSHOTS = "snapshots"  # the topic role of the raw snapshots
SEOUL_TIME = timezone(timedelta(hours=9))  # Korea has no daylight saving time
SEOUL_API_BASE = "http://openapi.seoul.go.kr:8088"
SEOUL_API_PAGE = 1000  # the API returns at most 1,000 rows per request

# (name, latitude, longitude) of places stations cluster around; coordinates are approximate
PLACES = [
    ("강남역", 37.4979, 127.0276), ("망원역", 37.5560, 126.9101), ("여의도공원", 37.5256, 126.9222),
    ("서울숲", 37.5444, 127.0374), ("홍대입구역", 37.5572, 126.9245), ("잠실역", 37.5133, 127.1001),
    ("신촌역", 37.5551, 126.9368), ("광화문", 37.5759, 126.9768), ("시청역", 37.5657, 126.9769),
    ("건대입구역", 37.5404, 127.0696), ("왕십리역", 37.5612, 127.0371), ("성수역", 37.5446, 127.0557),
    ("이태원역", 37.5345, 126.9946), ("노량진역", 37.5142, 126.9424), ("사당역", 37.4766, 126.9816),
    ("구로디지털단지역", 37.4852, 126.9015), ("노원역", 37.6551, 127.0614), ("수유역", 37.6380, 127.0257),
    ("상암월드컵경기장", 37.5683, 126.8972), ("뚝섬유원지", 37.5313, 127.0672), ("반포한강공원", 37.5100, 126.9960),
    ("합정역", 37.5495, 126.9139), ("영등포역", 37.5157, 126.9076), ("신림역", 37.4842, 126.9297),
    ("선릉역", 37.5045, 127.0490), ("삼성역", 37.5088, 127.0631), ("청량리역", 37.5800, 127.0470),
    ("혜화역", 37.5822, 127.0019), ("목동역", 37.5260, 126.8750), ("마곡나루역", 37.5669, 126.8272),
    ("천호역", 37.5386, 127.1236), ("동대문역사문화공원", 37.5651, 127.0079),
]  # fmt: skip
# relative activity by hour of day: quiet nights, commuting peaks at 8 and 18 o'clock
HOURLY_ACTIVITY = [0.15, 0.1, 0.05, 0.05, 0.05, 0.15, 0.4, 0.8, 1.0, 0.7, 0.5, 0.5,
                   0.6, 0.55, 0.5, 0.55, 0.65, 0.85, 1.0, 0.8, 0.6, 0.45, 0.35, 0.25]  # fmt: skip


@dataclass(frozen=True)
class Station:
    stt_id: str
    stt_nm: str
    stt_lttd: str  # the API sends coordinates as text, and so do we
    stt_lgtd: str
    capacity: int


@dataclass(frozen=True)
class Snapshot:
    """One poll of one station: what the API reports, stamped with the poll time."""

    station: Station
    tot_prk_cnt: int
    crt_dttm: str

    def as_json(self) -> bytes:
        return _json(
            {"stt_id": self.station.stt_id, "stt_nm": self.station.stt_nm, "tot_prk_cnt": self.tot_prk_cnt,
             "stt_lttd": self.station.stt_lttd, "stt_lgtd": self.station.stt_lgtd, "crt_dttm": self.crt_dttm}
        )  # fmt: skip


def rent_return_event(previous: int | None, current: Snapshot) -> dict[str, object] | None:
    """The seed's rule: diff = curr - prev; > 0 is a return, < 0 a rent; no change (or no previous) is no event."""
    if previous is None or current.tot_prk_cnt == previous:
        return None
    diff = current.tot_prk_cnt - previous
    station = current.station
    return {
        "stt_id": station.stt_id,
        "stt_nm": station.stt_nm,
        "rent_cnt": -diff if diff < 0 else 0,
        "return_cnt": diff if diff > 0 else 0,
        "lst_prk_cnt": current.tot_prk_cnt,
        "stt_lttd": station.stt_lttd,
        "stt_lgtd": station.stt_lgtd,
        "crt_dttm": current.crt_dttm,
    }


def _json(fields: object) -> bytes:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


# ---- the simulator ---------------------------------------------------------------------------


def make_stations(count: int, rng: np.random.Generator) -> list[Station]:
    numbers = rng.choice(np.arange(100, 10_000), size=count, replace=False)
    stations = []
    for number in sorted(int(n) for n in numbers):
        place, lat, lon = PLACES[int(rng.integers(len(PLACES)))]
        spot = (
            f"{int(rng.integers(1, 9))}번 출구"
            if place.endswith("역")
            else ["앞", "입구", "정문 옆"][int(rng.integers(3))]
        )
        stations.append(
            Station(
                stt_id=f"ST-{number}",
                stt_nm=f"{number}. {place} {spot}",
                stt_lttd=f"{lat + rng.normal(0, 0.006):.6f}",
                stt_lgtd=f"{lon + rng.normal(0, 0.008):.6f}",
                capacity=int(rng.integers(10, 41)),
            )
        )
    return stations


def simulate_counts(stations: list[Station], polls: int, interval_s: float, start: datetime,
                    rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Parked bikes per (poll, station): a random walk within each station's capacity."""
    capacity = np.array([s.capacity for s in stations])
    busyness = rng.lognormal(0.0, 0.7, len(stations))  # a few busy stations, many quiet ones
    counts = np.empty((polls, len(stations)), dtype=np.int64)
    counts[0] = rng.integers(0, capacity + 1)
    for poll in range(1, polls):
        hour = (start + timedelta(seconds=poll * interval_s)).hour
        chance = np.minimum(0.9, busyness * HOURLY_ACTIVITY[hour] * interval_s / 60 * 0.35)
        moves = (rng.random(len(stations)) < chance) * rng.integers(1, 4, len(stations))
        signs = np.where(rng.random(len(stations)) < 0.5, -1, 1)
        counts[poll] = np.clip(counts[poll - 1] + moves * signs, 0, capacity)
    return counts


def simulated_snapshots(options: argparse.Namespace) -> Iterator[tuple[float, Snapshot]]:
    """(simulated seconds since start, snapshot) poll after poll."""
    rng = np.random.default_rng(options.seed)
    stations = make_stations(options.stations, rng)
    polls = poll_count(options)
    counts = simulate_counts(stations, polls, options.interval, options.start, rng)
    for poll in range(polls):
        offset = poll * options.interval
        stamp = (options.start + timedelta(seconds=offset)).strftime(TS_FORMAT)
        for index, station in enumerate(stations):
            yield offset, Snapshot(station, int(counts[poll, index]), stamp)


def poll_count(options: argparse.Namespace) -> int:
    return max(1, int(options.hours * 3600 // options.interval))


def station_delays(options: argparse.Namespace) -> dict[str, float]:
    """How late each station's records arrive: 0, half of, or all of --max-delay (fixed per station)."""
    rng = np.random.default_rng(options.seed + 1)
    stations = make_stations(options.stations, np.random.default_rng(options.seed))
    shares = rng.integers(0, 3, len(stations)) / 2
    return {station.stt_id: float(share * options.max_delay) for station, share in zip(stations, shares, strict=True)}


# ---- the Seoul Open API ------------------------------------------------------------------------


def parse_bike_list(payload: dict, polled_at: datetime) -> list[Snapshot]:
    """Snapshots from one bikeList answer (its documented JSON: rentBikeStatus.row[...]).

    RESULT.CODE INFO-000 is a page of stations and INFO-200 "no data" (a page past the last one);
    anything else (INFO-100 for a bad key, ERROR-xxx) becomes a LabError with the API's message.
    """
    body = payload.get("rentBikeStatus") or {}
    result = body.get("RESULT") or payload.get("RESULT") or {}
    code = result.get("CODE", "")
    if code == "INFO-200":
        return []
    if not body or code != "INFO-000":
        message = result.get("MESSAGE", "no rentBikeStatus in the answer")
        raise LabError(f"the Seoul Open API answered {code or 'without a result code'}: {message}")
    stamp = polled_at.astimezone(SEOUL_TIME).strftime(TS_FORMAT)
    snapshots = []
    for row in body.get("row", []):
        try:
            station = Station(
                stt_id=str(row["stationId"]),
                stt_nm=str(row["stationName"]).strip(),
                stt_lttd=str(row["stationLatitude"]),
                stt_lgtd=str(row["stationLongitude"]),
                capacity=int(row.get("rackTotCnt") or 0),
            )
            snapshots.append(Snapshot(station, int(row["parkingBikeTotCnt"]), stamp))
        except (KeyError, TypeError, ValueError) as error:
            raise LabError(
                f"the Seoul Open API sent a station row this producer cannot read ({error!r}): {row}"
            ) from None
    return snapshots


def masked(text: str, key: str) -> str:
    """text with the key, as given and as a URL carries it (percent-encoded), replaced by ****."""
    for form in {key, urllib.parse.quote(key), urllib.parse.quote(key, safe="")} - {""}:
        text = text.replace(form, "****")
    return text


def fetch_page(key: str, first: int, last: int, base: str) -> dict:
    """One page of bikeList; errors are reported without the key (it is part of the URL)."""
    url = f"{base.rstrip('/')}/{key}/json/bikeList/{first}/{last}/"
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        # URLError and HTTPError are OSErrors; a connection cut mid-answer is an HTTPException
        failure = masked(str(error), key)
    # raised here, not in the except block: the error would stay attached as __context__ (`from None`
    # only hides it), and an HTTPError carries the URL, key and all, to any traceback printer
    raise LabError(f"the Seoul Open API did not answer: {failure}")


def fetch_all(key: str, base: str) -> list[Snapshot]:
    """Every station, a page of 1,000 at a time, until a page comes back short."""
    polled_at = datetime.now(SEOUL_TIME)
    snapshots: list[Snapshot] = []
    while True:
        first = len(snapshots) + 1
        page = parse_bike_list(fetch_page(key, first, first + SEOUL_API_PAGE - 1, base), polled_at)
        snapshots.extend(page)
        if len(page) < SEOUL_API_PAGE:
            return snapshots


def api_snapshots(options: argparse.Namespace) -> Iterator[Snapshot]:
    """Every station every --interval seconds of real time, for --hours."""
    key = os.environ.get("SEOUL_API_KEY", "")
    if not key:
        raise LabError("--source seoul-api needs your Open API key in $SEOUL_API_KEY (data.seoul.go.kr)")
    base = os.environ.get("SEOUL_API_BASE", SEOUL_API_BASE)  # another address, for tests without internet
    started = time.monotonic()
    for poll in range(poll_count(options)):
        if poll:
            time.sleep(max(0.0, started + poll * options.interval - time.monotonic()))
        yield from poll_masked(key, base)


def poll_masked(key: str, base: str) -> list[Snapshot]:
    """fetch_all, with the key masked in its errors: the API's own messages and rows may echo it back."""
    try:
        return fetch_all(key, base)
    except LabError as error:
        failure = masked(str(error), key)
    raise LabError(failure)  # outside the except block, so no __context__ holds the key either


# ---- records --------------------------------------------------------------------------------


def spoil(event: dict[str, object], kind: int) -> bytes:
    """A malformed variant of an event, one of the ways real input goes wrong."""
    broken = dict(event)
    if kind == 0:
        return b"{not json at all"
    if kind == 1:
        broken.pop("stt_id")
    elif kind == 2:
        broken["rent_cnt"] = "two"
    elif kind == 3:
        broken["crt_dttm"] = str(broken["crt_dttm"]).replace("-", "/")
    elif kind == 4:
        broken["lst_prk_cnt"] = -1
    else:
        return _json([event])  # valid JSON, but not an object
    return _json(broken)


BAD_KINDS = 6


class EventMaker:
    """Turns each station's snapshots, in time order, into rent/return event values (some spoiled)."""

    def __init__(self, bad_every: int) -> None:
        self._previous: dict[str, int] = {}
        self._bad_every = bad_every
        self.events = 0

    def records(self, snapshot: Snapshot, due_s: float | None) -> list[OutgoingRecord]:
        """The snapshot's record, then its event's record if the parked count changed."""
        key = snapshot.station.stt_id.encode()
        made = [OutgoingRecord(key, snapshot.as_json(), SNAPSHOTS, due_s)]
        event = rent_return_event(self._previous.get(snapshot.station.stt_id), snapshot)
        self._previous[snapshot.station.stt_id] = snapshot.tot_prk_cnt
        if event is not None:
            self.events += 1
            if self._bad_every and self.events % self._bad_every == 0:
                value = spoil(event, (self.events // self._bad_every) % BAD_KINDS)
            else:
                value = _json(event)
            made.append(OutgoingRecord(key, value, INPUT, due_s))
        return made


def records(options: argparse.Namespace) -> Iterator[OutgoingRecord]:
    """Snapshots and events in the order they reach Kafka."""
    maker = EventMaker(options.bad_every)
    if options.source == "seoul-api":  # real time: sent as polled
        for snapshot in api_snapshots(options):
            yield from maker.records(snapshot, None)
        return
    delays = station_delays(options)
    pending: list[tuple[float, int, OutgoingRecord]] = []  # a heap by arrival time, then production order
    produced = 0
    for offset, snapshot in simulated_snapshots(options):
        while pending and pending[0][0] <= offset:  # what arrives before this poll goes out first
            yield heapq.heappop(pending)[2]
        arrival = offset + delays[snapshot.station.stt_id]
        for record in maker.records(snapshot, arrival / options.speedup if options.speedup else None):
            heapq.heappush(pending, (arrival, produced, record))
            produced += 1
    while pending:
        yield heapq.heappop(pending)[2]


def planned_records(options: argparse.Namespace) -> int:
    """How many records the simulator will send (0 when unknown: the real API)."""
    if options.source != "simulated":
        return 0
    rng = np.random.default_rng(options.seed)
    stations = make_stations(options.stations, rng)
    counts = simulate_counts(stations, poll_count(options), options.interval, options.start, rng)
    return counts.size + int(np.count_nonzero(np.diff(counts, axis=0)))


# ---- the producer interface ------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=("simulated", "seoul-api"), default="simulated",
                        help="simulated stations (default) or the real Seoul Open API ($SEOUL_API_KEY)")  # fmt: skip
    parser.add_argument("--stations", type=positive_int, default=2000, help="simulated stations (default 2000)")
    parser.add_argument("--hours", type=positive_float, default=3.0, help="hours to cover (default 3)")
    # whole seconds: crt_dttm has no fraction, and two polls in one second would tie in time
    parser.add_argument("--interval", type=positive_int, default=60, help="seconds between polls (default 60)")
    parser.add_argument("--start", type=event_time, default=event_time("2025-01-12 22:00:00"),
                        help="simulated start, Seoul time (default 2025-01-12 22:00:00: crosses midnight)")  # fmt: skip
    parser.add_argument("--speedup", type=non_negative_float, default=0.0,
                        help="simulated seconds per wall-clock second; 0 = as fast as possible (default)")  # fmt: skip
    parser.add_argument("--max-delay", type=non_negative_float, default=120.0,
                        help="the latest a station's records arrive, in simulated seconds (default 120)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same stations and events")
    parser.add_argument("--bad-every", type=non_negative_int, default=0, metavar="N",
                        help="make every Nth event malformed, to exercise the dead-letter path")  # fmt: skip


def produce(
    settings: Settings, options: argparse.Namespace, stats: ProduceStats | None = None, show_progress: bool = True
) -> str:
    planned = planned_records(options)
    stats = stats or ProduceStats(planned)
    stats.target = planned
    pace = f"{options.speedup:g}x real time" if options.speedup else "as fast as possible"
    if options.source == "seoul-api":
        pace = f"Seoul Open API every {options.interval:g} s"
    topics = {role: settings.topic(role) for role in (INPUT, SNAPSHOTS)}  # the two this producer writes
    sent = send_all(settings.bootstrap_servers, topics, records(options), planned,
                    show_progress=show_progress, stats=stats, pace=pace)  # fmt: skip
    return (
        f"sent {sent:,} records ({options.source}) to {settings.topic(SNAPSHOTS)} (snapshots) "
        f"and {settings.input_topic} (rent/return events)"
    )
