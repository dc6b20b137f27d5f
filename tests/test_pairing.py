"""`demo both`'s side-by-side table from two engines' figures (no engine runs), and its refusals before Kafka."""

from __future__ import annotations

import pytest

from streamlab import compare
from streamlab.cli import main
from streamlab.compare import DeadLetters, compare_rows
from streamlab.run import pairing
from streamlab.run.live import Progress
from tests.test_compare import COUNTS, ORACLE


def side(engine: str, written: int, ages: tuple[float, ...], drops: compare.Drops | None = None) -> pairing.Side:
    verdict = compare.Verdict(compare_rows(ORACLE, ORACLE, COUNTS), DeadLetters(2, 2, 0, 0), COUNTS, drops=drops)
    return pairing.Side(engine, Progress(ORACLE, 100, 98, 2), verdict, written, ages)


def test_the_table_sets_each_measure_of_both_engines_side_by_side() -> None:
    drops = compare.Drops(records=3, rows=2, watermark="2026-12-06 10:00:00")
    rows = pairing.summary_rows([side("flink", 98, (0.5, 0.8, 1.1)), side("spark", 40, (), drops)])
    by_measure = {row["measure"]: row for row in rows}
    assert by_measure["input records"]["flink"] == by_measure["input records"]["spark"] == "100"
    assert by_measure["dead letters"]["spark"] == "2"
    assert by_measure["late records"] == {"measure": "late records", "flink": "none routed or dropped",
                                          "spark": "3 dropped (Spark reported 2 row(s) dropped)",
                                          "what it means": by_measure["late records"]["what it means"]}  # fmt: skip
    assert by_measure["freshness while producing"]["flink"] == "median 0.8 s, worst 1.1 s"
    assert by_measure["freshness while producing"]["spark"] == "-"  # no event time in the result to age
    assert by_measure["records written"]["spark"] == "40 (0.40 per input record)"
    assert by_measure["against pandas"] == {"measure": "against pandas", "flink": "matches", "spark": "matches",
                                            "what it means": "the oracle over the same input"}  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sales-batch"], "`streamlab check sales-batch` runs both engines on one file"),
        (["behavior-stats", "--cluster", "http://127.0.0.1:1"], "not one engine's URL"),
    ],
)
def test_demo_both_refuses_what_it_cannot_pair(argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["demo", "both", *argv, "--bootstrap-servers", "localhost:1"]) == 2
    assert message in " ".join(capsys.readouterr().out.split())
