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
    assert "20 of 20 keys" in text and "…" not in text  # a short figure stays on one line
    assert "dead letters accounted" in text and " for " in text  # a long name wraps, whole


def test_a_cut_table_says_how_much_is_left_out() -> None:
    assert display.first_of(20, 53) == "the first 20 of 53 (33 more not shown)"
    assert display.first_of(20, 5) == "all 5"


def test_a_wide_result_wraps_its_text_and_keeps_every_figure_whole() -> None:
    """A join's pairs with long keys on a 100-column terminal: every cell is there in full, wrapped if need be."""
    rows = [{"key": f"c_output: number field result: {n} " * 3, "c_ts": "2025-04-21 14:10:45", "d_ts": "2025-04-21 "
             "14:10:45", "c_result": 123456.75 + n, "d_value": 42.5} for n in range(3)]  # fmt: skip
    text = " ".join(rendered(display.table(rows, caption="a caption that must stay whole at its end"), 100).split())
    assert "123,456.75" in text and "123,458.75" in text and "…" not in text
    assert "a caption that must stay whole at its end" in text
