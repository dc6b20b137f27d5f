"""Flink's one parse, alone: RecordCheck (jars/checks) judges every case of the validation matrix as pandas does.

The same cases tests/integration/test_validation.py sends through Kafka to both engines (slow tier) are given
here straight to the Java check with each workload's rules (streamlab/fields.py), in one JVM, without an
engine: a rule or a reason that drifts from the oracle fails in the fast tier, named by its case.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable, Sequence

import pytest

from streamlab import cluster, fields, jars
from streamlab.oracles import behavior_stats, bike_rentals, patient_events, strategy_join, windowed_messages
from streamlab.settings import INPUT, MAX_VALUE_CHARS
from tests.integration.test_validation import SUBJECTS

Oracle = Callable[[bytes | None], tuple[str | None, dict]]
# (workload, input role) -> the fields its Flink source checks, and the oracle's verdict on one record
CHECKED: dict[tuple[str, str], tuple[Sequence[fields.Field], Oracle]] = {
    ("behavior-stats", INPUT): (fields.BEHAVIOR, behavior_stats.behavior_reject_reason),
    ("bike-rentals", INPUT): (fields.BIKE_EVENT, bike_rentals.bike_event_reject_reason),
    ("windowed-messages", INPUT): (fields.MESSAGE, windowed_messages.message_reject_reason),
    ("patient-events", INPUT): (fields.PATIENT_EVENT, patient_events.patient_reject_reason),
    ("strategy-join", "c_output"): (fields.STRATEGY_OUTPUT, strategy_join.strategy_output_reject_reason),
    ("strategy-join", "d_input"): (fields.STRATEGY_INPUT, strategy_join.strategy_reject_reason),
}
# checked after the source, in the workload's parse step: the format lets these records through
PARSE_STEP_REASONS = ("empty field: ",)


def java_reasons(rules: Sequence[fields.Field], values: Sequence[bytes | None]) -> list[str | None]:
    """RecordCheck's reason for each value (None: valid), from its command-line entry."""
    lines = "".join(("-" if value is None else base64.b64encode(value).decode()) + "\n" for value in values)
    command = [cluster.java_executable(), "-cp", str(jars.checks_jar()), "lab.streamlab.checks.RecordCheck",
               fields.rules(rules), str(MAX_VALUE_CHARS)]  # fmt: skip
    answer = subprocess.run(command, input=lines.encode(), capture_output=True, check=True, timeout=120)
    return [None if line == "-" else line for line in answer.stdout.decode().splitlines()]


def test_every_matrix_input_has_its_rules() -> None:
    inputs = {(subject.workload, side.role) for subject in SUBJECTS.values() for side in subject.inputs}
    assert inputs == set(CHECKED)


@pytest.mark.parametrize("checked", list(CHECKED), ids="/".join)
def test_the_one_parse_judges_each_case_as_pandas(checked: tuple[str, str]) -> None:
    workload, role = checked
    rules, oracle = CHECKED[checked]
    side = next(side for side in SUBJECTS[workload].inputs if side.role == role)
    cases = {**side.cases(), "a tombstone": None}
    expected = {label: oracle(value)[0] for label, value in cases.items()}
    expected = {label: None if reason and reason.startswith(PARSE_STEP_REASONS) else reason
                for label, reason in expected.items()}  # fmt: skip
    found = dict(zip(cases, java_reasons(rules, list(cases.values())), strict=True))
    assert {label: found[label] for label in cases if found[label] != expected[label]} == {}
    assert sum(reason is not None for reason in found.values()) > len(cases) / 2  # the cases are mostly bad


def test_a_value_is_read_once_and_trailing_text_is_not_read() -> None:
    rules = (fields.Field("a", "string"),)
    values = [b'{"a": "x", "a": 7}', b'{"a": "x"} {"a": 7}', b'{"a": "x"} "\\ud800"}', b'{"a": "x"} x}']
    assert java_reasons(rules, values) == ["not a string: a", None, "not a JSON object", None]
