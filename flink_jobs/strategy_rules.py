"""strategy-join on Flink, stage 1: A_input..D_input -> the seed's rule on `value` -> A_output..D_output.

One job (a StatementSet over one source scan of the four topics): valid records through the rule
into the Kafka table that writes each row to the output topic of its input topic, rejected ones
into the dead-letter topic with their reason and source topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, fields, jobparts, sqlfiles
from streamlab.settings import DEAD_LETTERS, Settings
from streamlab.workloads import STRATEGY_INPUTS, STRATEGY_OUTPUTS

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "strategy-join"
# the source computes ts from event_time (flink_parse.sql reads it from there); its watermark is declared
# but unused here
TS = jobparts.EventTime("ts", "event_time", watermark_minutes=1)


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    inputs = [settings.topic(role) for role in STRATEGY_INPUTS]
    jobparts.flink_event_time_source(table_env, settings, "strategy_inputs_raw", inputs, fields.STRATEGY_INPUT, TS)
    outputs = [settings.topic(role) for role in STRATEGY_OUTPUTS]
    sink = {"OUTPUT_TOPICS": ";".join(outputs), **jobparts.flink_sink_values(settings, "strategy_outputs", outputs)}
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_outputs_sink", sink))
    checked = table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_parse", {"RAW_TABLE": "strategy_inputs_raw"}))
    table_env.create_temporary_view("strategy_inputs_checked", checked)
    statements = table_env.create_statement_set()
    rule = sqlfiles.load(WORKLOAD, "rule", jobparts.topic_values(settings, STRATEGY_INPUTS + STRATEGY_OUTPUTS))
    statements.add_insert("strategy_outputs", table_env.sql_query(rule))
    jobparts.flink_dead_letters(table_env, statements, settings, DEAD_LETTERS, "strategy_inputs_checked")
    return statements


def explain(settings: Settings) -> str:
    """The plan: one Kafka scan of four topics, a Calc (parse + rule), two Kafka sinks; no state."""
    return jobparts.flink_explain(build, settings)


def run(settings: Settings) -> engines.RunningJob:
    return jobparts.flink_run(build, settings, [settings.topic(role) for role in STRATEGY_INPUTS])
