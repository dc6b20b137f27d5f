"""patient-events on Flink: replayed CSV rows (JSON) -> events counted by action -> upsert-kafka.

One job (a StatementSet over one source scan): the counts into the upsert table keyed by action,
the rows without an action into the dead-letter topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, fields, jobparts, sqlfiles
from streamlab.settings import DEAD_LETTERS, Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "patient-events"


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    jobparts.flink_raw_source(table_env, settings, "patient_events_raw", settings.input_topic, fields.PATIENT_EVENT)
    sink = {
        "OUTPUT_TOPIC": settings.output_topic,
        **jobparts.flink_sink_values(settings, "patient_action_counts", settings.output_topic),
    }
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_sink", sink))
    checked = table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_parse"))
    table_env.create_temporary_view("patient_events_checked", checked)
    statements = table_env.create_statement_set()
    statements.add_insert("patient_action_counts", table_env.sql_query(sqlfiles.load(WORKLOAD, "query")))
    jobparts.flink_dead_letters(table_env, statements, settings, DEAD_LETTERS, "patient_events_checked")
    return statements


def explain(settings: Settings) -> str:
    """The plan: a GroupAggregate whose output is an update stream (changelog mode [I,UA] or [I,UB,UA])."""
    return jobparts.flink_explain(build, settings)


def run(settings: Settings) -> engines.RunningJob:
    return jobparts.flink_run(build, settings, [settings.input_topic])
