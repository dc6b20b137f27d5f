"""`streamlab lesson` without an engine run: the list, the verdict line, and the refusals."""

from __future__ import annotations

import pytest

from streamlab import lessons
from streamlab.cli import main
from streamlab.lessons import delivery
from streamlab.paths import REPO_ROOT


def test_the_list_names_every_lesson_its_question_and_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lesson"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    for lesson in lessons.LESSONS.values():
        assert lesson.name in shown and lesson.page in shown
        assert (REPO_ROOT / lesson.page).is_file(), f"{lesson.page} is missing"


def test_the_verdict_line_says_whether_the_run_bore_the_lesson_out() -> None:
    held = lessons.Outcome("late-data", "flink", ("7 routed",), "every late record routed", True)
    assert held.verdict == "lesson late-data on flink: as expected: every late record routed"
    assert "NOT as expected" in lessons.Outcome("delivery", "spark", (), "x", False).verdict


def test_a_lesson_needs_an_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lesson", "late-data"]) == 2
    assert "which engine?" in capsys.readouterr().out


def test_an_unknown_lesson_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["lesson", "no-such-lesson", "flink"])
    assert raised.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_spark_is_refused_exactly_once_in_the_labs_words() -> None:
    assert "Spark's Kafka sink is at-least-once" in delivery.refusal()
