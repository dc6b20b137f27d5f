"""sales-batch on Flink: a CSV file -> totals per category, in batch mode (seed 004, section 5).

The file is read as raw lines and parsed by the SQL shared with Spark (sql/sales-batch/parse.sql);
one StatementSet writes the totals to summary/ and the refused lines to rejected/, from one scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlab import engines, sqlfiles, workloads
from streamlab.settings import Settings

if TYPE_CHECKING:
    from pyflink.table import StatementSet, TableEnvironment

WORKLOAD = "sales-batch"
JOB = workloads.get(WORKLOAD).job("summary")


def sql_values(settings: Settings) -> dict[str, object]:
    return {
        "INPUT_PATH": settings.required_input_path().resolve().as_uri(),
        "SUMMARY_DIR": JOB.result.directory(settings).resolve().as_uri(),
        "REJECTED_DIR": JOB.rejects_spec.directory(settings).resolve().as_uri(),
        "ROW_PATTERN": sqlfiles.load_text(WORKLOAD, "csv_row.regex"),
    }


def build(table_env: TableEnvironment, settings: Settings) -> StatementSet:
    values = sql_values(settings)
    for ddl in ("flink_source", "flink_summary_sink", "flink_rejected_sink"):
        table_env.execute_sql(sqlfiles.load(WORKLOAD, ddl, values))
    table_env.create_temporary_view("sales_checked", table_env.sql_query(sqlfiles.load(WORKLOAD, "parse", values)))
    statements = table_env.create_statement_set()
    statements.add_insert("sales_summary", table_env.sql_query(sqlfiles.load(WORKLOAD, "query", values)))
    statements.add_insert("sales_rejected", table_env.sql_query(sqlfiles.load(WORKLOAD, "rejected", values)))
    return statements


def explain(settings: Settings) -> str:
    """The batch plan: one scan of the file feeding both sinks, and a hash aggregate per category."""
    return build(engines.flink_table_env(settings, streaming=False), settings).explain()


def run(settings: Settings) -> engines.RunningJob:
    statements = build(engines.flink_table_env(settings, streaming=False), settings)
    plan = statements.explain() if settings.plan_out else ""
    job = engines.FlinkJob(statements.execute())
    job.plan = plan
    return job
