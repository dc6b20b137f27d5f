"""patient-events producer: replays a CSV file as JSON events, one row every 1/rate seconds (seed 001).

Any CSV with a header row works. As in the seed, the headers are cleaned before they become JSON
field names: surrounding spaces stripped and lower case (`  Action ` -> `action`), because a file
written by hand or by a spreadsheet rarely has tidy headers. Cell values are sent as they are,
as strings; a row with fewer cells than headers lacks the trailing fields (the job dead-letters
a row without an action). Records are keyed by `patient_id` when the file has one.

The project's sample, data/patient_treatment.csv, is made by `sample_rows()` with its seed, so it
can be regenerated (`write_sample`) and its content is known to the tests.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from streamlab.cliargs import non_negative_float
from streamlab.errors import LabError
from streamlab.paths import REPO_ROOT
from streamlab.producing import OutgoingRecord, ProduceStats, send_all
from streamlab.settings import INPUT, Settings

SAMPLE_CSV = REPO_ROOT / "data" / "patient_treatment.csv"
# headers as a hand-kept sheet has them: mixed case and stray spaces, which the producer cleans
SAMPLE_HEADERS = ["Patient_ID", " Event_Time", "  Action ", "Department ", "Doctor", "Notes"]
ACTIONS = ["admit", "check_vitals", "administer_medication", "lab_test", "consult", "transfer", "discharge"]
DEPARTMENTS = ["응급의학과", "내과", "외과", "소아청소년과", "Cardiology"]
DOCTORS = ["Dr. Kim", "Dr. Lee", "Dr. Park", "Dr. Choi"]
NOTES = ["", "stable", "follow-up in 2 days", "allergic to penicillin, noted", 'patient said "better"']
SAMPLE_ROWS = 300
SAMPLE_START = datetime(2025, 3, 3, 8, 0, 0)


def sample_rows(count: int = SAMPLE_ROWS, seed: int = 1) -> list[list[str]]:
    """The sample's rows: mostly well-formed, with every 40th action left blank, every 45th only spaces
    and every 70th row cut short before the action column (an export that lost its tail)."""
    chooser = random.Random(seed)
    rows = []
    moment = SAMPLE_START
    for number in range(1, count + 1):
        moment += timedelta(seconds=chooser.randint(5, 120))
        action = chooser.choice(ACTIONS)
        if number % 40 == 0:
            action = ""
        elif number % 45 == 0:
            action = "   "
        row = [f"P{chooser.randint(1000, 1099)}", moment.strftime("%Y-%m-%d %H:%M:%S"), action,
               chooser.choice(DEPARTMENTS), chooser.choice(DOCTORS), chooser.choice(NOTES)]  # fmt: skip
        rows.append(row[:2] if number % 70 == 0 else row)
    return rows


def write_sample(path: Path = SAMPLE_CSV) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SAMPLE_HEADERS)
        writer.writerows(sample_rows())


def clean_header(name: str) -> str:
    return name.strip().lower()


def clean_headers(raw_headers: list[str], path: Path) -> list[str]:
    """Cleaned field names; two headers that clean to the same name are refused (one would be lost)."""
    names = [clean_header(name) for name in raw_headers]
    seen: dict[str, str] = {}
    for raw, name in zip(raw_headers, names, strict=True):
        if name in seen:
            raise LabError(f"{path}: headers {seen[name]!r} and {raw!r} both clean to {name!r}; rename one")
        if not name:
            raise LabError(f"{path}: a header is empty; every column needs a name")
        seen[name] = raw
    return names


def read_csv(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    """(cleaned headers, the data rows); `utf-8-sig` drops a spreadsheet's byte-order mark."""
    if not path.is_file():
        raise LabError(f"no CSV file at {path}; pass --file FILE.csv (default: {SAMPLE_CSV.relative_to(REPO_ROOT)})")
    handle = path.open(encoding="utf-8-sig", newline="")
    reader = csv.reader(handle)
    try:
        headers = clean_headers(next(reader), path)
    except StopIteration:
        handle.close()
        raise LabError(f"{path} is empty: the first line must name the columns") from None
    except UnicodeDecodeError as error:
        handle.close()
        raise LabError(f"{path} is not UTF-8 text ({error.reason}); save it as UTF-8") from None

    def rows() -> Iterator[list[str]]:
        with handle:
            try:
                yield from (row for row in reader if row)  # a blank line is no row
            except UnicodeDecodeError:
                raise LabError(f"{path} is not UTF-8 text after line {reader.line_num}; save it as UTF-8") from None

    return headers, rows()


def event(headers: list[str], row: list[str]) -> dict[str, str]:
    """A row as a JSON object: header -> cell; missing trailing cells are absent, extra cells kept apart."""
    fields = dict(zip(headers, row, strict=False))
    if len(row) > len(headers):
        fields["_extra_cells"] = json.dumps(row[len(headers) :], ensure_ascii=False)
    return fields


def records(headers: list[str], rows: Iterator[list[str]]) -> Iterator[OutgoingRecord]:
    for row in rows:
        fields = event(headers, row)
        key = fields.get("patient_id")
        yield OutgoingRecord(key.encode() if key else None, json.dumps(fields, ensure_ascii=False).encode())


def count_rows(path: Path) -> int:
    headers, rows = read_csv(path)
    return sum(1 for _ in rows)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file",
        type=Path,
        default=SAMPLE_CSV,
        metavar="FILE.csv",
        help="the CSV to replay, header row first (default: the project's data/patient_treatment.csv)",
    )
    parser.add_argument(
        "--rate", type=non_negative_float, default=1.0, help="rows per second (default 1, as in the seed); 0 = at once"
    )


def produce(
    settings: Settings, options: argparse.Namespace, stats: ProduceStats | None = None, show_progress: bool = True
) -> str:
    """Replay the file into the input topic; returns what was done, in one line."""
    total = count_rows(options.file)
    stats = stats or ProduceStats(total)
    stats.target = total
    headers, rows = read_csv(options.file)
    topics = {INPUT: settings.input_topic}
    sent = send_all(settings.bootstrap_servers, topics, records(headers, rows), total, options.rate, show_progress,
                    stats)  # fmt: skip
    note = "" if "action" in headers else " (the file has no action column: the job will dead-letter every row)"
    return f"sent {sent:,} rows of {options.file.name} to {settings.input_topic} as JSON{note}"
