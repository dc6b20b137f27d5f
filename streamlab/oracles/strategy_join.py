"""strategy-join: the rules of sql/strategy-join/*.sql (the strategies' rule and the 5-minute join), in Python."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pandas as pd

from streamlab.errors import LabError
from streamlab.kafka_admin import Record
from streamlab.oracles.common import MAX_NUMBER, clock, field_reason, json_object, round_trips, split

STRATEGY_COLUMNS = ["strategy", "key", "ts", "value", "result"]

PAIR_COLUMNS = ["key", "c_ts", "d_ts", "c_result", "d_value"]

JOIN_BOUND = timedelta(minutes=5)


def _strategy_fields(
    raw: bytes | None, strings: tuple[str, ...], number: str, accept: Callable[[float], bool]
) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, fields): a JSON object with text fields, one number `accept`s and a timestamp ts."""
    reason, record = json_object(raw)
    reason = reason or field_reason(record, strings=strings, numbers=(number,))
    if reason:
        return reason, {}
    value = float(record[number])  # a DOUBLE, as both engines cast it (1e400 is infinite)
    if not accept(value):
        return f"bad number: {number}", {}
    if not round_trips(record["ts"]):
        return "bad timestamp: ts", {}
    return None, {**{name: record[name] for name in strings}, number: value}


def strategy_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, fields): the checks of sql/strategy-join/*_parse.sql in their order."""
    return _strategy_fields(raw, ("strategy", "key", "ts"), "value", lambda value: abs(value) < MAX_NUMBER)


def strategy_result(value: float) -> float:
    """The seed's rule: below 30 doubled; 30 to 60, both included, x1.5 + 10; above 60 squared / 100."""
    if value < 30:
        return value * 2
    if value <= 60:
        return value * 1.5 + 10
    return value * value / 100


def outputs(*inputs: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per valid record of the strategy inputs with its result, rejected records)."""
    valid, rejected = split([record for records in inputs for record in records], strategy_reject_reason)
    if valid.empty:
        return pd.DataFrame(columns=STRATEGY_COLUMNS), rejected
    _require_unique(valid, ["strategy", "key", "ts"])
    table = valid.assign(result=[strategy_result(value) for value in valid["value"]])
    return table[STRATEGY_COLUMNS].sort_values(["strategy", "key", "ts"], ignore_index=True), rejected


def _require_unique(records: pd.DataFrame, identity: list[str]) -> None:
    """Rows are compared by identity: two input records with one identity (two producer runs into the
    same topics) would make a correct result look wrong, so say so instead."""
    repeated = records[records.duplicated(identity, keep=False)]
    if not repeated.empty:
        first = ", ".join(str(repeated.iloc[0][name]) for name in identity)
        raise LabError(
            f"{len(repeated):,} input records share their ({', '.join(identity)}), e.g. ({first}): "
            "two producer runs into the same topics, or a stage that wrote its output twice; "
            "produce into fresh topics (--topic-prefix) and run with --bounded"
        )


def strategy_output_reject_reason(raw: bytes | None) -> tuple[str | None, dict[str, Any]]:
    """(reason or None, fields): the checks the join makes on C_output (sql/strategy-join/*_output_parse.sql)."""
    return _strategy_fields(raw, ("key", "ts"), "result", math.isfinite)  # any finite result


def pairs(c_outputs: list[Record], d_inputs: list[Record]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every pair of a C result and a D record with the same key, at most 5 minutes apart, rejected
    records of both inputs): the inner join of sql/strategy-join/join.sql, bounds included."""
    c_side, c_rejected = split(c_outputs, strategy_output_reject_reason)
    d_side, d_rejected = split(d_inputs, strategy_reject_reason)
    # an empty side would turn the position columns into objects: leave it out
    rejected = pd.concat(
        [side for side in (c_rejected, d_rejected) if not side.empty] or [c_rejected], ignore_index=True
    )
    if c_side.empty or d_side.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS), rejected
    _require_unique(c_side, ["key", "ts"])
    _require_unique(d_side, ["key", "ts"])
    pairs = c_side[["key", "ts", "result"]].merge(d_side[["key", "ts", "value"]], on="key", suffixes=("_c", "_d"))
    # datetime, not pd.to_datetime: the engines take years (0001) pandas' nanosecond clock cannot hold
    near = [abs(clock(d) - clock(c)) <= JOIN_BOUND for c, d in zip(pairs["ts_c"], pairs["ts_d"], strict=True)]
    pairs = pairs.loc[pd.Series(near, index=pairs.index, dtype=bool)].rename(
        columns={"ts_c": "c_ts", "ts_d": "d_ts", "result": "c_result", "value": "d_value"}
    )
    return pairs[PAIR_COLUMNS].sort_values(["key", "c_ts", "d_ts"], ignore_index=True), rejected
