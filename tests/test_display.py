"""streamlab.display: one number format per column, and no figure or name ever cut short."""

from __future__ import annotations

import pandas as pd
from rich.console import Console

from streamlab import display


def rendered(table: object, width: int) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(table)
    return console.export_text()


def test_a_column_of_floats_has_one_format() -> None:
    frame = pd.DataFrame({"avg_price": [41.0, 36.5, 3.0], "count": [41.0, 3.0, None], "share": [0.123456, 0.5, 0.25]})
    cells = {name: [display.cell(v, display.number_format(frame[name])) for v in frame[name]] for name in frame}
    assert cells["avg_price"] == ["41.00", "36.50", "3.00"]
    assert cells["count"] == ["41", "3", ""]  # whole numbers, a missing one blank
    assert cells["share"] == ["0.1235", "0.5", "0.25"]
    assert display.cell(1234567, display.number_format(pd.Series([1234567]))) == "1,234,567"


def test_a_narrow_terminal_wraps_the_prose_and_never_cuts_a_figure() -> None:
    rows = [{"measure": "dead letters accounted for", "figure": "20 of 20 keys", "what it means": "x " * 60}]
    text = rendered(display.table(rows, wrap=("what it means",)), width=70)
    assert "20 of 20 keys" in text and "dead letters accounted for" in text and "…" not in text


def test_a_cut_table_says_how_much_is_left_out() -> None:
    assert display.first_of(20, 53) == "the first 20 of 53 (33 more not shown)"
    assert display.first_of(20, 5) == "all 5"
