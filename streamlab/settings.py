"""One settings object per run, built from flags, the environment and the workload's defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from streamlab.errors import LabError
from streamlab.paths import RUN_DIR

DEFAULT_BOOTSTRAP = "localhost:9092"
ENGINES = ("flink", "spark")
START_POSITIONS = ("earliest", "latest")


@dataclass(frozen=True)
class Settings:
    """What a producer, a job or a reader needs to know; tests build one directly."""

    workload: str
    engine: str = "flink"
    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    input_topic: str = ""
    output_topic: str = ""
    dead_letter_topic: str = ""
    checkpoint_dir: Path | None = None
    start_from: str = "earliest"
    bounded: bool = False
    parallelism: int = 1
    partitions: int = 3

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise LabError(f"unknown engine {self.engine!r}: choose one of {', '.join(ENGINES)}")
        if self.start_from not in START_POSITIONS:
            raise LabError(f"--from must be earliest or latest, not {self.start_from!r}")
        if self.parallelism < 1 or self.partitions < 1:
            raise LabError("--parallelism and --partitions must be at least 1")

    @property
    def resolved_checkpoint_dir(self) -> Path:
        """Where the engine keeps its checkpoints: the flag, else one folder per engine and workload."""
        return self.checkpoint_dir or RUN_DIR / "checkpoints" / self.engine / self.workload

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)


def bootstrap_from_env(flag_value: str | None) -> str:
    """The flag wins, then KAFKA_BOOTSTRAP_SERVERS, then the embedded cluster's first broker."""
    return flag_value or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP
