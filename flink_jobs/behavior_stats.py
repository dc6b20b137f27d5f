"""behavior-stats on Flink: user_behaviors (raw JSON) -> counts per (category, behavior) -> upsert-kafka.

Two INSERTs run as one job (a StatementSet) over one source scan: the counts into the
upsert table, the rejected records into the dead-letter topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, fields, jobparts, sqlfiles
from streamlab.settings import DEAD_LETTERS, Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "behavior-stats"


def sql_values(settings: Settings) -> dict[str, object]:
    sink = jobparts.flink_sink_values(settings, "behavior_stats", settings.output_topic)
    return {"OUTPUT_TOPIC": settings.output_topic, **sink}


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    """Register source, parse view and sinks; return the two INSERTs as one statement set."""
    jobparts.flink_raw_source(table_env, settings, "user_behaviors_raw", settings.input_topic, fields.BEHAVIOR)
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_sink", sql_values(settings)))
    table_env.create_temporary_view(
        "user_behaviors_checked", table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_parse"))
    )
    statements = table_env.create_statement_set()
    statements.add_insert("behavior_stats", table_env.sql_query(sqlfiles.load(WORKLOAD, "query")))
    jobparts.flink_dead_letters(table_env, statements, settings, DEAD_LETTERS, "user_behaviors_checked")
    return statements


def explain(settings: Settings) -> str:
    """The optimized plan: where Flink puts the changelog (+I/-U/+U) and the shared source scan."""
    return jobparts.flink_explain(build, settings)


def run(settings: Settings) -> engines.RunningJob:
    """Submit the job; bounded runs finish by themselves, unbounded ones run until stopped."""
    return jobparts.flink_run(build, settings, [settings.input_topic])
