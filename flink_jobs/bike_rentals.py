"""bike-rentals on Flink: rent/return events -> one row per station and hour -> Parquet by ymd/hh.

One job (a StatementSet over one source scan): the counted events go through a one-hour tumbling
event-time window into the filesystem sink; rejected and late events go to the dead-letter topic.
A bounded run ends with a final watermark of +infinity, so every hour is written; an unbounded run
writes an hour once the watermark passes it and commits files on every checkpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, fields, jobparts, sqlfiles
from streamlab.settings import DEAD_LETTERS, Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "bike-rentals"
# the producer's records arrive at most --max-delay (120 s by default) late; the watermark allows 5 minutes
CRT_TS = jobparts.EventTime("crt_ts", "crt_dttm", watermark_minutes=5)


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    """Source, parse and counted views, sinks; the hourly INSERT and the dead-letter INSERT as one set."""
    topic = settings.input_topic
    jobparts.flink_event_time_source(table_env, settings, "bike_events_raw", topic, fields.BIKE_EVENT, CRT_TS)
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_hourly_sink", {"OUTPUT_DIR": output_uri(settings)}))
    table_env.create_temporary_view("bike_events_checked", table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_parse")))
    table_env.create_temporary_view("bike_events_counted", table_env.sql_query(sqlfiles.load(WORKLOAD, "counted")))
    statements = table_env.create_statement_set()
    statements.add_insert("bike_hourly", table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_hourly")))
    jobparts.flink_dead_letters(table_env, statements, settings, DEAD_LETTERS, "bike_events_checked")
    return statements


def output_uri(settings: Settings) -> str:
    output = settings.required_output_dir()
    output.mkdir(parents=True, exist_ok=True)
    return output.resolve().as_uri()


def explain(settings: Settings) -> str:
    """The plan: the watermark pushed into the Kafka scan, the window aggregate, both sinks."""
    return jobparts.flink_explain(build, settings)


def run(settings: Settings) -> engines.RunningJob:
    return jobparts.flink_run(build, settings, [settings.input_topic])
