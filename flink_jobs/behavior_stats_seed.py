"""behavior-stats, the seed's reader on Flink: 'format' = 'json' with 'json.ignore-parse-errors' = 'true'.

Not a job of the lab's: a measurement. `streamlab seed-json` runs it over a topic and prints what it
let through next to what the lab's parse step counts and dead-letters (see streamlab/cli/info.py).
"""

from __future__ import annotations

from streamlab import engines, jobparts, sqlfiles
from streamlab.settings import Settings

WORKLOAD = "behavior-stats"


def rows(settings: Settings) -> dict[str, int]:
    """{"rows_read": R, "rows_with_nulls": N} of the seed's source over the input topic, read to its end."""
    table_env = engines.flink_table_env(settings, streaming=False)
    values = jobparts.flink_source_values(settings, "user_behaviors_seed", settings.input_topic)
    table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_seed_source", values))
    with table_env.execute_sql(sqlfiles.load(WORKLOAD, "flink_seed_rows")).collect() as result:
        row = next(iter(result))
    return {"rows_read": int(row[0]), "rows_with_nulls": int(row[1])}
