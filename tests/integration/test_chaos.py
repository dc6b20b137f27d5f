"""Crashes, for every streaming workload on both engines: the job killed with SIGKILL and restarted from its
checkpoint, and, on one engine per workload (they take turns), one of three Kafka brokers killed and brought
back meanwhile (the slow tier).

`streamlab chaos kill-restart ENGINE WORKLOAD --kills 1 --broker-down 2`, as a user runs it, on a 3-broker
embedded cluster of this module's own (replication factor 3, min.insync.replicas 2): the job runs as
`streamlab run` in a process of its own; once it has completed a checkpoint, node 2 is killed; once the
others have dropped it, the job's whole process tree is killed; the job restarts from the same checkpoint
folder with node 2 still down (it must say it resumes), and node 2 comes back (`cluster up`) once it runs.
The command compares the final result with pandas over every record produced and counts what is missing,
wrong and duplicated, and whether every rejected record is in the dead letters; the test reads its table
and exit code as a user would. One run per (engine, workload); where it takes a broker down, that run holds
both faults (a restart against a cluster with a node down): make test-slow has a time budget (docs/testing.md).

Why node 2: it is not node 1, the first address every client tries. Test ports (30092-32699, see
test_cluster.py) lie below the kernel's ephemeral range (32768 and up): inside it, a client's outgoing
connection may get a dead broker's port as its local end and hold it, so the broker cannot bind it again.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from streamlab import cluster, kafka_admin, results, workloads
from tests.integration.commands import one_line, streamlab
from tests.integration.test_cluster import FIRST_BASE_PORT, free_base_port
from tests.tiers import covered, pairs

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Flink flushes its upsert sink (and commits exactly-once transactions) on checkpoints: every 2 s, not 10
ENGINE_FLAGS = {"flink": ("--conf", "execution.checkpointing.interval=2 s"), "spark": ()}
VICTIM = 2
# every workload chaos takes (tests/tiers.py), with the registry's small input: the path a kill and a broker
# down take is the same whatever the count; by hand, `streamlab chaos kill-restart --kills 3` and `chaos
# broker-down` run larger inputs (docs/reliability.md)
# flink passthrough: its exactly-once run below; behavior-stats: `lesson delivery` kills and restarts it on both
# engines (tests/integration/test_lessons.py), so the slow tier does not pay for the same run twice
OWN_RUNS = {("flink", "passthrough"), ("flink", "behavior-stats"), ("spark", "behavior-stats")}
PAIRS = [pair for pair in pairs("chaos") if pair not in OWN_RUNS]


def with_a_broker_down(engine: str, workload: str) -> bool:
    """Which runs take a broker down too: every workload on one engine, the engines taking turns down the
    registry (a node's outage and return cost half a minute a run: the slow tier's budget). Every run kills
    and restarts the job."""
    index = covered("chaos").index(workload)
    return (index % 2 == 0) == (engine == "flink")


def quick_input(workload: str) -> tuple[str, ...]:
    return ("--producer-args", " ".join(workloads.get(workload).quick_args))


@pytest.fixture(scope="module")
def three_brokers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[cluster.ClusterLayout]:
    layout = cluster.ClusterLayout(
        run_dir=tmp_path_factory.mktemp("three-brokers"), base_port=free_base_port(FIRST_BASE_PORT + 1400, brokers=3)
    )
    try:
        cluster.up(layout, brokers=3, progress=lambda _: None)
        yield layout
    finally:
        cluster.down(layout, progress=lambda _: None)


def figure(output: str, measure: str) -> str:
    """The figure of one row of the verdict table (`│ missing │ 0 │ ...`)."""
    found = re.search(rf"│ {re.escape(measure)}\s*│\s*([^│]+?)\s*│", output)
    assert found, f"no row {measure!r} in:\n{output[-3000:]}"
    return found[1]


def leftovers(marker: str) -> list[str]:
    """Processes whose command line names this test's folder: a `streamlab run` the command did not kill."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if any(marker in part for part in process.info["cmdline"] or ()):
            found.append(f"{process.info['pid']}: {' '.join(process.info['cmdline'])[:200]}")
    return found


def chaos_run(
    engine: str,
    workload: str,
    layout: cluster.ClusterLayout,
    checkpoints: Path,
    kills: int,
    *flags: str,
    shown_to: pytest.CaptureFixture[str],
    broker_down: bool = True,
) -> str:
    """`streamlab chaos kill-restart` (`--broker-down 2` with broker_down) on the module's cluster; its output,
    once it passed. One line of figures goes to the terminal even under pytest (docs/reliability.md's table
    comes from them)."""
    started = time.monotonic()
    outage = ("--broker-down", str(VICTIM)) if broker_down else ()
    result = streamlab(
        "chaos", "kill-restart", engine, workload, "--kills", str(kills), *outage,
        "--seed", "5", "--bad-every", "40", "--timeout", "150", "--checkpoint-dir", str(checkpoints),
        *quick_input(workload), *flags, *ENGINE_FLAGS[engine], timeout_s=600,
        # the command's embedded cluster: this module's; a table wide enough that no measure's name is cut
        env={cluster.CLUSTER_DIR_ENV: str(layout.run_dir), "COLUMNS": "240"},
    )  # fmt: skip
    output = result.stdout
    assert result.returncode == 0, f"exit {result.returncode}\n{output[-4000:]}\n{result.stderr[-3000:]}"
    assert figure(output, "kills") == str(kills) and figure(output, "restarts resumed") == f"{kills} of {kills}"
    for measure in ("missing", "extra", "wrong"):
        assert figure(output, measure) == "0", output[-4000:]
    accounted, expected = figure(output, "dead letters accounted for").split(" of ")
    assert accounted == expected and int(expected.replace(",", "")) > 0
    shown = one_line(output)
    assert shown.count("resuming from checkpoint") >= kills, shown[-3000:]
    assert not leftovers(str(checkpoints)), "a killed or restarted run is still there"
    raw = "duplicates in the raw output files" if "raw output files" in shown else "duplicates in the raw output topic"
    down = "no broker down"
    if broker_down:
        assert figure(output, "broker down") == f"node {VICTIM}"
        assert f"restarted node(s) {VICTIM}" in shown and "every partition's ISR full" in shown
        assert all(node.alive for node in cluster.nodes(layout)), f"node {VICTIM} is not back"
        outage_at = re.search(r"SIGKILL at record ([\d,]+), `cluster up` at record ([\d,]+)", shown)
        assert outage_at, shown[-3000:]
        down = (
            f"node {VICTIM} down at record {outage_at[1]}, back at {outage_at[2]} (in sync after "
            f"{figure(output, 'back in sync after')})"
        )
    in_view = figure(output, "duplicated in the final view")
    with shown_to.disabled():
        print(
            f"\n{engine} {workload}: {kills} kill(s) survived, {down}; correct {figure(output, 'correct')}, "
            f"missing, extra and wrong 0; duplicated in the final view {in_view}, {raw} {figure(output, raw)}; "
            f"dead letters {accounted} of {expected}; {time.monotonic() - started:.0f} s"
        )
    return output


@pytest.mark.parametrize(("engine", "workload"), PAIRS)
def test_a_kill_and_a_broker_down_lose_nothing(
    engine: str,
    workload: str,
    three_brokers: cluster.ClusterLayout,
    topic_suffix: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prefix = f"chaos_{engine}_{workload.replace('-', '_')}_{topic_suffix}_"
    output = chaos_run(
        engine, workload, three_brokers, tmp_path / "checkpoints", 1, "--topic-prefix", prefix, shown_to=capsys,
        broker_down=with_a_broker_down(engine, workload),
    )  # fmt: skip
    if workload == "bike-rentals":
        # Flink commits files on checkpoints; Spark's foreachBatch skips a partition a replayed batch id wrote
        assert figure(output, "duplicates in the raw output files") == "0"
    if workload == "strategy-join":
        assert figure(output, "records produced") == "600"  # 150 per strategy, A to D
        # the restart resumed both stages, each from its own folder below the one named
        shown = one_line(output)
        assert "strategies: resuming from checkpoint" in shown and "join: resuming from checkpoint" in shown


def test_an_exactly_once_passthrough_repeats_no_record(
    three_brokers: cluster.ClusterLayout, topic_suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--delivery exactly-once` on Flink, killed twice with a broker down: not one record twice.

    Passthrough writes an append-only topic, where an at-least-once sink's restart shows most plainly: every
    record it wrote after the last checkpoint is written again (tens of repeats per run, see the README). With
    exactly-once, its sinks write in Kafka transactions committed when a checkpoint completes; a restart
    commits what the checkpoint had prepared and aborts what the killed run left open. The command counts the
    raw-topic repeats over the output read read_committed, as any consumer of an exactly-once sink must read
    it; the test then reads the topics itself, with both isolation levels."""
    prefix = f"eo_{topic_suffix}_"
    output = chaos_run(
        "flink", "passthrough", three_brokers, tmp_path / "checkpoints", 2,
        "--delivery", "exactly-once", "--topic-prefix", prefix, shown_to=capsys,
    )  # fmt: skip
    assert "(exactly-once)" in one_line(output)
    assert figure(output, "records produced") == "400"
    assert figure(output, "duplicated in the final view") == "0"
    assert figure(output, "duplicates in the raw output topic") == "0"
    rejects = 400 // 40
    assert figure(output, "dead letters accounted for") == f"{rejects} of {rejects}"
    assert "0 written twice, 0 unexpected" in one_line(output)  # the dead-letter sink is exactly-once too

    bootstrap = three_brokers.bootstrap_servers(3)
    topics = workloads.get("passthrough").topic_names(prefix)
    intents = kafka_admin.read_topic(bootstrap, topics["output"], read_committed=True)
    values = [json.loads(r.value) for r in intents if r.value]
    positions = {(value["source_partition"], value["source_offset"]) for value in values}
    assert len(positions) == len(values) == len(intents), "an input record written twice"
    # transactional writes leave a commit (or abort) marker per partition per transaction, at an offset of
    # its own: offsets beyond the committed records show the sink really wrote in transactions
    assert sum(kafka_admin.end_offsets(bootstrap, topics["output"]).values()) > len(intents)
    # so the dead letters are counted by record, not by offset (streamlab.run.lifecycle.count_rejects): one each
    assert results.committed_records(bootstrap, topics["dead_letters"]) == rejects
    assert results.topic_size(bootstrap, topics["dead_letters"]) > rejects
    # what the killed runs left open and their restarts aborted, seen by a read_uncommitted reader only
    everything = kafka_admin.read_topic(bootstrap, topics["output"], read_committed=False)
    print(f"flink exactly-once passthrough: {len(intents)} committed, {len(everything) - len(intents)} aborted")
