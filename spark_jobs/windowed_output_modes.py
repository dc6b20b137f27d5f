"""What Spark's three output modes emit for the windowed-messages query, micro-batch by micro-batch.

Shown by `streamlab explain spark windowed-messages`. The input is fixed and tiny so the output can
be read line by line: three micro-batches of messages (a file source reading one file per batch),
the third holding a message whose window the watermark has already closed. The same parse and
window SQL as the job runs on it three times, once per output mode, into foreachBatch, which
records what each micro-batch emitted.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from streamlab import jobparts, sqlfiles

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

WORKLOAD = "windowed-messages"
MODES = ("complete", "update", "append")
# one list per micro-batch; after each, the watermark becomes its newest event time minus one minute
BATCHES = (
    ["2025-04-21 14:00:10", "2025-04-21 14:00:50", "2025-04-21 14:01:20"],  # -> 14:00:20
    ["2025-04-21 14:00:40", "2025-04-21 14:02:30"],  # 14:00:40: out of order, on time      -> 14:01:30
    # 14:00:30: its window ended at 14:01, behind this batch's watermark (14:01:30); Spark still counts
    # it, because it drops input by the watermark of the batch before (14:00:20), see the README
    ["2025-04-21 14:00:30", "2025-04-21 14:03:10"],  # -> 14:02:10
    ["2025-04-21 14:00:45", "2025-04-21 14:03:40"],  # 14:00:45: behind 14:01:30 as well: dropped
)


FIRST_MTIME = 1_745_244_000  # any fixed time: only the order matters


def write_batches(folder: Path) -> None:
    """One JSON-lines file per micro-batch, named so they are read in order."""
    folder.mkdir(parents=True, exist_ok=True)
    number = 0
    for index, stamps in enumerate(BATCHES):
        lines = []
        for stamp in stamps:
            lines.append(json.dumps({"id": number, "message": f"테스트 메시지 {number}", "timestamp": stamp}))
            number += 1
        path = folder / f"batch-{index}.json"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        # the file source takes the oldest files first, by modification time: make the order explicit
        os.utime(path, (FIRST_MTIME + index, FIRST_MTIME + index))


def window_counts(spark: SparkSession, folder: Path) -> DataFrame:
    """The job's parse and window SQL over the files instead of Kafka (no partition or offset there)."""
    records = (
        spark.readStream.option("maxFilesPerTrigger", 1)
        .text(str(folder))
        .selectExpr(
            "value AS payload",
            "CAST(NULL AS STRING) AS kafka_topic",
            "CAST(NULL AS INT) AS kafka_partition",
            "CAST(NULL AS BIGINT) AS kafka_offset",
        )
    )
    jobparts.spark_envelope(spark, records, "messages_raw")
    spark.sql(sqlfiles.load(WORKLOAD, "spark_parse")).createOrReplaceTempView("messages_checked")
    spark.sql(sqlfiles.load(WORKLOAD, "on_time")).createOrReplaceTempView("messages_on_time")
    return spark.sql(sqlfiles.load(WORKLOAD, "spark_windows"))


def emitted(spark: SparkSession, folder: Path, mode: str, checkpoint: Path) -> list[tuple[int, list[str], str, int]]:
    """(batch id, the rows it wrote, the watermark it ran with, rows it dropped as late) per micro-batch."""
    batches: list[tuple[int, list[str]]] = []

    def keep(frame: DataFrame, batch_id: int) -> None:
        rows = sorted(f"{r.window_start[11:16]}-{r.window_end[11:16]} = {r.message_count}" for r in frame.collect())
        batches.append((batch_id, rows))

    query = (
        window_counts(spark, folder)
        .writeStream.outputMode(mode)
        .foreachBatch(keep)
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    watermarks = {p.batchId: _clock(p.eventTime.get("watermark", "")) for p in query.recentProgress}
    dropped = {p.batchId: sum(o.numRowsDroppedByWatermark for o in p.stateOperators) for p in query.recentProgress}
    return [(batch_id, rows, watermarks.get(batch_id, "?"), dropped.get(batch_id, 0)) for batch_id, rows in batches]


def describe(spark: SparkSession) -> str:
    """Each mode's micro-batches as text: what a sink receives from it."""
    lines = ["What each Spark output mode emits for this query (1-minute windows, 1-minute watermark):"]
    lines += [f"  input batch {i}: {', '.join(stamp[11:] for stamp in stamps)}" for i, stamps in enumerate(BATCHES)]
    with tempfile.TemporaryDirectory(prefix="streamlab-modes-") as scratch:
        folder = Path(scratch) / "input"
        write_batches(folder)
        for mode in MODES:
            lines.append(f"outputMode({mode!r}):")
            for batch_id, rows, watermark, dropped in emitted(spark, folder, mode, Path(scratch) / f"ckpt-{mode}"):
                late = f", dropped {dropped} late row(s)" if dropped else ""
                wrote = "; ".join(rows) if rows else "(nothing)"
                lines.append(f"  batch {batch_id} (watermark {watermark}{late}): {wrote}")
    return "\n".join(lines)


def _clock(watermark: str) -> str:
    """'2025-04-21T14:01:30.000Z' -> '14:01:30'; before any event the watermark is the epoch: 'none'."""
    return "none" if not watermark or watermark.startswith("1970") else watermark[11:19]
