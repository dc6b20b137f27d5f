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
    """rows as a table; `wrap` names the columns of long text that may wrap (the others never do: a figure or
    a name is never cut)."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    shown = list(columns) if columns else list(frame.columns)
    rendered = Table(title=title or None, caption=caption or None, caption_justify="left")
    for name in shown:
        numeric = name in frame and pd.api.types.is_numeric_dtype(frame[name])
        wraps = name in wrap
        rendered.add_column(
            name, justify="right" if numeric else "left", no_wrap=not wraps, overflow="fold" if wraps else "ellipsis"
        )
    for record in frame.to_dict("records"):
        rendered.add_row(*(_cell(record.get(name)) for name in shown))
    if not shown:
        rendered.add_column("(no rows yet)")
    return rendered


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"  # engines' last digits: see `check`
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def show(
    rows: pd.DataFrame | Sequence[dict[str, Any]],
    title: str = "",
    caption: str = "",
    columns: Sequence[str] | None = None,
    wrap: Sequence[str] = (),
) -> None:
    console.print(table(rows, title, caption, columns, wrap))


def first_of(shown: int, total: int) -> str:
    """'the first 20 of 53 (33 more not shown)', or 'all 5': what a table cut to its first rows leaves out."""
    if total <= shown:
        return f"all {total:,}"
    return f"the first {shown:,} of {total:,} ({total - shown:,} more not shown)"
