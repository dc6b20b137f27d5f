"""bike-rentals derive job on Flink: the raw snapshot topic -> rent/return events, by SQL LAG.

The engine-side version of what the producer does: for each station, its snapshots in event-time
order, each compared with the one before (sql/bike-rentals/flink_derive.sql). Rejected and late
snapshots go to the snapshot dead-letter topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flink_jobs.bike_rentals import CRT_TS, WORKLOAD
from streamlab import engines, fields, jobparts, sqlfiles
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    snapshots, derived = settings.topic("snapshots"), settings.topic("derived")
    jobparts.flink_event_time_source(table_env, settings, "bike_snapshots_raw", snapshots, fields.BIKE_SNAPSHOT, CRT_TS)
    sink = {"DERIVED_TOPIC": derived, **jobparts.flink_sink_values(settings, "bike_derived_events", derived)}
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_derived_sink", sink))
    checked = table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_snapshot_parse"))
    table_env.create_temporary_view("bike_snapshots_checked", checked)
    statements = table_env.create_statement_set()
    statements.add_insert("bike_derived_events", table_env.sql_query(sqlfiles.load(WORKLOAD, "flink_derive")))
    jobparts.flink_dead_letters(table_env, statements, settings, "snapshot_dead_letters", "bike_snapshots_checked")
    return statements


def explain(settings: Settings) -> str:
    """The plan: an OverAggregate ordered by the rowtime, per station."""
    return jobparts.flink_explain(build, settings)


def run(settings: Settings) -> engines.RunningJob:
    return jobparts.flink_run(build, settings, [settings.topic("snapshots")])
