"""sales-batch: the rules of sql/sales-batch/parse.sql and the totals per category, in Python, over the file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from streamlab.oracles.common import file_lines

# one CSV field: quoted (a doubled quote inside is a quote) or bare (no comma, no quote)
_CSV_FIELD = r'("[^"]*(?:""[^"]*)*"|[^,"]*)'

_SALES_ROW = re.compile("(?s)^" + ",".join([_CSV_FIELD] * 5) + "(?!.)")

_PRICE = re.compile(r"(?s)^-?[0-9]{1,12}([.][0-9]{1,6})?(?!.)")

_QUANTITY = re.compile(r"(?s)^-?[0-9]{1,9}(?!.)")

SALES_COLUMNS = ["category", "total_revenue", "avg_price", "total_quantity", "transaction_count"]


def _unquote(field: str) -> str:
    return field[1:-1].replace('""', '"') if field.startswith('"') else field


HEADER = "header line"  # the column names, not a sale: set aside with its own reason, not as malformed


def is_header(price: str, quantity: str) -> bool:
    """A line naming the columns: its price and quantity fields say "price" and "quantity" (any case,
    spaces around), as the seed's column names do; the same rule as sql/sales-batch/parse.sql."""
    return price.strip(" ").lower() == "price" and quantity.strip(" ").lower() == "quantity"


def sales_reject_reason(line: str) -> tuple[str | None, dict[str, Any]]:
    match = _SALES_ROW.match(line)
    if not match:
        return "expected 5 comma-separated columns", {}
    _, category, price, quantity, _ = (_unquote(field) for field in match.groups())
    if is_header(price, quantity):
        return HEADER, {}
    if not _PRICE.match(price):
        return "price is not a number", {}
    if not _QUANTITY.match(quantity):
        return "quantity is not a whole number", {}
    return None, {"category": category, "price": float(price), "quantity": int(quantity)}


def summary(path: Path, chunk_lines: int = 1_000_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(totals per category, rejected lines with their 1-based line numbers) over a sales CSV file.

    Works through the file a million lines at a time, so a 10-million-line file fits in memory:
    each chunk is validated with vectorised regular expressions and reduced to partial sums.
    """
    partials, rejected = [], []
    first_number = 1
    for lines in _chunks(file_lines(path), chunk_lines):
        sums, bad = _sales_chunk(pd.Series(lines, dtype=object), first_number)
        partials.append(sums)
        rejected.append(bad)
        first_number += len(lines)
    rejected_lines = (
        pd.concat(rejected, ignore_index=True)
        if rejected
        else pd.DataFrame(columns=["line_number", "raw_line", "reason"])
    )
    totals = pd.concat(partials).groupby("category", as_index=False).sum() if partials else pd.DataFrame()
    if totals.empty:
        return pd.DataFrame(columns=SALES_COLUMNS), rejected_lines
    summary = totals.assign(avg_price=totals["price_sum"] / totals["transaction_count"])
    return summary[SALES_COLUMNS].sort_values("category", ignore_index=True), rejected_lines


def _sales_chunk(lines: pd.Series, first_number: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    fields = lines.str.extract(_SALES_ROW)
    unquoted = {
        name: fields[index].where(~fields[index].str.startswith('"', na=False),
                                  fields[index].str.slice(1, -1).str.replace('""', '"'))
        for index, name in ((1, "category"), (2, "price"), (3, "quantity"))
    }  # fmt: skip
    reason = pd.Series(None, index=lines.index, dtype=object)
    reason = reason.mask(~unquoted["quantity"].str.match(_QUANTITY, na=False), "quantity is not a whole number")
    reason = reason.mask(~unquoted["price"].str.match(_PRICE, na=False), "price is not a number")
    header = unquoted["price"].str.strip(" ").str.lower().eq("price") & unquoted["quantity"].str.strip(
        " "
    ).str.lower().eq("quantity")
    reason = reason.mask(header.fillna(False), HEADER)
    reason = reason.mask(fields[0].isna(), "expected 5 comma-separated columns")
    good = reason.isna()
    price = unquoted["price"][good].astype("float64")
    quantity = unquoted["quantity"][good].astype("int64")
    sums = (
        pd.DataFrame({"category": unquoted["category"][good], "price_sum": price, "total_quantity": quantity,
                      "total_revenue": price * quantity, "transaction_count": 1})
        .groupby("category", as_index=False).sum()
    )  # fmt: skip
    bad = pd.DataFrame(
        {"line_number": lines.index[~good] + first_number, "raw_line": lines[~good], "reason": reason[~good]}
    )
    return sums, bad.reset_index(drop=True)


def _chunks(items: Iterator[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
