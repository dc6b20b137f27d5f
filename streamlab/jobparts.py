"""Pieces every streaming job wires the same way, from sql/shared/: the raw Kafka source (Flink), the
dead-letter sink and the dead-letter SELECT (both engines), and the consumer group Flink commits to.

Jobs call these; nothing here knows a job. A workload's own SQL stays in sql/<workload>/.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from streamlab import engines, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment
    from pyspark.sql import DataFrame, SparkSession

SHARED = "shared"  # sql/shared/
FlinkBuild = Callable[["TableEnvironment", Settings], "StatementSet"]  # a Flink job module's build()


def flink_explain(build: FlinkBuild, settings: Settings) -> str:
    """The job's optimized plan with each operator's changelog mode (+I, -U/+U, -D)."""
    from pyflink.table.explain_detail import ExplainDetail

    return build(engines.flink_table_env(settings), settings).explain(ExplainDetail.CHANGELOG_MODE)


def flink_run(build: FlinkBuild, settings: Settings, source_topics: Sequence[str]) -> engines.RunningJob:
    """Submit the job; bounded runs finish by themselves, unbounded ones run until stopped. The job's
    consumer group tells how far it has read its source topics (FlinkJob.caught_up)."""
    result = build(engines.flink_table_env(settings), settings).execute()
    return engines.FlinkJob(result, settings, flink_group_id(settings), tuple(source_topics))


def flink_group_id(settings: Settings) -> str:
    """The consumer group Flink commits its read offsets to (on checkpoints): one per job. Every source
    table of the job commits there for its own topics (Flink assigns partitions itself, so sharing a
    group is safe), and the lag of that group over the job's topics says whether it has read them all."""
    return f"streamlab-flink-{settings.workload}-{settings.job or 'main'}"


def flink_source_values(settings: Settings, table: str, topics: str | Sequence[str]) -> dict[str, object]:
    """The placeholders of a Flink Kafka source table (sql/shared/flink_raw_source.sql and its kin);
    a table over several topics reads them all ('topic' = 'a;b'), each row tagged with its kafka_topic."""
    return {
        "TABLE_NAME": table,
        "TOPIC": topics if isinstance(topics, str) else ";".join(topics),
        "BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "GROUP_ID": flink_group_id(settings),
        "STARTUP_MODE": f"{settings.start_from}-offset",
        "BOUNDED_MODE": "latest-offset" if settings.bounded else "unbounded",
    }


def topic_values(settings: Settings, roles: Sequence[str]) -> dict[str, str]:
    """Placeholders naming this run's topics by role: {"A_INPUT": "A_input", ...} for roles a_input, ..."""
    return {role.upper(): settings.topic(role) for role in roles}


def flink_raw_source(table_env: TableEnvironment, settings: Settings, table: str, topics: str | Sequence[str]) -> None:
    """Register `table` as (payload, kafka_topic, kafka_partition, kafka_offset) over one or more topics."""
    table_env.execute_sql(sqlfiles.load(SHARED, "flink_raw_source", flink_source_values(settings, table, topics)))


@dataclass(frozen=True)
class EventTime:
    """A rowtime column parsed from a JSON field (yyyy-MM-dd HH:mm:ss), and how far the watermark trails it."""

    column: str
    field: str
    watermark_minutes: int


def flink_event_time_source(
    table_env: TableEnvironment, settings: Settings, table: str, topics: str | Sequence[str], time: EventTime
) -> None:
    """Register `table` like flink_raw_source, plus the rowtime column and its watermark."""
    values = {
        **flink_source_values(settings, table, topics),
        "TIME_COLUMN": time.column,
        "TIME_FIELD": time.field,
        "WATERMARK_MINUTES": time.watermark_minutes,
    }
    table_env.execute_sql(sqlfiles.load(SHARED, "flink_event_time_source", values))


def flink_dead_letters(
    table_env: TableEnvironment, statements: StatementSet, settings: Settings, role: str, checked_view: str
) -> None:
    """Add the INSERT that sends the rejected rows of `checked_view` to the topic of `role`."""
    table = f"{checked_view}_dead_letters"
    values = {
        "TABLE_NAME": table,
        "TOPIC": settings.topic(role),
        "BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "CHECKED_VIEW": checked_view,
    }
    table_env.execute_sql(sqlfiles.load(SHARED, "flink_dead_letter_sink", values))
    statements.add_insert(table, table_env.sql_query(sqlfiles.load(SHARED, "dead_letters", values)))


def spark_dead_letters(spark: SparkSession, checked_view: str) -> DataFrame:
    """The rejected rows of `checked_view` as Kafka values: the JSON Flink's dead-letter sink writes."""
    values = {"CHECKED_VIEW": checked_view}
    return spark.sql(sqlfiles.load(SHARED, "dead_letters", values)).selectExpr("to_json(struct(*)) AS value")
