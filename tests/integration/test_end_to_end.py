"""The fast tier's end-to-end run: every workload of the registry on both engines, against pandas.

`streamlab check WORKLOAD`, as a user types it: the workload's producer writes its seeded demo input
(malformed records among it) into fresh topics, or a file; each engine runs the workload's job (every
stage of a pipeline) bounded, each in a process of its own (FLINK-23020), into topics and folders of its
own. The command judges both results against the pandas oracle and exits non-zero on a difference; this
test then reads each engine's result and rejects back itself and holds them to the oracle again: through
the lab's comparison, and with pandas' own frame comparison and the dead letters record by record
(position and reason), so that neither the command's verdict nor streamlab.compare is taken on trust.

For two workloads the command is `streamlab compare` instead, which runs the same check and then writes the
engines' comparison page (docs/ENGINES.md's generator) from it: the page is checked here too, at no extra run.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from streamlab import crosscheck, kafka_admin, plans, results, workloads
from streamlab.results import UPSERT_TOPIC
from streamlab.run.verdict import judge
from streamlab.settings import Settings
from tests.integration.commands import one_line, read_letters, same_rejects, streamlab, succeeded
from tests.tiers import ENGINES, covered

pytestmark = pytest.mark.integration
PREFIX = "e2e_"  # the check's topics and folder; a rerun replaces them (they are the lab's)
COMPARED = ("behavior-stats", "windowed-messages")  # run through `streamlab compare`, which checks and writes a page
PAGE_PARTS = ("### The SQL", "**Flink's plan**", "**Spark's plan**", "**Changelog and output mode.**", "**State**",
              "**Delivery.**", "**Results against pandas**", "**Figures**")  # fmt: skip


@pytest.mark.parametrize("name", covered("bounded"))
def test_both_engines_match_pandas_over_the_seeded_demo_input(name: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    workload = workloads.get(name)
    output_dir = tmp_path / "output" if workload.batch else None
    flags = ["--output-dir", str(output_dir)] if output_dir else []
    started = time.time()
    if name in COMPARED:
        flags += ["--out", str(tmp_path / "ENGINES.md")]
    command = "compare" if name in COMPARED else "check"
    shown = one_line(
        succeeded(streamlab(command, name, "--topic-prefix", PREFIX, *flags, "--bootstrap-servers", kafka_bootstrap))
    )
    per_engine = crosscheck.engine_settings(
        Settings(name, bootstrap_servers=kafka_bootstrap), workload, PREFIX, output_dir=output_dir
    )
    for engine in ENGINES:
        for job in workload.stages():
            assert f"{engine} {job.name}: agrees with pandas" in shown
            settings = crosscheck.stage_settings(per_engine[engine], job)
            verdict = judge(settings, job)  # read back here: the result, the rejects, pandas over the input
            assert verdict.passed, f"{engine} {job.name}: {verdict.rows.words()}; {verdict.dead_letters.words()}"
            assert verdict.rows.correct == len(verdict.expected) > 0
            if job.rejects and job is workload.job():  # the demo input holds malformed records: each one judged
                assert verdict.dead_letters.accounted == verdict.dead_letters.expected > 0
            assert_equal_to_pandas_by_hand(settings, job)  # the lab's comparison is not taken on trust either
            if job.result.kind == UPSERT_TOPIC:
                assert_keys_are_json_primary_keys(settings, job)
    if name in COMPARED:
        assert_the_page_shows_the_runs(workload, (tmp_path / "ENGINES.md").read_text(), started)


def assert_the_page_shows_the_runs(workload: workloads.Workload, page: str, started: float) -> None:
    """Every part of the workload's section is there; both plans are the ones this check's runs wrote (files newer
    than the test, Spark's naming this check's own checkpoint folder), and the page says both match pandas."""
    section = page.split(f"## {workload.name}\n", 1)[1]
    for part in PAGE_PARTS:
        assert part in section, f"{part} missing from the page's {workload.name} section"
    assert re.search(rf"\| \[{workload.name}\]\(#{workload.name}\) \| matches / matches \|", page), page[:2000]
    for job in workload.stages():
        written = {engine: crosscheck.plan_path(workload, PREFIX, engine, job) for engine in ENGINES}
        assert all(path.stat().st_mtime >= started for path in written.values())
        flink, spark = (path.read_text() for path in written.values())
        assert "== Optimized Physical Plan ==" in flink and plans.flink_trimmed(flink) in section
        assert "changelogMode=[" in plans.flink_trimmed(flink)
        assert f"checkpoint = .run/check/{PREFIX}{workload.name}/checkpoints/spark/" in plans.spark_trimmed(spark)
        assert plans.spark_trimmed(spark) in section
        assert "StateStoreSave" in spark and "Update" in plans.spark_output_modes(spark)
    assert "rows; 0 differ;" in section, section


def assert_equal_to_pandas_by_hand(settings: Settings, job: workloads.Job) -> None:
    """The result and the rejects against the oracle with pandas' own frame comparison, not streamlab.compare:
    the rows sorted by key, the values equal (floats within the result's tolerance), every rejected record
    there with the oracle's reason."""
    if job.batch:
        expected, rejects = job.oracle_function()(settings.required_input_path())
    else:
        inputs = [kafka_admin.read_topic(settings.bootstrap_servers, settings.topic(role)) for role in job.input_roles]
        expected, rejects = job.oracle_function()(*inputs)
    spec, columns = job.result, [*job.result.key_columns, *job.result.value_columns]
    table = results.read_result(spec, settings)
    ours, theirs = (
        frame.reindex(columns=columns).sort_values(list(spec.key_columns), ignore_index=True)
        for frame in (table, expected)
    )
    exact = not spec.rel_tolerance
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, check_exact=exact, rtol=spec.rel_tolerance or 1e-5)
    found = results.read_result(job.rejects_spec, settings) if job.rejects_spec else pd.DataFrame()
    if job.batch:
        lines = [sorted(zip(frame["raw_line"], frame["reason"], strict=True)) for frame in (found, rejects)]
        assert lines[0] == lines[1]
    elif job.rejects:
        assert same_rejects(read_letters(settings.bootstrap_servers, settings.topic(job.rejects)), rejects)


def assert_keys_are_json_primary_keys(settings: Settings, job: workloads.Job) -> None:
    """Both engines write the key upsert-kafka writes (compact JSON of the key columns), or compaction would
    keep stale rows."""
    records = kafka_admin.read_topic(settings.bootstrap_servers, settings.topic(job.result.role))
    for key, value in kafka_admin.latest_per_key(records).items():
        row = json.loads(value)
        primary = {name: row[name] for name in job.result.key_columns}
        assert key == json.dumps(primary, separators=(",", ":"), ensure_ascii=False).encode(), (key, primary)
