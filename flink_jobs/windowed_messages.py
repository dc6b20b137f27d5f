"""windowed-messages on Flink: test-topic messages -> counts per 1-minute event-time window -> upsert-kafka.

One job (a StatementSet over one source scan): the on-time messages through the TUMBLE window
table-valued function into the table keyed by window; malformed and late messages (those whose
window the watermark had already closed) into the dead-letter topic, each with its reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, fields, jobparts, sqlfiles
from streamlab.settings import DEAD_LETTERS, Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "windowed-messages"
TS = jobparts.EventTime("ts", "event_time", watermark_minutes=1)  # the seed's withWatermark("timestamp", "1 minute")


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    jobparts.flink_event_time_source(table_env, settings, "messages_raw", settings.input_topic, fields.MESSAGE, TS)
    sink = {
        "OUTPUT_TOPIC": settings.output_topic,
        **jobparts.flink_sink_values(settings, "message_counts", settings.output_topic),
    }
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_sink", sink))
    table_env.create_temporary_view("messages_checked", table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_parse")))
    table_env.create_temporary_view("messages_on_time", table_env.sql_query(sqlfiles.load(WORKLOAD, "on_time")))
    statements = table_env.create_statement_set()
    statements.add_insert("message_counts", table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_windows")))
    jobparts.flink_dead_letters(table_env, statements, settings, DEAD_LETTERS, "messages_checked")
    return statements


def explain(settings: Settings) -> str:
    """The plan: the watermark in the Kafka scan, a WindowAggregate whose output is insert-only."""
    return jobparts.flink_explain(build, settings)


def run(settings: Settings) -> engines.RunningJob:
    return jobparts.flink_run(build, settings, [settings.input_topic])
