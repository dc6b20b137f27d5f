"""producers/patient_events.py (CSV replay with cleaned headers) and the patient-events oracle's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from producers import patient_events as producer
from streamlab.errors import LabError
from streamlab.kafka_admin import Record
from streamlab.oracles.patient_events import action_counts as patient_action_counts
from streamlab.oracles.patient_events import patient_reject_reason


def replayed(path: Path) -> list[tuple[bytes | None, dict[str, str]]]:
    headers, rows = producer.read_csv(path)
    return [(r.key, json.loads(r.value or b"")) for r in producer.records(headers, rows)]


def csv_file(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "events.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_headers_are_stripped_and_lower_cased_as_in_the_seed(tmp_path: Path) -> None:
    path = csv_file(tmp_path, " Patient_ID ,  Action ,Ward\nP1,admit,3\n")
    assert replayed(path) == [(b"P1", {"patient_id": "P1", "action": "admit", "ward": "3"})]


def test_a_spreadsheet_byte_order_mark_does_not_reach_the_first_field_name(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "Patient_ID,Action\r\nP1,admit\r\n", encoding="utf-8-sig")
    assert replayed(path)[0][1] == {"patient_id": "P1", "action": "admit"}


def test_quoted_cells_blank_lines_and_korean_text_come_through(tmp_path: Path) -> None:
    path = csv_file(tmp_path, 'action,notes,dept\nadmit,"said ""ok"", then left",응급의학과\n\nconsult,,내과\n')
    assert [fields for _, fields in replayed(path)] == [
        {"action": "admit", "notes": 'said "ok", then left', "dept": "응급의학과"},
        {"action": "consult", "notes": "", "dept": "내과"},
    ]


def test_short_rows_lack_fields_and_extra_cells_are_kept_apart(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "patient_id,action\nP1\nP2,admit,surplus\n")
    short, long = (fields for _, fields in replayed(path))
    assert short == {"patient_id": "P1"}
    assert long == {"patient_id": "P2", "action": "admit", "_extra_cells": '["surplus"]'}


def test_a_file_without_patient_id_sends_records_without_a_key(tmp_path: Path) -> None:
    assert replayed(csv_file(tmp_path, "action\nadmit\n")) == [(None, {"action": "admit"})]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Action, action \nadmit,admit\n", "both clean to 'action'"),
        ("action,,ward\nadmit,1,2\n", "a header is empty"),
        ("", "is empty: the first line must name the columns"),
    ],
)
def test_bad_headers_are_refused_with_the_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(LabError, match=message):
        producer.read_csv(csv_file(tmp_path, text))


def test_a_missing_or_non_utf8_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no CSV file at"):
        producer.read_csv(tmp_path / "nope.csv")
    with pytest.raises(LabError, match="not UTF-8"):
        producer.read_csv(csv_file(tmp_path, "환자,action\n", encoding="euc-kr"))
    late = "action,ward\n" + "admit,1\n" * 5000 + "admit,응급실\n"  # past the first block the reader decodes
    with pytest.raises(LabError, match="not UTF-8 text after line"):
        producer.count_rows(csv_file(tmp_path, late, encoding="euc-kr"))


def test_the_shipped_sample_is_what_the_generator_makes(tmp_path: Path) -> None:
    fresh = tmp_path / "sample.csv"
    producer.write_sample(fresh)
    assert fresh.read_bytes() == producer.SAMPLE_CSV.read_bytes()


def test_the_sample_has_rows_the_job_must_dead_letter() -> None:
    reasons = [patient_reject_reason(json.dumps(fields).encode())[0] for _, fields in replayed(producer.SAMPLE_CSV)]
    assert len(reasons) == producer.SAMPLE_ROWS == producer.count_rows(producer.SAMPLE_CSV)
    assert reasons.count("missing field: action") == 4  # rows cut short before the action column
    assert reasons.count("empty field: action") == 12  # blank, or spaces only
    assert reasons.count(None) == 284


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "empty value"),
        (b"not json", "not a JSON object"),
        (b'["admit"]', "not a JSON object"),
        (b'{"patient_id": "P1"}', "missing field: action"),
        (b'{"action": null}', "missing field: action"),
        (b'{"action": ""}', "empty field: action"),
        (b'{"action": "   "}', "empty field: action"),
        (b'{"action": "admit"}', None),
        (b'{"action": 7}', "not a string: action"),  # a number is not an action, on both engines
        (b'{"action": ["admit"]}', "not a string: action"),
    ],
)
def test_oracle_reasons(raw: bytes | None, reason: str | None) -> None:
    assert patient_reject_reason(raw)[0] == reason


def test_oracle_counts_by_action_and_lists_rejects() -> None:
    values = [b'{"action": "admit"}', b'{"action": "admit"}', b'{"action": " "}', b'{"action": "discharge"}']
    records = [Record("patient_events", 0, offset, 0, None, value) for offset, value in enumerate(values)]
    counts, rejected = patient_action_counts(records)
    assert counts.to_dict("records") == [
        {"action": "admit", "event_count": 2},
        {"action": "discharge", "event_count": 1},
    ]
    assert rejected.to_dict("records") == [
        {"reason": "empty field: action", "source_topic": "patient_events", "source_partition": 0, "source_offset": 2}
    ]
    empty_counts, _ = patient_action_counts([])
    assert list(empty_counts.columns) == ["action", "event_count"]
