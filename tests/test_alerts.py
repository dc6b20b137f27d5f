"""The alert rules over envelopes (streamlab.monitoring.alerts.Rules), without a broker: each rule fires once
when its condition has lasted, stays quiet while it goes on, and clears once when it ends."""

from __future__ import annotations

from dataclasses import replace

from streamlab.monitoring.alerts import CLEARED, FIRING, Rules, Thresholds, active
from streamlab.monitoring.envelope import Envelope, iso_ms

START_MS = 1_800_000_000_000
RULES = Thresholds(silent_s=10, alert_after_s=5, behind_margin=0.1, lag_growth=100, dead_letter_share=0.05)


def report(second: float, status: str = "RUNNING", run_id: str = "run1", **figures: float | None) -> Envelope:
    return Envelope("flink", "behavior-stats", "stats", run_id, iso_ms(START_MS + second * 1000), status, **figures)


def changes(rules: Rules, reports: list[Envelope]) -> list[tuple[str, str]]:
    return [(alert.rule, alert.state) for envelope in reports for alert in rules.observe(envelope)]


def test_falling_behind_fires_after_it_lasted_and_clears_when_processing_keeps_up() -> None:
    behind = [report(s, input_rate=1000, processing_rate=500) for s in range(7)]
    caught_up = report(7, input_rate=1000, processing_rate=990)
    assert changes(Rules(RULES), [*behind, caught_up]) == [("falling-behind", FIRING), ("falling-behind", CLEARED)]


def test_a_short_dip_below_the_input_rate_raises_nothing() -> None:
    dips = [report(s, input_rate=1000, processing_rate=500 if s % 3 else 1000) for s in range(20)]
    assert changes(Rules(RULES), dips) == []


def test_a_lag_that_keeps_growing_fires_and_clears_once_it_falls_below_where_it_fired() -> None:
    growing = [report(s, lag_records=50 * s) for s in range(8)]  # 0 .. 350 over 7 s
    draining = [report(8, lag_records=340), report(9, lag_records=240)]  # fired at 250
    assert changes(Rules(RULES), [*growing, *draining]) == [("lag-growing", FIRING), ("lag-growing", CLEARED)]


def test_a_lag_that_falls_back_starts_its_rise_again() -> None:
    sawtooth = [report(s, lag_records=(s % 4) * 100) for s in range(20)]
    assert changes(Rules(RULES), sawtooth) == []


def test_a_failed_job_alerts_until_it_runs_again() -> None:
    rules = Rules(RULES)
    failed = report(1, "FAILED", raw={"error": "KafkaException: boom\n\tat ..."})
    alerts = [alert for envelope in (report(0), failed) for alert in rules.observe(envelope)]
    assert [(a.rule, a.state) for a in alerts] == [("failed", FIRING)] and "boom" in alerts[0].message
    assert changes(rules, [report(30, run_id="run2")]) == [("failed", CLEARED)]


def test_a_silent_job_alerts_and_clears_with_its_next_report() -> None:
    rules = Rules(RULES)
    rules.observe(report(0))
    assert rules.silence(START_MS / 1000 + 5) == []
    assert [(a.rule, a.state) for a in rules.silence(START_MS / 1000 + 11)] == [("silent", FIRING)]
    assert rules.silence(START_MS / 1000 + 12) == []  # said once
    assert changes(rules, [report(13)]) == [("silent", CLEARED)]


def test_an_ended_job_is_not_silent_and_its_alerts_clear() -> None:
    rules = Rules(RULES)
    changes(rules, [report(s, input_rate=1000, processing_rate=100) for s in range(7)])
    assert changes(rules, [report(8, "FINISHED")]) == [("falling-behind", CLEARED)]
    assert rules.silence(START_MS / 1000 + 100) == []


def test_dead_letters_are_judged_as_a_share_of_the_input_over_the_window() -> None:
    rules = Rules(RULES)
    rules.observe(report(0))
    key = report(0).key
    t0 = START_MS / 1000
    assert rules.dead_letters(key, t0, 1000, 0) == []
    assert rules.dead_letters(key, t0 + 1, 1050, 10) == []  # 50 records: too few to judge
    fired = rules.dead_letters(key, t0 + 2, 1200, 20)  # 20 of 200
    assert [(a.rule, a.state, a.value) for a in fired] == [("dead-letters", FIRING, 0.1)]
    assert active(fired) == fired
    # the window moves on: 6 dead letters of 1000 newer records is below 5%
    cleared = rules.dead_letters(key, t0 + 8, 2200, 26)
    assert [(a.rule, a.state) for a in cleared] == [("dead-letters", CLEARED)]
    assert active([*fired, *cleared]) == []


def test_an_alert_travels_as_json() -> None:
    rules = Rules(RULES)
    alert = [a for e in [report(s, input_rate=10, processing_rate=1) for s in range(7)] for a in rules.observe(e)][0]
    assert type(alert).from_json(alert.to_json()) == alert
    assert replace(alert, state=CLEARED).as_row()["state"] == CLEARED
