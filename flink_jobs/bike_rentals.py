"""bike-rentals on Flink: rent/return events -> one row per station and hour -> Parquet by ymd/hh.

One job (a StatementSet over one source scan): the counted events go through a one-hour tumbling
event-time window into the filesystem sink; rejected and late events go to the dead-letter topic.
A bounded run ends with a final watermark of +infinity, so every hour is written; an unbounded run
writes an hour once the watermark passes it and commits files on every checkpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "bike-rentals"
WATERMARK_MINUTES = 5  # the producer's records arrive at most --max-delay (120 s by default) late


def group_id(settings: Settings, topic: str) -> str:
    """The consumer group Flink commits its read offsets to (on checkpoints): one per topic read."""
    return f"streamlab-flink-{WORKLOAD}-{topic}"


def source_values(settings: Settings, table: str, topic: str) -> dict[str, object]:
    return {
        "TABLE_NAME": table,
        "TOPIC": topic,
        "BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "GROUP_ID": group_id(settings, topic),
        "STARTUP_MODE": f"{settings.start_from}-offset",
        "BOUNDED_MODE": "latest-offset" if settings.bounded else "unbounded",
        "WATERMARK_MINUTES": WATERMARK_MINUTES,
    }


def dead_letter_values(settings: Settings, table: str, topic: str, checked_view: str, source: str) -> dict[str, object]:
    return {
        "TABLE_NAME": table,
        "TOPIC": topic,
        "BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "CHECKED_VIEW": checked_view,
        "SOURCE_TOPIC": source,
    }


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    """Source, parse and counted views, sinks; the hourly INSERT and the dead-letter INSERT as one set."""
    dead = dead_letter_values(
        settings, "bike_dead_letters", settings.dead_letter_topic, "bike_events_checked", settings.input_topic
    )
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_source", source_values(settings, "bike_events_raw",
                                                                                 settings.input_topic)))  # fmt: skip
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_hourly_sink", {"OUTPUT_DIR": output_uri(settings)}))
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_dead_letter_sink", dead))
    table_env.create_temporary_view("bike_events_checked", table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_parse")))
    table_env.create_temporary_view("bike_events_counted", table_env.sql_query(sqlfiles.load(WORKLOAD, "counted")))
    statements = table_env.create_statement_set()
    statements.add_insert("bike_hourly", table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_hourly")))
    statements.add_insert("bike_dead_letters", table_env.sql_query(sqlfiles.load(WORKLOAD, "dead_letters", dead)))
    return statements


def output_uri(settings: Settings) -> str:
    output = settings.required_output_dir()
    output.mkdir(parents=True, exist_ok=True)
    return output.resolve().as_uri()


def explain(settings: Settings) -> str:
    """The plan: the watermark pushed into the Kafka scan, the window aggregate, both sinks."""
    from pyflink.table.explain_detail import ExplainDetail

    return build(engines.flink_table_env(settings), settings).explain(ExplainDetail.CHANGELOG_MODE)


def run(settings: Settings) -> engines.RunningJob:
    result = build(engines.flink_table_env(settings), settings).execute()
    return engines.FlinkJob(result, settings, group_id(settings, settings.input_topic), (settings.input_topic,))
