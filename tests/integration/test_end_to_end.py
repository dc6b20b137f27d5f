"""The fast tier's end-to-end run: every workload of the registry on both engines, against pandas.

`streamlab check WORKLOAD`, as a user types it: the workload's producer writes its seeded demo input
(malformed records among it) into fresh topics, or a file; each engine runs the workload's job (every
stage of a pipeline) bounded, each in a process of its own (FLINK-23020), into topics and folders of its
own. The command judges both results against the pandas oracle and exits non-zero on a difference; this
test then reads each engine's result and rejects back itself and holds them to the oracle again, with the
dead letters record by record (position and reason): the command's own verdict is not taken on trust.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streamlab import crosscheck, kafka_admin, workloads
from streamlab.results import UPSERT_TOPIC
from streamlab.run.verdict import judge
from streamlab.settings import Settings
from tests.integration.commands import one_line, streamlab, succeeded
from tests.tiers import ENGINES, covered

pytestmark = pytest.mark.integration
PREFIX = "e2e_"  # the check's topics and folder; a rerun replaces them (they are the lab's)


@pytest.mark.parametrize("name", covered("bounded"))
def test_both_engines_match_pandas_over_the_seeded_demo_input(name: str, kafka_bootstrap: str, tmp_path: Path) -> None:
    workload = workloads.get(name)
    output_dir = tmp_path / "output" if workload.batch else None
    flags = ["--output-dir", str(output_dir)] if output_dir else []
    shown = one_line(
        succeeded(streamlab("check", name, "--topic-prefix", PREFIX, *flags, "--bootstrap-servers", kafka_bootstrap))
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
            if job.result.kind == UPSERT_TOPIC:
                assert_keys_are_json_primary_keys(settings, job)


def assert_keys_are_json_primary_keys(settings: Settings, job: workloads.Job) -> None:
    """Both engines write the key upsert-kafka writes (compact JSON of the key columns), or compaction would
    keep stale rows."""
    records = kafka_admin.read_topic(settings.bootstrap_servers, settings.topic(job.result.role))
    for key, value in kafka_admin.latest_per_key(records).items():
        row = json.loads(value)
        primary = {name: row[name] for name in job.result.key_columns}
        assert key == json.dumps(primary, separators=(",", ":"), ensure_ascii=False).encode(), (key, primary)
