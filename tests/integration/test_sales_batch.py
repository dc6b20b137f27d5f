"""sales-batch on both engines, each in its own process, against pandas over the same file.

One seeded CSV with quoted, comma-holding, quote-holding and Korean categories and about 2% malformed
lines is written once. `streamlab check sales-batch` runs Flink (batch mode) and Spark on it; this
test then reads each engine's CSV output itself and compares it with the oracle, and checks that
every malformed line was set aside with its reason. The seed's lenient reader is run too, to show
that it does not agree.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from producers import sales_batch as producer
from streamlab import compare, results, workloads
from streamlab.oracles import sales_batch
from streamlab.settings import Settings
from tests.integration.commands import one_line, streamlab, succeeded

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 6_000
BAD_EVERY = 53  # 113 malformed lines, of all four kinds
WORKLOAD = workloads.get("sales-batch")
JOB = WORKLOAD.job("summary")


# lines a CSV reader must get right, appended to the seeded file: a 20,000-character quoted field,
# spaces around a value, a Windows line end, and a carriage return inside a quoted field
AWKWARD_LINES = [
    'P1,"' + "long, long " * 2000 + '",10.00,1,2024-01-01\n',
    "P2, padded ,10.00,1,2024-01-01\r\n",
    'P3,"cr\rinside",10.00,1,2024-01-01\n',
]
AWKWARD_CATEGORIES = {"long, long " * 2000, " padded ", "cr\rinside"}


@pytest.fixture(scope="module")
def sales_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sales") / "sales.csv"
    producer.write(path, ROWS, seed=11, bad_every=BAD_EVERY, show_progress=False)
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.writelines(AWKWARD_LINES)
    return path


@pytest.fixture(scope="module")
def checked(sales_file: Path) -> tuple[str, Path]:
    """`streamlab check sales-batch` once: both engines, each in its own process, beside pandas."""
    output_dir = sales_file.parent / "out"
    shown = succeeded(streamlab("check", "sales-batch", "--input", str(sales_file), "--output-dir", str(output_dir)))
    return one_line(shown), output_dir


def test_the_file_has_every_awkward_category_and_its_malformed_lines(sales_file: Path) -> None:
    expected, rejected = sales_batch.summary(sales_file)
    assert set(expected["category"]) == set(producer.CATEGORIES) | AWKWARD_CATEGORIES
    assert {"home, garden", 'toys "deluxe"', "전자제품"} <= set(expected["category"])
    assert len(rejected) == ROWS // BAD_EVERY


def test_check_reports_both_engines_agreeing_and_the_malformed_lines(checked: tuple[str, Path]) -> None:
    shown, _ = checked
    for engine in ("flink", "spark"):
        assert f"{engine} summary: agrees with pandas" in shown
    assert f"{ROWS // BAD_EVERY} line(s) set aside in" in shown
    assert f"first at line(s) {BAD_EVERY}, {2 * BAD_EVERY}, {3 * BAD_EVERY}" in shown
    assert "relative tolerance of 1e-09" in shown


@pytest.mark.parametrize("engine", ["flink", "spark"])
def test_engine_output_equals_pandas(engine: str, sales_file: Path, checked: tuple[str, Path]) -> None:
    _, output_dir = checked
    settings = Settings("sales-batch", engine=engine, input_path=sales_file, output_dir=output_dir / engine)
    table = results.read_result(JOB.result, settings)
    expected, expected_rejects = sales_batch.summary(sales_file)
    spec = JOB.result
    diff = compare.differences(
        table, expected, list(spec.key_columns), list(spec.value_columns), rel_tolerance=spec.rel_tolerance
    )
    assert diff.empty, diff.to_string()
    assert list(table.columns) == ["category", "total_revenue", "avg_price", "total_quantity", "transaction_count"]
    rejected = results.read_result(JOB.rejects_spec, settings)
    assert sorted(rejected["raw_line"]) == sorted(expected_rejects["raw_line"])
    assert rejected.groupby("reason").size().to_dict() == expected_rejects.groupby("reason").size().to_dict()
    # every line is either a counted transaction or a rejected line
    assert table["transaction_count"].sum() + len(rejected) == ROWS + len(AWKWARD_LINES)
    assert set(table["category"]) >= AWKWARD_CATEGORIES  # kept whole, with their spaces and \r


def test_the_seeds_lenient_reader_hides_malformed_lines_on_both_engines(sales_file: Path) -> None:
    output_dir = sales_file.parent / "seed-out"
    shown = streamlab("check", "sales-batch", "--job", "seed-csv", "--input", str(sales_file),
                      "--output-dir", str(output_dir))  # fmt: skip
    assert shown.returncode == 2  # it does not agree with pandas: that is the point
    text = one_line(shown.stdout)
    assert "flink seed-csv: differs from pandas" in text and "spark seed-csv: differs from pandas" in text
    good_lines = ROWS + len(AWKWARD_LINES) - ROWS // BAD_EVERY
    for engine in ("flink", "spark"):
        settings = Settings("sales-batch", engine=engine, input_path=sales_file, output_dir=output_dir / engine)
        counted = int(results.read_result(WORKLOAD.job("seed-csv").result, settings)["transaction_count"].sum())
        assert counted > good_lines  # malformed lines were counted as sales (with NULL fields) ...
        assert not results.visible_files(output_dir / engine / "rejected")  # ... and none was set aside


def test_results_prints_a_table_read_back_with_pandas(checked: tuple[str, Path], sales_file: Path) -> None:
    _, output_dir = checked
    shown = one_line(
        succeeded(
            streamlab("results", "sales-batch", "--input", str(sales_file), "--output-dir", str(output_dir / "spark"))
        )  # fmt: skip
    )
    assert 'toys "deluxe"' in shown and "home, garden" in shown and "전자제품" in shown
    assert f"input file: {ROWS + len(AWKWARD_LINES):,} records = counted" in shown and "[all accounted for]" in shown


def test_pandas_reads_what_flink_wrote_as_csv(checked: tuple[str, Path]) -> None:
    """The seed's last step: pd.read_csv on the part files, quoting handled by the CSV reader."""
    _, output_dir = checked
    parts = results.visible_files(output_dir / "flink" / "summary")
    frame = pd.concat(pd.read_csv(p, header=None, names=list(JOB.result.columns)) for p in parts)
    assert 'toys "deluxe"' in set(frame["category"])
