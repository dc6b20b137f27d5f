"""`streamlab run`'s live view with a broker down: a short outage of its Kafka reads is ridden out.

While a killed broker's partitions move to the replicas left (about 10 s), the view's reads fail; the
job itself keeps running, and ending the view would stop it (a broker-down integration test once
showed `run` exiting with KafkaTimeoutError from the view while the engines were fine).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from kafka.errors import KafkaTimeoutError
from rich.text import Text

from streamlab import results, workloads
from streamlab.run import live
from streamlab.settings import Settings

WORKLOAD = workloads.get("behavior-stats")
OUTAGE = KafkaTimeoutError("Failed to get offsets by timestamps in 15000 ms")


class View:
    """A result view whose refreshes succeed or raise as `outcomes` says."""

    def __init__(self, outcomes: Iterator[Exception | None]) -> None:
        self.outcomes = outcomes

    def refresh(self) -> None:
        outcome = next(self.outcomes)
        if outcome is not None:
            raise outcome

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame()

    def close(self) -> None:
        pass


class Running:
    def status(self) -> str:
        return "RUNNING"


def follow(monkeypatch: pytest.MonkeyPatch, outcomes: list[Exception | None], wanted: int) -> int:
    """Follow until `wanted` refreshes have worked; how many did."""
    monkeypatch.setattr(results, "open_view", lambda *_: View(iter(outcomes)))
    monkeypatch.setattr(live, "measure", lambda *_: "progress")
    monkeypatch.setattr(live, "render", lambda *_: Text(""))
    seen: list[object] = []
    live.follow(
        Settings(workload=WORKLOAD.name), WORKLOAD, WORKLOAD.job(), Running(),
        until=lambda progress: seen.append(progress) or len(seen) == wanted, refresh_s=0,
    )  # fmt: skip
    return len(seen)


def test_a_short_outage_after_the_view_has_worked_is_ridden_out(monkeypatch: pytest.MonkeyPatch) -> None:
    assert follow(monkeypatch, [None, OUTAGE, OUTAGE, None], wanted=2) == 2


def test_an_error_before_the_view_has_ever_worked_ends_it_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(KafkaTimeoutError):
        follow(monkeypatch, [OUTAGE, None], wanted=1)


def test_an_outage_that_lasts_ends_the_view(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "KAFKA_OUTAGE_S", 0)
    with pytest.raises(KafkaTimeoutError):
        follow(monkeypatch, [None, OUTAGE, OUTAGE, OUTAGE, None], wanted=2)
