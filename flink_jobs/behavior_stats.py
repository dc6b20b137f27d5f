"""behavior-stats on Flink: user_behaviors (raw JSON) -> counts per (category, behavior) -> upsert-kafka.

Two INSERTs run as one job (a StatementSet) over one source scan: the counts into the
upsert table, the rejected records into the dead-letter topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "behavior-stats"


def sql_values(settings: Settings) -> dict[str, object]:
    return {
        "INPUT_TOPIC": settings.input_topic,
        "OUTPUT_TOPIC": settings.output_topic,
        "DEAD_LETTER_TOPIC": settings.dead_letter_topic,
        "BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "GROUP_ID": group_id(settings),
        "STARTUP_MODE": f"{settings.start_from}-offset",
        "BOUNDED_MODE": "latest-offset" if settings.bounded else "unbounded",
    }


def group_id(settings: Settings) -> str:
    """The consumer group Flink commits its read offsets to (on checkpoints): one per input topic."""
    return f"streamlab-flink-{WORKLOAD}-{settings.input_topic}"


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    """Register source, parse view and sinks; return the two INSERTs as one statement set."""
    values = sql_values(settings)
    for ddl in ("flink_source", "flink_sink", "flink_dead_letter_sink"):
        table_env.execute_sql(sqlfiles.load(WORKLOAD, ddl, values))
    checked = table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_parse", values))
    table_env.create_temporary_view("user_behaviors_checked", checked)
    statements = table_env.create_statement_set()
    statements.add_insert("behavior_stats", table_env.sql_query(sqlfiles.load(WORKLOAD, "query", values)))
    statements.add_insert("behavior_dead_letters", table_env.sql_query(sqlfiles.load(WORKLOAD, "dead_letters", values)))
    return statements


def explain(settings: Settings) -> str:
    """The optimized plan: where Flink puts the changelog (+I/-U/+U) and the shared source scan."""
    from pyflink.table.explain_detail import ExplainDetail

    table_env = engines.flink_table_env(settings)
    return build(table_env, settings).explain(ExplainDetail.CHANGELOG_MODE)


def run(settings: Settings) -> engines.RunningJob:
    """Submit the job; bounded runs finish by themselves, unbounded ones run until stopped."""
    table_env = engines.flink_table_env(settings)
    result = build(table_env, settings).execute()
    return engines.FlinkJob(result, settings, group_id(settings), (settings.input_topic,))
