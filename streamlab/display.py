"""Tables for people: pandas frames and lists of dicts rendered with rich, never raw JSON."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

# piped output (CI logs, `| less`) gets a fixed width wide enough for timestamps instead of 80, or COLUMNS
PIPED_WIDTH = int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else 140
console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)


def table(
    rows: pd.DataFrame | Sequence[dict[str, Any]],
    title: str = "",
    caption: str = "",
    columns: Sequence[str] | None = None,
    wrap: Sequence[str] = (),
) -> Table:
    """rows as a table, each column's numbers in one format. Nothing is cut: a column of numbers is as wide
    as its widest figure; text wraps inside its cell where the table must be narrower (the columns named
    in `wrap`, long prose, first: the others keep up to TEXT_KEPT characters on one line)."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    shown = list(columns) if columns else list(frame.columns)
    rendered = Table(title=title or None, caption=caption or None, caption_justify="left")
    cells = {name: [cell(value, number_format(frame[name])) for value in frame[name]] if name in frame
             else [""] * len(frame) for name in shown}  # fmt: skip
    for name in shown:
        numeric = name in frame and pd.api.types.is_numeric_dtype(frame[name])
        widest = max((len(text) for text in cells[name]), default=0)
        if numeric:
            rendered.add_column(name, justify="right", no_wrap=True, min_width=max(widest, len(str(name))))
        else:
            kept = 0 if name in wrap else min(widest, TEXT_KEPT)
            rendered.add_column(name, overflow="fold", min_width=max(kept, 1))
    for index in range(len(frame)):
        rendered.add_row(*(cells[name][index] for name in shown))
    if not shown:
        rendered.add_column("(no rows yet)")
    return rendered


TEXT_KEPT = 24  # text a column keeps on one line before the table wraps it (what `wrap` columns give up first)


def number_format(column: pd.Series) -> str:
    """One format for a column's numbers: whole numbers with thousands separators; else two decimals, or
    four significant digits where every value is below 1 (the engines' last digits: see `check`)."""
    if not pd.api.types.is_float_dtype(column):
        return ",d" if pd.api.types.is_integer_dtype(column) else ""
    values = column.dropna()
    if values.empty or bool((values == values.round()).all()):
        return ",.0f"
    return ",.2f" if float(values.abs().max()) >= 1 else ".4g"


def cell(value: Any, fmt: str = "") -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if fmt:
        return format(value, fmt)
    return f"{value:,}" if isinstance(value, int) or float(value).is_integer() else f"{value:,.2f}"


def show(
    rows: pd.DataFrame | Sequence[dict[str, Any]],
    title: str = "",
    caption: str = "",
    columns: Sequence[str] | None = None,
    wrap: Sequence[str] = (),
) -> None:
    console.print(table(rows, title, caption, columns, wrap), crop=False)  # wider than the terminal: never cut


def first_of(shown: int, total: int) -> str:
    """'the first 20 of 53 (33 more not shown)', or 'all 5': what a table cut to its first rows leaves out."""
    if total <= shown:
        return f"all {total:,}"
    return f"the first {shown:,} of {total:,} ({total - shown:,} more not shown)"
