"""Pieces every streaming job wires the same way, from sql/shared/: the Kafka source that parses each
record once (Flink), the envelope check (Spark), the dead-letter sink and the dead-letter SELECT (both
engines), the consumer group Flink commits to, and the delivery guarantee of every Flink Kafka sink.

Jobs call these; nothing here knows a job. A workload's own SQL stays in sql/<workload>/.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from streamlab import engines, sqlfiles
from streamlab.fields import Field, rules
from streamlab.settings import MAX_VALUE_CHARS, Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment
    from pyspark.sql import DataFrame, SparkSession

SHARED = "shared"  # sql/shared/
FlinkBuild = Callable[["TableEnvironment", Settings], "StatementSet"]  # a Flink job module's build()
# how long the broker keeps an exactly-once sink's transaction open before aborting it: it must outlast a
# checkpoint interval plus a restart (a transaction pre-committed in a checkpoint is committed by the restarted
# job; aborted by the broker first, its records would be lost) and stay under the broker's
# transaction.max.timeout.ms (15 min by default), or the sink's producer is refused
TRANSACTION_TIMEOUT_MS = 10 * 60 * 1000


def flink_explain(build: FlinkBuild, settings: Settings) -> str:
    """The job's optimized plan with each operator's changelog mode (+I, -U/+U, -D)."""
    return build(engines.flink_table_env(settings), settings).explain(_changelog_mode())


def flink_run(build: FlinkBuild, settings: Settings, source_topics: Sequence[str]) -> engines.RunningJob:
    """Submit the job; bounded runs finish by themselves, unbounded ones run until stopped. The job's
    consumer group tells how far it has read its source topics (FlinkJob.caught_up)."""
    statements = build(engines.flink_table_env(settings), settings)
    plan = statements.explain(_changelog_mode()) if settings.plan_out else ""
    job = engines.FlinkJob(statements.execute(), settings, flink_group_id(settings), tuple(source_topics))
    job.plan = plan
    return job


def _changelog_mode() -> object:
    from pyflink.table.explain_detail import ExplainDetail

    return ExplainDetail.CHANGELOG_MODE


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


def flink_sink_values(settings: Settings, table: str, topics: str | Sequence[str]) -> dict[str, object]:
    """The placeholders every Flink Kafka sink table shares (results and dead letters, kafka and upsert-kafka):
    the cluster and the run's delivery guarantee (--delivery). The transactional id prefix is the job's, the
    table's and its topics': two jobs (or two runs on other topics) never fence each other's transactions, and
    a restarted job takes the same prefix, so it finds and aborts what its killed run left open. Flink adds
    -<subtask>-<checkpoint> to it; at-least-once opens no transactions and ignores it."""
    named = topics if isinstance(topics, str) else "+".join(topics)
    return {
        "BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "DELIVERY_GUARANTEE": settings.delivery,
        "TRANSACTIONAL_ID_PREFIX": f"{flink_group_id(settings)}-{table}-{named}",
        "TRANSACTION_TIMEOUT_MS": TRANSACTION_TIMEOUT_MS,
    }


def topic_values(settings: Settings, roles: Sequence[str]) -> dict[str, str]:
    """Placeholders naming this run's topics by role: {"A_INPUT": "A_input", ...} for roles a_input, ..."""
    return {role.upper(): settings.topic(role) for role in roles}


def format_values(fields: Sequence[Field]) -> dict[str, object]:
    """The placeholders of the format part of a Flink source (sql/shared/flink_raw_source.sql and its kin):
    the rules (streamlab.fields), in the order their reasons are checked, and a column for each."""
    return {
        "FIELD_RULES": rules(fields),
        "FIELD_COLUMNS": "".join(f",\n    `{field.column_name}` {field.column_type}" for field in fields),
        "MAX_VALUE_CHARS": MAX_VALUE_CHARS,
    }


def flink_raw_source(
    table_env: TableEnvironment, settings: Settings, table: str, topics: str | Sequence[str], fields: Sequence[Field]
) -> None:
    """Register `table` as (payload, reject_reason, one column per field, kafka_topic, kafka_partition,
    kafka_offset) over one or more topics: every record parsed once, by the source's format."""
    values = {**flink_source_values(settings, table, topics), **format_values(fields)}
    table_env.execute_sql(sqlfiles.load(SHARED, "flink_raw_source", values))


def kafka_table(table: str) -> str:
    """The name of the Kafka records under a Spark source view: parse steps read the view, never this."""
    return f"{table}_kafka"


def spark_raw_source(spark: SparkSession, settings: Settings, view: str, topics: str | Sequence[str]) -> None:
    """Register `view` as Flink's flink_raw_source does, plus the parsed value `v` (a VARIANT): the Kafka
    records are `<view>_kafka`, `view` the envelope check over them (sql/shared/spark_envelope.sql)."""
    spark_envelope(spark, engines.spark_kafka_source(spark, settings, topics), view)


def spark_envelope(spark: SparkSession, records: DataFrame, view: str) -> None:
    """Register `view` over `records` (payload, kafka_topic, kafka_partition, kafka_offset from any source:
    Kafka, files, a test's rows) with `v` and envelope_reason added, as the parse steps expect."""
    records.createOrReplaceTempView(kafka_table(view))
    values = {"RECORDS": kafka_table(view), "MAX_VALUE_CHARS": MAX_VALUE_CHARS}
    spark.sql(sqlfiles.load(SHARED, "spark_envelope", values)).createOrReplaceTempView(view)


@dataclass(frozen=True)
class EventTime:
    """A rowtime column read from a timestamp field's column (yyyy-MM-dd HH:mm:ss), and how far the
    watermark trails it."""

    column: str
    text_column: str
    watermark_minutes: int


def flink_event_time_source(
    table_env: TableEnvironment,
    settings: Settings,
    table: str,
    topics: str | Sequence[str],
    fields: Sequence[Field],
    time: EventTime,
) -> None:
    """Register `table` like flink_raw_source, plus the rowtime column and its watermark."""
    values = {
        **flink_source_values(settings, table, topics),
        **format_values(fields),
        "TIME_COLUMN": time.column,
        "TIME_TEXT": time.text_column,
        "WATERMARK_MINUTES": time.watermark_minutes,
    }
    table_env.execute_sql(sqlfiles.load(SHARED, "flink_event_time_source", values))


def flink_dead_letters(
    table_env: TableEnvironment, statements: StatementSet, settings: Settings, role: str, checked_view: str
) -> None:
    """Add the INSERT that sends the rejected rows of `checked_view` to the topic of `role`."""
    table = f"{checked_view}_dead_letters"
    topic = settings.topic(role)
    values = {
        **flink_sink_values(settings, table, topic),
        "TABLE_NAME": table,
        "TOPIC": topic,
        "CHECKED_VIEW": checked_view,
    }
    table_env.execute_sql(sqlfiles.load(SHARED, "flink_dead_letter_sink", values))
    statements.add_insert(table, table_env.sql_query(sqlfiles.load(SHARED, "dead_letters", values)))


@dataclass(frozen=True)
class SparkResults:
    """A Spark job's results as Kafka records: the workload's SELECT (its query.sql, shared with Flink) and
    the SQL expressions over that SELECT's columns that give each record's key, value and topic."""

    query: str
    key: str
    topic: str  # an expression: a quoted topic name, or a column naming each row's topic
    value: str = "to_json(struct(*))"


def spark_routed(
    spark: SparkSession,
    settings: Settings,
    parsed: Mapping[str, DataFrame],
    results: SparkResults,
    steps: Sequence[tuple[str, str]] = (),
    dead_letter_topic: str = "",
) -> DataFrame:
    """Results and dead letters as ONE Kafka-ready frame (key, value, topic) over one read of each input
    (sql/shared/spark_routed.sql). `parsed` maps each checked view the results read to the workload's
    parse step for it; `steps` are further named SELECTs between those and the results, in order (name,
    SQL). The dead letters of every checked view go to `dead_letter_topic` (default: the job's)."""
    checked = []
    for view, frame in parsed.items():
        frame.createOrReplaceTempView(f"{view}_parsed")
        checked.append((view, sqlfiles.load(SHARED, "spark_checked_once", {"PARSED_VIEW": f"{view}_parsed"})))
    values = {
        "STEPS": ",\n".join(f"{name} AS (\n{sql}\n)" for name, sql in [*checked, *steps]),
        "RESULT_QUERY": results.query,
        "RESULT_KEY": results.key,
        "RESULT_VALUE": results.value,
        "RESULT_TOPIC": results.topic,
        # dead_letters.sql ends in its WHERE clause; the next view's copy starts on a line of its own
        "DEAD_LETTERS": "\nUNION ALL\n".join(
            sqlfiles.load(SHARED, "dead_letters", {"CHECKED_VIEW": view}) for view in parsed
        ),
        "DEAD_LETTER_TOPIC": dead_letter_topic or settings.dead_letter_topic,
    }
    # the columns the Kafka sink takes, as a Dataset of its own (see spark_jobs/passthrough.py)
    return spark.sql(sqlfiles.load(SHARED, "spark_routed", values)).selectExpr("key", "value", "topic")


def quoted(topic: str) -> str:
    """A topic name as a SQL string literal, for SparkResults.topic (Kafka's topic names hold only letters,
    digits, '.', '_' and '-': nothing to escape)."""
    return f"'{topic}'"


def spark_dead_letters(spark: SparkSession, checked_view: str) -> DataFrame:
    """The rejected rows of `checked_view` as Kafka values: the JSON Flink's dead-letter sink writes."""
    values = {"CHECKED_VIEW": checked_view}
    return spark.sql(sqlfiles.load(SHARED, "dead_letters", values)).selectExpr("to_json(struct(*)) AS value")
