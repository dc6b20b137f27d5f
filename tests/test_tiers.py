"""The guard of the test tiers (tests/tiers.py): every workload of the registry is covered by every tier's
per-workload tests, or the tier names why not; a new workload gets all of them by its registry entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamlab import chaos, lessons, workloads
from streamlab.paths import REPO_ROOT
from tests import tiers
from tests.integration import (
    test_chaos,
    test_cli_flows,
    test_end_to_end,
    test_lessons,
    test_validation,
    test_windowed_messages,
)


def test_every_exemption_names_a_workload_of_the_registry_and_a_reason() -> None:
    for tier, exempt in tiers.EXEMPT.items():
        assert tier in tiers.TIERS
        for name, reason in exempt.items():
            assert name in workloads.WORKLOADS, f"{tier}: {name} is no workload"
            assert len(reason.split()) >= 5, f"{tier}: say why {name} is left out"


def parametrized(test: object) -> list:
    """The values a test is parametrized with."""
    (mark,) = [m for m in test.pytestmark if m.name == "parametrize"]  # type: ignore[attr-defined]
    return list(mark.args[1])


def test_the_fast_tier_runs_every_workload() -> None:
    assert "bounded" not in tiers.EXEMPT
    runs = parametrized(test_end_to_end.test_both_engines_match_pandas_over_the_seeded_demo_input)
    assert runs == list(workloads.WORKLOADS)


def test_every_workload_has_a_demo_and_each_engine_several() -> None:
    demos = parametrized(test_cli_flows.test_demo_accounts_for_every_record_and_matches_the_oracle)
    assert demos == tiers.demo_pairs()
    assert {name for _, name in demos} == set(tiers.covered("demo"))
    assert all(sum(engine == chosen for chosen, _ in demos) >= 3 for engine in tiers.ENGINES)
    assert all(workload.quick_args for workload in workloads.WORKLOADS.values())  # the demos' small input
    # the one exemption: its live test is a demo on both engines
    assert set(tiers.EXEMPT["demo"]) == {"windowed-messages"}
    live = test_windowed_messages.test_live_late_messages_are_routed_by_flink_or_dropped_by_spark
    assert parametrized(live) == list(tiers.ENGINES)


def test_chaos_runs_every_workload_it_can_and_the_exemptions_are_what_it_refuses() -> None:
    refused = set(workloads.WORKLOADS) - set(chaos.supported_workloads())
    assert refused == set(tiers.EXEMPT["chaos"])
    runs = set(parametrized(test_chaos.test_a_kill_and_a_broker_down_lose_nothing))
    assert runs | test_chaos.OWN_RUNS == set(tiers.pairs("chaos")) and not runs & test_chaos.OWN_RUNS
    assert callable(test_chaos.test_an_exactly_once_passthrough_repeats_no_record)  # flink passthrough's own run
    # behavior-stats' kill and restart on both engines: the delivery lesson's
    lessons_run = set(parametrized(test_lessons.test_the_lesson_bears_out_on_the_engine))
    assert {("delivery", "flink"), ("delivery", "spark")} <= lessons_run
    assert lessons.delivery.WORKLOAD == "behavior-stats"


def test_the_validation_matrix_has_a_subject_for_every_workload_not_exempt() -> None:
    assert set(test_validation.SUBJECTS) == set(tiers.covered("validation"))


def test_every_job_outside_a_pipeline_has_a_slow_test() -> None:
    assert set(tiers.OTHER_JOBS) == tiers.jobs_outside_pipelines()
    for (workload, job), module in tiers.OTHER_JOBS.items():
        assert f'"{job}"' in (REPO_ROOT / module).read_text(), f"{module} does not run {workload} --job {job}"


@pytest.mark.parametrize("module", sorted((REPO_ROOT / "tests" / "integration").glob("test_*.py")), ids=str)
def test_every_integration_module_is_in_one_tier(module: Path) -> None:
    text = module.read_text()
    slow = "pytest.mark.slow" in text
    assert slow != (module.name == "test_end_to_end.py"), f"{module.name}: only the end-to-end run is fast"
