"""`streamlab dead-letters` without a broker: counts per reason, the records' table, the reason filter, and the
flags it refuses. Reading a real topic is tested with the demo (tests/integration/test_cli_flows.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from streamlab import deadletters, results, workloads
from streamlab.cli import main
from streamlab.settings import Settings

LETTERS = pd.DataFrame(
    {
        "raw_value": ["{not json", '{"user_id": 1}', "x" * 100, '{"ts": "yesterday"}'],
        "reason": ["malformed JSON", "missing field: behavior", "malformed JSON", "late: its window was closed"],
        "source_topic": ["t"] * 4,
        "source_partition": [0, 1, 2, 0],
        "source_offset": [5, 9, 12, 40],
    }
)


def read_as(monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame, reason: str = "") -> deadletters.Letters:
    monkeypatch.setattr(results, "read_result", lambda spec, settings: frame)
    workload = workloads.get("behavior-stats")
    settings = Settings(workload="behavior-stats", topics=workload.topic_names())
    return deadletters.read(settings, workload.job(), reason)


def test_counts_come_first_most_frequent_reason_on_top(monkeypatch: pytest.MonkeyPatch) -> None:
    letters = read_as(monkeypatch, LETTERS)
    assert letters.source == "user_behaviors_dlq" and letters.total == 4
    assert deadletters.counts(letters)[0] == {"reason": "malformed JSON", "records": 2, "share": "50%"}
    assert {row["reason"] for row in deadletters.counts(letters)} == set(LETTERS["reason"])


def test_each_record_shows_its_reason_position_and_cut_text(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = deadletters.rows(read_as(monkeypatch, LETTERS), limit=3)
    assert len(shown) == 3
    assert shown[1] == {"reason": "missing field: behavior", "topic": "t", "partition": 1, "offset": 9,
                        "record": '{"user_id": 1}'}  # fmt: skip
    assert len(shown[2]["record"]) == deadletters.RAW_SHOWN and shown[2]["record"].endswith("...")


def test_the_reason_filter_keeps_matching_records_and_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    late = read_as(monkeypatch, LETTERS, reason="LATE")
    assert len(late.records) == 1 and late.total == 4
    assert deadletters.counts(late) == [{"reason": "late: its window was closed", "records": 1, "share": "25%"}]
    assert read_as(monkeypatch, LETTERS.iloc[:0]).records.empty


def test_a_batch_jobs_rejected_lines_have_no_position(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lines = pd.DataFrame({"raw_line": ["a,b"], "reason": ["wrong number of fields"]})
    monkeypatch.setattr(results, "read_result", lambda spec, settings: lines)
    workload = workloads.get("sales-batch")
    letters = deadletters.read(Settings(workload="sales-batch", output_dir=tmp_path), workload.job())
    assert deadletters.rows(letters, 5) == [{"reason": "wrong number of fields", "record": "a,b"}]


def test_bad_flags_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["dead-letters", "behavior-stats", "--limit", "0"])
    assert raised.value.code == 2 and "must be at least 1" in capsys.readouterr().err
