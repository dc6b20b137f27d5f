"""The dashboard's web server: Python's own ThreadingHTTPServer on 127.0.0.1, one thread per request.

Routes: `/` the page, `/static/...` its files (this package's static/ folder: the page works offline),
`/api/jobs` the `streamlab status --json` document from memory, and `/api/events` a Server-Sent Events
stream the page updates itself from: the recent plot points when it connects, then every new point, the
jobs document each second and the result tables whenever they changed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import mimetypes
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from streamlab.dashboard.state import POINT_FIELDS, DashboardState
from streamlab.errors import LabError

HOST = "127.0.0.1"  # loopback only: the page shows the lab's topics and folders (docs/safety.md)
STATIC_DIR = Path(__file__).parent / "static"
POINTS_EVERY_S = 0.5  # how often a stream looks for new points and changed tables
JOBS_EVERY_S = 1.0


def sse(event: str, data: Any) -> bytes:
    """One Server-Sent Events message: its name, and its data as JSON on one line (a blank line ends it)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, default=str)
    return f"event: {event}\ndata: {text}\n\n".encode()


class DashboardServer(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream never holds up the end of the process

    def __init__(self, state: DashboardState, port: int) -> None:
        self.state = state
        self.stopping = threading.Event()  # tells the event streams to end (set before binding: a failed bind closes)
        try:
            super().__init__((HOST, port), Handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise LabError(
                    f"port {port} on {HOST} is in use (another dashboard?): give --port another one, or --port 0 "
                    "for any free port"
                ) from error
            raise

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"

    def server_close(self) -> None:
        self.stopping.set()
        super().server_close()


class Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        routes: dict[str, Callable[[], None]] = {
            "/": lambda: self._file(STATIC_DIR / "index.html"),
            "/api/jobs": lambda: self._json(self.server.state.document()),
            "/api/events": self._events,
        }
        if path in routes:
            routes[path]()
        elif path.startswith("/static/"):
            self._file(STATIC_DIR / path.removeprefix("/static/"))
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _file(self, path: Path) -> None:
        found = path.resolve()
        if not found.is_relative_to(STATIC_DIR.resolve()) or not found.is_file():  # no ../ out of static/
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        self._send(found.read_bytes(), kind + ("; charset=utf-8" if kind.startswith("text/") else ""))

    def _json(self, document: Any) -> None:
        self._send(json.dumps(document, allow_nan=False, default=str).encode(), "application/json")

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        """The page's live feed, until the page goes away or the server stops."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the page was closed or reloaded
            stream(self.server.state, self.wfile.write, self.wfile.flush, self.server.stopping)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        pass  # a line per request on the terminal would bury what matters


def stream(
    state: DashboardState,
    write: Callable[[bytes], Any],
    flush: Callable[[], None],
    stopping: threading.Event,
) -> None:
    """history (every point kept, per job) once, then points as they arrive, jobs each second, tables on
    change; points with the names of their fields, so the page need not know their order."""
    points, sequence = state.points_after(0)
    write(sse("history", {"fields": POINT_FIELDS, "jobs": points}))
    tables_sent, next_jobs = -1, 0.0
    while not stopping.is_set():
        points, sequence = state.points_after(sequence)
        if points:
            write(sse("points", {"fields": POINT_FIELDS, "jobs": points}))
        if time.monotonic() >= next_jobs:
            next_jobs = time.monotonic() + JOBS_EVERY_S
            write(sse("jobs", {**state.document(), "kafka_error": state.kafka_error}))
        version, tables = state.tables()
        if version != tables_sent:
            write(sse("tables", tables))
            tables_sent = version
        flush()
        stopping.wait(POINTS_EVERY_S)
