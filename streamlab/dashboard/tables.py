"""The live result tables, read off the request path: a background thread that, each second and for each
running job, finds when its newest result became readable (status.newest_result_at: the page's "result age"
and its plot) and, when that changed, reads the result again, at most every few seconds (results.open_view,
kept open per job: a topic is read on from where the last refresh stopped), keeping a handful of its rows.

Nothing here may stop the dashboard: a topic or folder not there yet is "no result yet", any other failure
is shown in the table's place and tried again on the next round."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pandas as pd

from streamlab import results, workloads
from streamlab.dashboard.plotdata import PLOTS
from streamlab.dashboard.state import DashboardState
from streamlab.engines import ACTIVE_STATES
from streamlab.errors import LabError
from streamlab.monitoring import status
from streamlab.monitoring.envelope import Envelope
from streamlab.results import ResultSpec, ResultView

LOOK_S = 1.0  # how often each running job's newest result is looked for (a ListOffsets, or a folder listing)
READ_EVERY_S = 3.0  # how often a changed result is read again for its table
SHOWN_ROWS = 8
NO_RESULT = "no result yet"


def shown_rows(table: pd.DataFrame, spec: ResultSpec, limit: int = SHOWN_ROWS) -> pd.DataFrame:
    """A handful of rows a person wants to see live: the top rows by rank_by; else the newest, by the newest
    event a row holds or by its window's end; else the first by key."""
    newest = next((name for name in (spec.newest_event, spec.window_end) if name and name in table), "")
    if spec.rank_by or not newest:
        rows = results.top_rows(table, spec, limit)
    else:
        rows = table.sort_values(newest, ascending=False).head(limit)
    return rows[[name for name in spec.shown_columns if name in rows]]


def table_message(table: pd.DataFrame, spec: ResultSpec, where: str, plot: str = "") -> dict[str, Any]:
    """What the page gets of a result: where it is, how many rows, the shown ones, and its plot's data."""
    shown = json.loads(shown_rows(table, spec).to_json(orient="split", index=False, date_format="iso"))
    message = {"where": where, "total": len(table), "columns": shown["columns"], "rows": shown["data"], "note": ""}
    if plot in PLOTS:
        message["plot"] = PLOTS[plot](table)
    return message


class ResultTables(threading.Thread):
    def __init__(self, bootstrap_servers: str, state: DashboardState) -> None:
        super().__init__(name="dashboard-results", daemon=True)
        self.bootstrap_servers = bootstrap_servers
        self.state = state
        self._views: dict[str, tuple[str, ResultView]] = {}  # job -> (its run id, the open reader)
        self._read_at: dict[str, float] = {}  # job -> the newest result's time when it was last read
        self._read_when: dict[str, float] = {}  # job -> when (monotonic) it was last read
        self._stopping = threading.Event()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        self.join(timeout_s)

    def run(self) -> None:
        try:
            while not self._stopping.wait(LOOK_S):
                self.refresh()
        finally:
            for key in list(self._views):
                self._close(key)

    def refresh(self) -> None:
        reports = self.state.reports()
        for key in set(self._views) - set(reports):
            self._close(key)
        for key, envelope in reports.items():
            if envelope.status in ACTIVE_STATES:  # an ended job keeps the last table read
                self.refresh_job(key, envelope)

    def refresh_job(self, key: str, envelope: Envelope) -> None:
        at = status.newest_result_at(envelope, self.bootstrap_servers)
        self.state.set_result_at(key, at, time.time())
        if at is None:
            self.state.set_table(key, {"note": NO_RESULT})
            return
        unchanged = self._read_at.get(key) == at and key in self._views
        if unchanged or time.monotonic() - self._read_when.get(key, 0.0) < READ_EVERY_S:
            return
        try:
            self.state.set_table(key, self._read(key, envelope))
            self._read_at[key], self._read_when[key] = at, time.monotonic()
        except LabError:  # the topic or folder went away between the two looks
            self._close(key)
            self.state.set_table(key, {"note": NO_RESULT})
        except Exception as error:  # a reader's own failure (a file half written, the broker away): next round
            self._close(key)
            self.state.set_table(key, {"note": f"could not read the result: {str(error).splitlines()[0][:200]}"})

    def _read(self, key: str, envelope: Envelope) -> dict[str, Any]:
        workload = workloads.get(envelope.workload)
        spec = workload.job(envelope.job).result
        settings = status.settings_of(envelope, self.bootstrap_servers)
        run_id, view = self._views.get(key, ("", None))
        if view is None or run_id != envelope.run_id:  # a new run writes afresh (a demo recreates its topics)
            self._close(key)
            view = results.open_view(spec, settings)
            self._views[key] = (envelope.run_id, view)
        view.refresh()
        plot = workload.plot if workload.job().name == envelope.job else ""  # the plot draws the main job's result
        return table_message(view.frame(), spec, spec.where(settings), plot)

    def _close(self, key: str) -> None:
        _run_id, view = self._views.pop(key, ("", None))
        self._read_at.pop(key, None)
        self._read_when.pop(key, None)
        if view is not None:
            view.close()
