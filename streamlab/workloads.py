"""The registry: workload name -> topics, producer, Flink job, Spark job, oracle, result table.

Jobs and producers are named by module path and imported only when used, so the shared
package never imports a job and adding a workload touches its own files plus one entry here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pandas as pd

from streamlab import oracles
from streamlab.errors import LabError
from streamlab.kafka_admin import Record


@dataclass(frozen=True)
class Workload:
    name: str
    summary: str
    input_topic: str
    output_topic: str
    dead_letter_topic: str = ""
    output_compacted: bool = False
    key_columns: tuple[str, ...] = ()  # the upsert key, for sorting and comparing result tables
    value_columns: tuple[str, ...] = ()  # compared with the oracle
    extra_columns: tuple[str, ...] = ()  # shown but not compared (e.g. when the engine wrote the row)
    count_column: str = ""  # sums to the number of input records the result counts (for accounting)
    module: str = ""  # producers.<module>, flink_jobs.<module>, spark_jobs.<module>
    demo_count: int = 1000
    demo_rate: float = 10.0

    @property
    def table_columns(self) -> list[str]:
        return [*self.key_columns, *self.value_columns, *self.extra_columns]

    @property
    def built(self) -> bool:
        return bool(self.module)

    def _import(self, package: str) -> ModuleType:
        if not self.built:
            raise LabError(f"workload {self.name!r} is not built yet; `streamlab workloads` lists what is")
        return importlib.import_module(f"{package}.{self.module}")

    def producer(self) -> ModuleType:
        return self._import("producers")

    def job(self, engine: str) -> ModuleType:
        return self._import(f"{engine}_jobs")

    def oracle(self) -> Callable[[list[Record]], tuple[pd.DataFrame, pd.DataFrame]]:
        """streamlab.oracles.<module>: records -> (expected table, rejected records)."""
        self._import("producers")  # same "not built yet" message as everywhere else
        return getattr(oracles, self.module)


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "behavior-stats",
            "user events -> counts per (category, behavior) -> upsert topic",
            input_topic="user_behaviors",
            output_topic="behavior_stats",
            dead_letter_topic="user_behaviors_dlq",
            output_compacted=True,
            key_columns=("category", "behavior"),
            value_columns=("behavior_count", "last_event_ts"),
            extra_columns=("update_time",),
            count_column="behavior_count",
            module="behavior_stats",
        ),
        Workload(
            "bike-rentals",
            "station snapshots -> rent/return events -> hourly Parquet by ymd/hh",
            input_topic="bike_station_status",
            output_topic="bike_rentals",
        ),
        Workload(
            "sales-batch",
            "sales CSV -> totals per category in batch mode, read back with pandas",
            input_topic="",
            output_topic="",
        ),
        Workload(
            "windowed-messages",
            "timestamped messages -> 1-minute event-time windows with a watermark",
            input_topic="timestamped_messages",
            output_topic="message_windows",
        ),
        Workload(
            "strategy-join",
            "strategy jobs A-D and a +-5 minute stream-stream join",
            input_topic="C_output",
            output_topic="D_input_ready",
        ),
        Workload(
            "patient-events",
            "CSV replay of patient events, counted by action",
            input_topic="patient_events",
            output_topic="patient_action_counts",
        ),
    )
}


def get(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise LabError(f"unknown workload {name!r}: choose one of {', '.join(WORKLOADS)}") from None
