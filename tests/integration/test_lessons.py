"""The lessons as a learner runs them (`streamlab lesson NAME ENGINE`, a process each): the verdict line must say
"as expected". The fast tier runs the short late-data lesson on Flink; the slow tier runs the rest."""

from __future__ import annotations

import pytest

from tests.integration.commands import one_line, streamlab, succeeded

pytestmark = [pytest.mark.integration]


def lesson(name: str, engine: str, bootstrap: str) -> str:
    return one_line(succeeded(streamlab("lesson", name, engine, "--bootstrap-servers", bootstrap, timeout_s=900)))


def test_late_data_on_flink_routes_every_late_record_with_its_reason(kafka_bootstrap: str) -> None:
    said = lesson("late-data", "flink", kafka_bootstrap)
    assert "lesson late-data on flink: as expected" in said, said[-2000:]
    assert "(late: its window was already closed)" in said, said[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "engine"),
    [("query-change", "flink"), ("query-change", "spark"), ("checkpoint-lost", "flink"),
     ("checkpoint-lost", "spark"), ("late-data", "spark"), ("delivery", "flink"), ("delivery", "spark"),
     ("falling-behind", "flink"), ("falling-behind", "spark")],
)  # fmt: skip
def test_the_lesson_bears_out_on_the_engine(name: str, engine: str, kafka_bootstrap: str) -> None:
    said = lesson(name, engine, kafka_bootstrap)
    assert f"lesson {name} on {engine}: as expected" in said, said[-2000:]
    if name == "delivery" and engine == "flink":
        assert "exactly-once: killed at record" in said and "raw topic: 0 record(s) written twice" in said
    if name == "delivery" and engine == "spark":
        assert "exactly-once: not offered" in said
    if name == "falling-behind":
        assert "alerts fired: none" not in said, said[-2000:]
    if name == "query-change":  # the engine's own refusal of a new grouping key
        refusal = "StateMigrationException" if engine == "flink" else "STATE_STORE_KEY_SCHEMA_NOT_COMPATIBLE"
        assert refusal in said, said[-2000:]
    if name == "query-change" and engine == "flink":
        assert "Cannot map checkpoint/savepoint state" in said, said[-2000:]
