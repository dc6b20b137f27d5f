"""The registry: every built workload names what the CLI, the live view and the oracle rely on."""

from __future__ import annotations

import pytest

from streamlab import oracles, workloads
from streamlab.paths import SQL_DIR

BUILT = [w for w in workloads.WORKLOADS.values() if w.built]


def test_names_are_the_ones_used_everywhere() -> None:
    assert list(workloads.WORKLOADS) == [
        "behavior-stats", "bike-rentals", "sales-batch", "windowed-messages", "strategy-join", "patient-events",
    ]  # fmt: skip


@pytest.mark.parametrize("workload", BUILT, ids=lambda w: w.name)
def test_a_built_workload_is_complete(workload: workloads.Workload) -> None:
    assert workload.key_columns and workload.value_columns
    assert workload.count_column in workload.value_columns  # the live view sums it for accounting
    assert callable(getattr(oracles, workload.module))
    assert (SQL_DIR / workload.name / "query.sql").is_file()
    for engine in ("flink", "spark"):
        job = workload.job(engine)
        assert callable(job.run) and callable(job.explain)
    assert callable(workload.producer().records)
