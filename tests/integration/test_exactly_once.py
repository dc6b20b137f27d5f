"""`--delivery exactly-once` on Flink: passthrough killed twice with SIGKILL, and not one record twice.

Passthrough writes an append-only topic, where an at-least-once sink's restart shows most plainly: every
record it wrote after the last checkpoint is written again (tens of repeats per run, see the README). With
exactly-once, its sinks write in Kafka transactions committed when a checkpoint completes; a restart commits
what the checkpoint had prepared and aborts what the killed run left open. `streamlab chaos kill-restart`
runs the job, kills it, restarts it and compares the result with the pandas oracle over every record
produced; its raw-topic repeats are counted over the output topic read read_committed, as any consumer of
an exactly-once sink must read it. The test then reads the topics itself, with both isolation levels.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from streamlab import kafka_admin, results, workloads
from tests.integration.commands import one_line, streamlab
from tests.integration.test_chaos import figure, leftovers

pytestmark = pytest.mark.integration

COUNT, BAD_EVERY = 1200, 40
# the longest wait for one step (a cold JVM's first checkpoint): generous, the machine may be shared
STEP_TIMEOUT_S = 300
# exactly-once output becomes visible when a checkpoint completes: every 2 s keeps each wait short
CHECKPOINTS = ("--conf", "execution.checkpointing.interval=2 s")


def test_two_kills_of_an_exactly_once_passthrough_repeat_no_record(
    kafka_bootstrap: str, topic_suffix: str, tmp_path: Path
) -> None:
    checkpoints = tmp_path / "checkpoints"
    prefix = f"eo_{topic_suffix}_"
    started = time.monotonic()
    result = streamlab(
        "chaos", "kill-restart", "flink", "passthrough", "--delivery", "exactly-once", "--kills", "2",
        "--seed", "5", "--count", str(COUNT), "--rate", "200", "--bad-every", str(BAD_EVERY),
        "--timeout", str(STEP_TIMEOUT_S), "--checkpoint-dir", str(checkpoints), "--topic-prefix", prefix,
        "--bootstrap-servers", kafka_bootstrap,
        *CHECKPOINTS, timeout_s=900,
    )  # fmt: skip
    output = result.stdout
    assert result.returncode == 0, f"exit {result.returncode}\n{output[-4000:]}\n{result.stderr[-3000:]}"
    assert "(exactly-once)" in one_line(output)
    assert figure(output, "kills") == "2" and figure(output, "restarts resumed") == "2 of 2"
    assert figure(output, "records produced") == f"{COUNT:,}"
    assert figure(output, "lost") == "0" and figure(output, "wrong") == "0"
    assert figure(output, "duplicated in the final view") == "0"
    assert figure(output, "duplicates in the raw output topic") == "0"
    rejects = COUNT // BAD_EVERY
    assert figure(output, "dead letters accounted for") == f"{rejects} of {rejects}"
    assert "0 written twice, 0 unexpected" in one_line(output)  # the dead-letter sink is exactly-once too
    assert not leftovers(str(checkpoints)), "a killed or restarted run is still there"

    topics = workloads.get("passthrough").topic_names(prefix)
    intents = kafka_admin.read_topic(kafka_bootstrap, topics["output"], read_committed=True)
    positions = [json.loads(r.value)["source_offset"] for r in intents if r.value]
    partitions = [json.loads(r.value)["source_partition"] for r in intents if r.value]
    assert len(set(zip(partitions, positions, strict=True))) == len(intents), "an input record written twice"
    # transactional writes leave a commit (or abort) marker per partition per transaction, at an offset of
    # its own: offsets beyond the committed records show the sink really wrote in transactions
    assert sum(kafka_admin.end_offsets(kafka_bootstrap, topics["output"]).values()) > len(intents)
    # so the dead letters are counted by record, not by offset (runner.count_rejects): one each
    assert results.committed_records(kafka_bootstrap, topics["dead_letters"]) == rejects
    assert results.topic_size(kafka_bootstrap, topics["dead_letters"]) > rejects
    # what the killed runs left open and their restarts aborted, seen by a read_uncommitted reader only
    everything = kafka_admin.read_topic(kafka_bootstrap, topics["output"], read_committed=False)
    print(
        f"flink exactly-once passthrough: {len(intents)} committed intents, {len(everything) - len(intents)} "
        f"aborted records visible read_uncommitted; chaos took {time.monotonic() - started:.0f} s"
    )
