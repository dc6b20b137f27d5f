"""What each streaming workload's JSON records must hold, as Flink's source format checks it with one parse.

The rules go to the `streamlab-json` format (jars/checks: RecordCheck) through the source table's options
(sql/shared/flink_raw_source.sql), and to the bench's relay, which applies behavior-stats's. They are checked
in the order given: every required field present (a JSON null is missing), then the JSON types (strings and
timestamps, then numbers), then the ranges. Spark's parse steps (sql/*/spark_parse.sql) state the same rules in
its SQL, and the pandas oracles (streamlab/oracles/) in Python: the validation tests hold all three to one verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

KINDS = ("string", "string?", "timestamp", "timestamp_ms", "number", "double", "count")


@dataclass(frozen=True)
class Field:
    """A JSON field, its kind (one of KINDS: RecordCheck says what each accepts) and the source column that
    holds its value, NULL where the field fails its own check (the field's name unless given)."""

    name: str
    kind: str
    column: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}")

    @property
    def column_name(self) -> str:
        return self.column or self.name

    @property
    def column_type(self) -> str:
        return {"number": "DOUBLE", "double": "DOUBLE", "count": "BIGINT"}.get(self.kind, "STRING")


def rules(fields: Sequence[Field]) -> str:
    """The format's own words: "category:string, ts:timestamp_ms, ..." """
    return ", ".join(f"{field.name}:{field.kind}" for field in fields)


BEHAVIOR = (  # behavior-stats and passthrough (which runs behavior-stats's parse step)
    Field("category", "string"),
    Field("behavior", "string"),
    Field("ts", "timestamp_ms", column="ts_text"),
    Field("user_id", "string?"),
    Field("item_id", "string?"),
)
PATIENT_EVENT = (Field("action", "string"),)
MESSAGE = (Field("timestamp", "timestamp", column="event_time"),)  # windowed-messages
_BIKE_TEXTS = (Field("stt_id", "string"), Field("stt_nm", "string"), Field("crt_dttm", "timestamp"))
_BIKE_PLACE = (Field("stt_lttd", "string?"), Field("stt_lgtd", "string?"))
BIKE_EVENT = (*_BIKE_TEXTS, *(Field(name, "count") for name in ("rent_cnt", "return_cnt", "lst_prk_cnt")), *_BIKE_PLACE)
BIKE_SNAPSHOT = (*_BIKE_TEXTS, Field("tot_prk_cnt", "count"), *_BIKE_PLACE)
STRATEGY_INPUT = (  # A_input..D_input
    Field("strategy", "string"),
    Field("key", "string"),
    Field("ts", "timestamp", column="event_time"),
    Field("value", "number"),
)
STRATEGY_OUTPUT = (Field("key", "string"), Field("ts", "timestamp", column="event_time"), Field("result", "double"))
