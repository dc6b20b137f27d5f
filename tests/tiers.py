"""The two test tiers, and which workloads each per-workload test list covers: all of the registry's
(streamlab.workloads.WORKLOADS), but where EXEMPT names why not. tests/test_tiers.py fails when a
workload is left out without a reason, so a new workload gets every test by its registry entry alone.

- make test (fast): lint, the format check, the unit tests, and one bounded run of every workload x
  engine against its pandas oracle, dead letters included (tests/integration/test_end_to_end.py).
- make test-slow: everything else, marked `slow`: chaos, demos, the validation matrix, live windows,
  the jobs outside a pipeline, clusters, listeners, ownership, the tiny bench and the dashboard in Chromium.
"""

from __future__ import annotations

from streamlab import workloads

ENGINES = ("flink", "spark")

EXEMPT: dict[str, dict[str, str]] = {
    "demo": {
        "windowed-messages": "its demo runs on both engines in tests/integration/test_windowed_messages.py, live, "
        "with late messages (the demo tier's run would repeat it without them)",
    },
    "chaos": {
        "sales-batch": "a batch job reads its file to the end and stops: there is no running job to kill",
    },
    "validation": {
        "sales-batch": "file-fed CSV, not JSON: its line rules are tests/test_sales_batch.py's, and its awkward "
        "lines tests/integration/test_sales_batch.py's",
        "passthrough": "its parse step is behavior-stats's (sql/behavior-stats/*_parse.sql): the same cases, sent once",
    },
}
TIERS = ("bounded", "demo", "chaos", "validation")  # "bounded" is the fast tier's; the others are slow

# jobs outside a workload's pipeline (`run --job` runs them), and the slow test module that runs each
OTHER_JOBS = {
    ("bike-rentals", "derive"): "tests/integration/test_bike_rentals.py",
    ("sales-batch", "seed-csv"): "tests/integration/test_sales_batch.py",
}


# the demos run each workload on one engine, the engines taking turns down the registry (the fast tier runs
# every workload on both); these on both, for what differs most between them live: Flink drains its last
# hourly window into files, Spark merges each micro-batch into the hours it touches
DEMO_ON_BOTH = ("bike-rentals",)


def demo_pairs() -> list[tuple[str, str]]:
    """(engine, workload) of the demo tier."""
    chosen = []
    for index, name in enumerate(covered("demo")):
        engines = ENGINES if name in DEMO_ON_BOTH else (ENGINES[index % 2],)
        chosen += [(engine, name) for engine in engines]
    return chosen


def covered(tier: str) -> list[str]:
    """The workloads a tier's per-workload tests run, in registry order."""
    return [name for name in workloads.WORKLOADS if name not in EXEMPT.get(tier, {})]


def pairs(tier: str) -> list[tuple[str, str]]:
    """(engine, workload) for every covered workload on both engines."""
    return [(engine, name) for name in covered(tier) for engine in ENGINES]


def jobs_outside_pipelines() -> set[tuple[str, str]]:
    return {(w.name, j.name) for w in workloads.WORKLOADS.values() for j in w.jobs if j not in w.stages()}
