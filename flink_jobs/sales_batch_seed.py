"""sales-batch, the seed's reader on Flink: 'format' = 'csv' with 'csv.ignore-parse-errors' = 'true'.

Kept for comparison with the main job: the same query over what the lenient CSV format lets through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, sqlfiles, workloads
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "sales-batch"
JOB = workloads.get(WORKLOAD).job("seed-csv")


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    values = {
        "INPUT_PATH": settings.required_input_path().resolve().as_uri(),
        "SUMMARY_DIR": JOB.result.directory(settings).resolve().as_uri(),
    }
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_seed_source", values))
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_summary_sink", values))
    table_env.create_temporary_view("sales_checked", table_env.sql_query(sqlfiles.load(WORKLOAD, "seed_view")))
    statements = table_env.create_statement_set()
    statements.add_insert("sales_summary", table_env.sql_query(sqlfiles.load(WORKLOAD, "query")))
    return statements


def explain(settings: Settings) -> str:
    return build(engines.flink_table_env(settings, streaming=False), settings).explain()


def run(settings: Settings) -> engines.RunningJob:
    return engines.FlinkJob(build(engines.flink_table_env(settings, streaming=False), settings).execute())
