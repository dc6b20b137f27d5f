"""Independent answers computed with pandas over exactly the records that were produced.

No engine computes its own score: each workload's module re-implements its validation and aggregation
in plain Python/pandas from the raw Kafka records (or the input file), so a bug in the shared SQL shows
up as a difference instead of being repeated on both sides. common.py holds the checks every parse
step makes. The registry (streamlab.workloads) names each job's oracle as "module.function"; `get`
imports it when it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def get(name: str) -> Callable[..., Any]:
    """The oracle "module.function" of this package: (records of each input role, or a file path) ->
    (expected rows, rejected records)."""
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)
