"""sales-batch without an engine: the producer's CSV, the pandas oracle's parsing rules, and the CSV
reader that loads the engines' output (quoted, non-ASCII and "NA" categories must come through)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from producers import sales_batch as producer
from streamlab import results
from streamlab.oracles import common, sales_batch


def write(tmp_path: Path, rows: int = 500, bad_every: int = 0, seed: int = 7) -> Path:
    path = tmp_path / "sales.csv"
    producer.write(path, rows, seed=seed, bad_every=bad_every, show_progress=False)
    return path


def test_same_seed_same_file(tmp_path: Path) -> None:
    assert list(producer.lines(300, seed=1)) == list(producer.lines(300, seed=1))
    assert list(producer.lines(300, seed=1)) != list(producer.lines(300, seed=2))


def test_the_file_is_rfc4180_with_the_seeds_columns(tmp_path: Path) -> None:
    path = write(tmp_path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 500 and all(len(row) == 5 for row in rows)
    assert {row[1] for row in rows} == set(producer.CATEGORIES)  # comma, quote and Korean ones included
    assert all(row[0].startswith("P") and 1 <= int(row[3]) <= 9 and row[4].startswith("2024-") for row in rows)
    assert path.read_text(encoding="utf-8").count('"home, garden"') > 0


def test_bad_every_makes_lines_the_oracle_rejects_for_each_reason(tmp_path: Path) -> None:
    path = write(tmp_path, rows=400, bad_every=10)
    summary, rejected = sales_batch.summary(path)
    assert len(rejected) == 40
    assert rejected["line_number"].tolist() == list(range(10, 401, 10))
    assert set(rejected["reason"]) == {
        "expected 5 comma-separated columns", "price is not a number", "quantity is not a whole number",
    }  # fmt: skip
    assert summary["transaction_count"].sum() == 360


@pytest.mark.parametrize(
    ("line", "reason", "category"),
    [
        ('P1,"home, garden",10.50,2,2024-01-01', None, "home, garden"),
        ('P1,"toys ""deluxe""",10.50,2,2024-01-01', None, 'toys "deluxe"'),
        ("P1,전자제품,10.50,2,2024-01-01", None, "전자제품"),
        ("P1,NA,10.50,2,2024-01-01", None, "NA"),
        ('P1,books,"10.50","2",2024-01-01', None, "books"),  # quoted numbers are numbers
        ("P1,books,-3,2,2024-01-01", None, "books"),
        ("P1,books,10.50,2", "expected 5 comma-separated columns", None),
        ("P1,books,10.50,2,2024-01-01,x", "expected 5 comma-separated columns", None),
        ('P1,"home, garden,10.50,2,2024-01-01', "expected 5 comma-separated columns", None),
        ("", "expected 5 comma-separated columns", None),
        ("P1,books,N/A,2,2024-01-01", "price is not a number", None),
        ("P1,books,1e3,2,2024-01-01", "price is not a number", None),
        ("P1,books, 10.5,2,2024-01-01", "price is not a number", None),
        ("P1,books,10.5,three,2024-01-01", "quantity is not a whole number", None),
        ("P1,books,10.5,2.0,2024-01-01", "quantity is not a whole number", None),
        # the column names: set aside as a header, not counted as malformed
        ("product_id,category,price,quantity,transaction_date", "header line", None),
        ('"Product ID","Category"," Price ","QUANTITY","Date"', "header line", None),
        ("P1,books,price,2,2024-01-01", "price is not a number", None),  # one word alone is no header
        ("P1,books,10.5,2,2024-13-45", None, "books"),  # the date is not read: not checked (docs/workloads)
    ],
)
def test_the_oracles_line_rules(line: str, reason: str | None, category: str | None, tmp_path: Path) -> None:
    found, fields = sales_batch.sales_reject_reason(line)
    assert found == reason
    if category:
        assert fields["category"] == category
    # the vectorised reader (what the oracle runs on large files) applies the same rules
    path = tmp_path / "one.csv"
    path.write_text(line + "\n", encoding="utf-8")
    summary, rejected = sales_batch.summary(path)
    assert rejected["reason"].tolist() == ([reason] if reason else [])
    assert summary["category"].tolist() == ([category] if category else [])


def test_sales_summary_sums_per_category_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("P1,a,1.5,2,d\nP2,b,2.0,1,d\nP3,a,3.0,3,d\nbroken\n", encoding="utf-8")
    summary, rejected = sales_batch.summary(path, chunk_lines=2)
    assert summary.to_dict("records") == [
        {"category": "a", "total_revenue": 12.0, "avg_price": 2.25, "total_quantity": 5, "transaction_count": 2},
        {"category": "b", "total_revenue": 2.0, "avg_price": 2.0, "total_quantity": 1, "transaction_count": 1},
    ]
    assert rejected.to_dict("records") == [
        {"line_number": 4, "raw_line": "broken", "reason": "expected 5 comma-separated columns"}
    ]


def test_first_line_numbers_points_at_the_bad_lines(tmp_path: Path) -> None:
    path = write(tmp_path, rows=100, bad_every=25)
    _, rejected = sales_batch.summary(path)
    assert common.first_line_numbers(path, set(rejected["raw_line"]), limit=3) == [25, 50, 75]


def test_read_csv_dir_keeps_text_and_reads_numbers(tmp_path: Path) -> None:
    (tmp_path / "part-0").write_text('"home, garden",1.5,2,3\nNA,2.5,,1\n', encoding="utf-8")
    (tmp_path / "part-1.csv").write_text('"toys ""deluxe""",1,1,1\n전자제품,4,4,4\n', encoding="utf-8")
    (tmp_path / ".part-2.crc").write_text("not data")
    (tmp_path / "_SUCCESS").write_text("")
    frame = results.read_csv_dir(tmp_path, ["category", "a", "b", "c"])
    assert frame["category"].tolist() == ["home, garden", "NA", 'toys "deluxe"', "전자제품"]
    assert pd.api.types.is_numeric_dtype(frame["b"]) and frame["b"].isna().sum() == 1


def test_read_parquet_dir_skips_files_not_committed_yet(tmp_path: Path) -> None:
    partition = tmp_path / "ymd=20250113" / "hh=00"
    partition.mkdir(parents=True)
    pd.DataFrame({"stt_id": ["ST-1"], "event_cnt": [3]}).to_parquet(partition / "part-0")
    pd.DataFrame({"stt_id": ["ST-2"], "event_cnt": [5]}).to_parquet(partition / ".part-1.inprogress.abc")
    (partition / "_SUCCESS").write_text("")
    frame = results.read_parquet_dir(tmp_path, ("ymd", "hh"))
    assert frame.to_dict("records") == [{"stt_id": "ST-1", "event_cnt": 3, "ymd": "20250113", "hh": "00"}]


def test_an_empty_output_folder_reads_as_no_rows(tmp_path: Path) -> None:
    assert results.read_parquet_dir(tmp_path / "nothing", ("ymd", "hh")).empty
    assert results.read_csv_dir(tmp_path, ["category"]).empty


def test_windows_line_ends_are_read_as_the_engines_read_them(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(b'P1,"home, garden",1.5,2,2024-01-01\r\nP2,a,x,1,2024-01-01\r\n')
    summary, rejected = sales_batch.summary(path)
    assert summary["category"].tolist() == ["home, garden"]
    assert rejected["raw_line"].tolist() == ["P2,a,x,1,2024-01-01"]  # no \r: Flink and Spark drop it too


def test_a_very_long_quoted_field_is_one_field(tmp_path: Path) -> None:
    category = "a, b " * 4000  # 20,000 characters with commas in them
    line = f'P1,"{category}",1.50,2,2024-01-01'
    assert sales_batch.sales_reject_reason(line)[1]["category"] == category
    assert sales_batch.sales_reject_reason(line.replace(",1.50,", ",1.5x,"))[0] == "price is not a number"
