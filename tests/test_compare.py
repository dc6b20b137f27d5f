"""streamlab.compare: the one vocabulary every command judges a result in (missing, extra, wrong,
duplicated, dead letters), on small tables whose answer is written out by hand."""

from __future__ import annotations

import pandas as pd

from streamlab.compare import (
    REJECT_POSITION,
    REJECTED_LINE,
    DeadLetters,
    Rows,
    Verdict,
    compare_dead_letters,
    compare_rows,
)
from streamlab.results import APPEND_TOPIC, CSV, UPSERT_TOPIC, ResultSpec

COUNTS = ResultSpec(UPSERT_TOPIC, ("category", "behavior"), ("behavior_count", "last_event_ts"),
                    count_column="behavior_count")  # fmt: skip
ROWS = ResultSpec(APPEND_TOPIC, ("source_partition", "source_offset"), ("user_id", "behavior"))
TOTALS = ResultSpec(CSV, ("category",), ("count", "total"), count_column="count", rel_tolerance=1e-9)


def counts(*rows: tuple[str, str, int, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["category", "behavior", "behavior_count", "last_event_ts"])


def intents(*rows: tuple[int, int, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source_partition", "source_offset", "user_id", "behavior"])


ORACLE = counts(
    ("books", "click", 5, "2026-01-01 00:00:05.000"),
    ("books", "view", 3, "2026-01-01 00:00:03.000"),
    ("home", "click", 2, "2026-01-01 00:00:02.000"),
)


def figures(rows: Rows) -> tuple[int, int, int, int, int, int]:
    return rows.expected, rows.correct, rows.missing, rows.extra, rows.wrong, rows.duplicated


# ---- rows ---------------------------------------------------------------------------------------------


def test_a_result_equal_to_the_oracle_is_all_correct() -> None:
    rows = compare_rows(ORACLE, ORACLE, COUNTS)
    assert figures(rows) == (3, 3, 0, 0, 0, 0) and rows.agrees and rows.differences.empty


def test_missing_keys_and_lower_counts_are_missing() -> None:
    result = counts(("books", "click", 4, "2026-01-01 00:00:04.000"), ("books", "view", 3, "2026-01-01 00:00:03.000"))
    rows = compare_rows(result, ORACLE, COUNTS)
    assert figures(rows) == (3, 1, 2, 0, 0, 0) and not rows.agrees
    assert len(rows.differences) == 2  # the lower count and the missing key, each shown


def test_higher_counts_and_other_values_are_wrong_and_keys_pandas_lacks_extra() -> None:
    result = counts(
        ("books", "click", 6, "2026-01-01 00:00:05.000"),  # counted twice
        ("books", "view", 3, "2026-01-01 00:00:09.000"),  # another newest event
        ("home", "click", 2, "2026-01-01 00:00:02.000"),
        ("toys", "click", 1, "2026-01-01 00:00:01.000"),  # not in the oracle
    )
    assert figures(compare_rows(result, ORACLE, COUNTS)) == (3, 1, 0, 1, 2, 0)


def test_rows_present_twice_are_duplicated_not_wrong() -> None:
    expected = intents((0, 1, "user_1", "purchase"), (0, 2, "user_2", "add_to_cart"), (1, 0, "user_3", "purchase"))
    result = pd.concat([expected, expected.iloc[[0, 0, 2]]], ignore_index=True)
    rows = compare_rows(result, expected, ROWS)
    assert figures(rows) == (3, 3, 0, 0, 0, 3) and rows.agrees  # copies are for the verdict to judge
    assert rows.differences.empty  # and not shown as differences


def test_one_key_with_two_different_values_is_wrong_once() -> None:
    expected = intents((0, 1, "user_1", "purchase"), (0, 2, "user_2", "add_to_cart"))
    result = intents((0, 1, "user_1", "purchase"), (0, 1, "user_9", "purchase"), (0, 2, "user_2", "add_to_cart"))
    assert figures(compare_rows(result, expected, ROWS)) == (2, 1, 0, 0, 1, 0)


def test_an_empty_result_misses_everything_and_an_empty_oracle_makes_everything_extra() -> None:
    assert figures(compare_rows(pd.DataFrame(), ORACLE, COUNTS)) == (3, 0, 3, 0, 0, 0)
    assert figures(compare_rows(ORACLE, ORACLE.head(0), COUNTS)) == (0, 0, 0, 3, 0, 0)


def test_floats_agree_within_the_results_tolerance_only() -> None:
    oracle = pd.DataFrame({"category": ["a", "b"], "count": [3, 2], "total": [1.5, 2.25]})
    nearly = oracle.assign(total=[1.5 * (1 + 1e-12), 2.25])
    assert compare_rows(nearly, oracle, TOTALS).agrees
    exact = ResultSpec(CSV, ("category",), ("count", "total"))
    assert figures(compare_rows(nearly, oracle, exact)) == (2, 1, 0, 0, 1, 0)
    assert not compare_rows(oracle.assign(total=[1.5001, 2.25]), oracle, TOTALS).agrees


# ---- dead letters -------------------------------------------------------------------------------------


def letters(*rows: tuple[int, int, str]) -> pd.DataFrame:
    return pd.DataFrame([("in", p, o, r) for p, o, r in rows], columns=list(REJECT_POSITION))


def test_dead_letters_by_position_and_reason() -> None:
    expected = letters((0, 5, "not a JSON object"), (1, 7, "missing field: ts"), (2, 9, "bad timestamp: ts"))
    found = letters(
        (0, 5, "not a JSON object"),
        (0, 5, "not a JSON object"),  # written twice
        (1, 7, "missing field: ts"),
        (2, 3, "x"),  # the oracle does not reject it
        (2, 4, "late: behind the watermark"),
    )
    tally = compare_dead_letters(found, expected, late={("in", 2, 4)})
    assert tally == DeadLetters(expected=3, accounted=2, copies=1, unexpected=1, late=1)
    assert tally.missing == 1
    assert compare_dead_letters(pd.DataFrame(), expected).missing == 3


def test_the_right_record_with_another_reason_is_not_accounted_for() -> None:
    expected = letters((0, 5, "not a JSON object"))
    tally = compare_dead_letters(letters((0, 5, "missing field: ts")), expected)
    assert (tally.accounted, tally.unexpected) == (0, 1)


def test_rejected_lines_of_a_file_are_matched_by_text_and_reason() -> None:
    expected = pd.DataFrame({"line_number": [3, 9], "raw_line": ["x,y", "x,y"], "reason": ["bad", "bad"]})
    found = pd.DataFrame({"raw_line": ["x,y", "x,y", "x,y"], "reason": ["bad", "bad", "bad"]})
    tally = compare_dead_letters(found, expected, identity=REJECTED_LINE)
    assert tally == DeadLetters(expected=2, accounted=2, copies=1, unexpected=0)


def test_the_dead_letters_of_two_stages_add_up() -> None:
    first = DeadLetters(expected=4, accounted=4, copies=1, unexpected=0, late=0)
    second = DeadLetters(expected=2, accounted=1, copies=0, unexpected=1, late=3)
    total = first + second
    assert total == DeadLetters(expected=6, accounted=5, copies=1, unexpected=1, late=3) and total.missing == 1


# ---- the verdict --------------------------------------------------------------------------------------


def test_copies_fail_a_run_that_was_not_restarted_and_pass_one_that_was() -> None:
    doubled = pd.concat([ORACLE, ORACLE.head(1)], ignore_index=True)
    fine = DeadLetters(expected=1, accounted=1)
    rows = compare_rows(doubled, ORACLE, ResultSpec(APPEND_TOPIC, COUNTS.key_columns, COUNTS.value_columns))
    assert not Verdict(rows, fine, COUNTS).passed
    assert Verdict(rows, fine, COUNTS, restarted=True).passed
    written_twice = DeadLetters(expected=1, accounted=1, copies=1)
    assert not Verdict(compare_rows(ORACLE, ORACLE, COUNTS), written_twice, COUNTS).passed
    assert Verdict(compare_rows(ORACLE, ORACLE, COUNTS), written_twice, COUNTS, restarted=True).passed


def test_a_missing_or_unexpected_dead_letter_fails_even_an_equal_result() -> None:
    equal = compare_rows(ORACLE, ORACLE, COUNTS)
    assert Verdict(equal, DeadLetters(expected=2, accounted=2), COUNTS).passed
    assert not Verdict(equal, DeadLetters(expected=2, accounted=1), COUNTS).passed
    assert not Verdict(equal, DeadLetters(expected=2, accounted=2, unexpected=1), COUNTS, restarted=True).passed
