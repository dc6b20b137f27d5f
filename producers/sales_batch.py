"""sales-batch producer: the seed's sales CSV (seed 004, section 5), deterministic and as large as asked.

Lines are `product_id,category,price,quantity,transaction_date`, no header, like the seed's
`create_sample_csv()`. Besides the seed's three categories there are two that a CSV reader must
handle with care: one with a comma and one with a quote in it (both quoted, RFC 4180), and one
in Korean. With --bad-every N, every Nth line is malformed in one of four ways.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from streamlab import workloads
from streamlab.cliargs import non_negative_int, path
from streamlab.producing import ProduceStats
from streamlab.settings import Settings

CATEGORIES = ["electronics", "accessories", "peripherals", "home, garden", 'toys "deluxe"', "전자제품"]
CHUNK_ROWS = 100_000  # rows drawn from numpy at a time: fast, and memory stays flat for 10M rows


def csv_field(text: str) -> str:
    """RFC 4180: quote a field holding a comma, a quote or a line break; double the quotes inside."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def malformed(line: str, kind: int) -> str:
    """One of the ways a real sales file goes wrong."""
    fields = line.split(",")
    if kind == 0:
        return ",".join(fields[:2] + fields[3:])  # a column missing
    if kind == 1:
        return line + ",EXTRA"  # a column too many
    if kind == 2:
        return line.replace(f",{fields[-3]},", ",N/A,", 1)  # a price that is not a number
    return line.replace(f",{fields[-2]},", ",three,", 1)  # a quantity that is not a number


BAD_KINDS = 4


def lines(rows: int, seed: int = 42, bad_every: int = 0) -> Iterator[str]:
    """The file's lines, without line endings; the same seed gives the same lines."""
    generator = np.random.default_rng(seed)
    quoted = [csv_field(category) for category in CATEGORIES]
    number = 0
    for start in range(0, rows, CHUNK_ROWS):
        size = min(CHUNK_ROWS, rows - start)
        products = generator.integers(100, 1000, size)
        categories = generator.integers(0, len(CATEGORIES), size)
        prices = np.round(generator.uniform(10.0, 1000.0, size), 2)
        quantities = generator.integers(1, 10, size)
        months = generator.integers(1, 13, size)
        days = generator.integers(1, 29, size)
        for i in range(size):
            number += 1
            line = (
                f"P{products[i]},{quoted[categories[i]]},{prices[i]:.2f},{quantities[i]},"
                f"2024-{months[i]:02d}-{days[i]:02d}"
            )
            if bad_every and number % bad_every == 0:
                line = malformed(line, (number // bad_every) % BAD_KINDS)
            yield line


def write(path: Path, rows: int, seed: int = 42, bad_every: int = 0, show_progress: bool = True) -> int:
    """Write the CSV; returns the number of lines written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    progress = Progress(
        TextColumn(f"writing [bold]{path.name}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not show_progress,
    )
    written = 0
    with progress, path.open("w", encoding="utf-8", newline="\n") as handle:
        task = progress.add_task("write", total=rows)
        batch: list[str] = []
        for line in lines(rows, seed, bad_every):
            batch.append(line)
            if len(batch) == CHUNK_ROWS:
                written += _flush(handle, batch)
                progress.update(task, completed=written)
        written += _flush(handle, batch)
        progress.update(task, completed=written)
    return written


def _flush(handle: object, batch: list[str]) -> int:
    if not batch:
        return 0
    handle.write("\n".join(batch) + "\n")
    count = len(batch)
    batch.clear()
    return count


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=non_negative_int, default=1000, help="lines to write (default 1000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed: same seed, same file")
    parser.add_argument(
        "--bad-every", type=non_negative_int, default=0, metavar="N", help="make every Nth line malformed"
    )
    parser.add_argument(
        "--output",
        type=path,
        default=workloads.get("sales-batch").default_input_path(),
        metavar="FILE.csv",
        help="where to write the CSV (default: .run/sales-batch/input.csv, what `run` reads by default)",
    )


def produce(
    settings: Settings, options: argparse.Namespace, stats: ProduceStats | None = None, show_progress: bool = True
) -> str:
    written = write(options.output, options.rows, options.seed, options.bad_every, show_progress)
    if stats:
        stats.target = stats.sent = written
    bad = written // options.bad_every if options.bad_every else 0
    return f"wrote {written:,} lines to {options.output} ({bad:,} malformed on purpose)"
