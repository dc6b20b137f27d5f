"""strategy-join on Flink, stage 2: C_output joined with D_input within 5 minutes -> D_input_ready.

One job (a StatementSet): both topics through their parse steps, the valid rows into the interval
join (sql/strategy-join/join.sql) and its pairs into D_input_ready; the rejected rows of either
side into the join's dead-letter topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, fields, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "strategy-join"
# records arrive up to 30 s out of order: a 1-minute watermark delay loses none of them
TS = jobparts.EventTime("ts", "event_time", watermark_minutes=1)
REJECTS = "ready_dead_letters"


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    c_topic, d_topic = settings.topic("c_output"), settings.topic("d_input")
    jobparts.flink_event_time_source(table_env, settings, "c_outputs_raw", c_topic, fields.STRATEGY_OUTPUT, TS)
    jobparts.flink_event_time_source(table_env, settings, "d_inputs_raw", d_topic, fields.STRATEGY_INPUT, TS)
    ready = settings.topic("ready")
    sink = {"READY_TOPIC": ready, **jobparts.flink_sink_values(settings, "ready_pairs", ready)}
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_ready_sink", sink))
    views = {
        "c_outputs_checked": sqlfiles.load(WORKLOAD, "flink_output_parse"),
        "d_inputs_checked": sqlfiles.load(WORKLOAD, "flink_parse", {"RAW_TABLE": "d_inputs_raw"}),
        "c_results": sqlfiles.load(
            WORKLOAD, "join_sides", {"CHECKED_VIEW": "c_outputs_checked", "VALUE_COLUMN": "`result`"}
        ),
        "d_inputs": sqlfiles.load(
            WORKLOAD, "join_sides", {"CHECKED_VIEW": "d_inputs_checked", "VALUE_COLUMN": "`value`"}
        ),
    }
    for name, query in views.items():
        table_env.create_temporary_view(name, table_env.sql_query(query))
    statements = table_env.create_statement_set()
    statements.add_insert("ready_pairs", table_env.sql_query(sqlfiles.load(WORKLOAD, "join")))
    for checked in ("c_outputs_checked", "d_inputs_checked"):
        jobparts.flink_dead_letters(table_env, statements, settings, REJECTS, checked)
    return statements


def explain(settings: Settings) -> str:
    """The plan: IntervalJoin(windowBounds=[isRowTime=true, leftLowerBound=-300000, leftUpperBound=300000, ...]):
    the bounds in milliseconds by which the watermark clears each side's state."""
    return jobparts.flink_explain(build, settings)


def run(settings: Settings) -> engines.RunningJob:
    return jobparts.flink_run(build, settings, [settings.topic("c_output"), settings.topic("d_input")])
