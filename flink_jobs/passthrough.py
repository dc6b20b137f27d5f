"""passthrough on Flink: user events (raw JSON) -> behavior-stats's parse -> purchase intents -> Kafka.

A stateless job: each record is parsed, kept or not, and projected on its own, so the plan is one
source scan, a Calc per sink and two Kafka sinks, all insert-only ([I]), with no state. Two INSERTs
run as one job (a StatementSet) over that one scan: the purchase intents into an append-only Kafka
table keyed by user_id, the rejected records into the dead-letter topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, fields, jobparts, sqlfiles
from streamlab.settings import DEAD_LETTERS, Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "passthrough"
# the parse step and its fields are behavior-stats's own, not a copy: the same input gets the same verdicts
# and the same reasons, so this job's dead letters are the ones behavior-stats writes for the same records
PARSE_WORKLOAD = "behavior-stats"


def sql_values(settings: Settings) -> dict[str, object]:
    sink = jobparts.flink_sink_values(settings, "purchase_intents", settings.output_topic)
    return {"OUTPUT_TOPIC": settings.output_topic, **sink}


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    """Register source, parse view and sinks; return the two INSERTs as one statement set."""
    jobparts.flink_raw_source(table_env, settings, "user_behaviors_raw", settings.input_topic, fields.BEHAVIOR)
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_sink", sql_values(settings)))
    table_env.create_temporary_view(
        "user_behaviors_checked", table_env.sql_query(sqlfiles.load(PARSE_WORKLOAD, "flink_parse"))
    )
    statements = table_env.create_statement_set()
    statements.add_insert("purchase_intents", table_env.sql_query(sqlfiles.load(WORKLOAD, "query")))
    jobparts.flink_dead_letters(table_env, statements, settings, DEAD_LETTERS, "user_behaviors_checked")
    return statements


def explain(settings: Settings) -> str:
    """The plan: one Kafka scan, Calcs and two Kafka sinks, insert-only; no aggregate, no state."""
    return jobparts.flink_explain(build, settings)


def run(settings: Settings) -> engines.RunningJob:
    """Submit the job; bounded runs finish by themselves, unbounded ones run until stopped."""
    return jobparts.flink_run(build, settings, [settings.input_topic])
