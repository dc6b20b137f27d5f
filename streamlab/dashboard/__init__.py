"""`streamlab dashboard`: a live web page of every job of both engines, on 127.0.0.1 only, served by Python's
standard library. One consumer thread follows streaming-metrics and streaming-alerts into memory (follow,
state), one reads the running jobs' results (tables), and the alerter runs beside them; the page updates itself
from a Server-Sent Events stream (server). `demo` starts one in the background (background). docs/dashboard.md.
"""

from __future__ import annotations

from collections.abc import Callable

from streamlab.dashboard.follow import TopicFollower
from streamlab.dashboard.server import DashboardServer
from streamlab.dashboard.state import DashboardState
from streamlab.dashboard.tables import ResultTables
from streamlab.monitoring import alerts

DEFAULT_PORT = 8050


def serve(
    bootstrap_servers: str, port: int, thresholds: alerts.Thresholds | None, announce: Callable[[str], None]
) -> None:
    """Until Ctrl-C (or SIGTERM: the caller's handler): the server, its two readers and, unless thresholds is
    None, the alerter. announce gets the page's URL once the port is bound."""
    state = DashboardState()
    server = DashboardServer(state, port)  # a port in use: LabError before any thread starts
    workers: list[TopicFollower | ResultTables | alerts.Alerter] = []
    try:
        workers += [TopicFollower(bootstrap_servers, state), ResultTables(bootstrap_servers, state)]
        if thresholds is not None:
            workers.append(alerts.Alerter(bootstrap_servers, thresholds))  # creates streaming-alerts if missing
        for worker in workers:
            worker.start()
        announce(server.url)
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
        for worker in workers:
            if worker.is_alive():
                worker.stop()
