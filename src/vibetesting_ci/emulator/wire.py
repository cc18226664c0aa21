"""What the emulator's HTTP parts share: the paths it serves, its limits, the record of a
request (:class:`Recorded`), and the server the request handler calls back (:class:`Host`, a
protocol :class:`~vibetesting_ci.emulator.server.EmulatorServer` satisfies, so the handler needs
no import of the server).
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, Protocol

from vibetesting_ci.emulator.faults import API_ENDPOINTS, Fault
from vibetesting_ci.emulator.model import Execution
from vibetesting_ci.emulator.service import Service

API_PREFIX = "/api/external/"
MAX_BODY = 10 * 1024 * 1024
MAX_BIG_MIB = 4096
IDLE_TIMEOUT = 120.0

REPORT_RE = re.compile(r"^/reports/(\d+)\.pdf$")
FILE_RE = re.compile(r"^/files/report-(\d+)\.pdf$")
BIG_RE = re.compile(r"^/files/big-(\d+)\.pdf$")

LogFunc = Callable[[str], None]


@dataclass
class Recorded:
    """One request as the emulator received it (``time``: the server's clock, monotonic)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    json: Any = None
    time: float = 0.0
    endpoint: str = ""  # run-tests / run-suite / execution-status / stop-execution / report / ...
    status: int | None = None  # HTTP status answered; None if the connection was dropped
    fault: str | None = None  # kind of the fault applied, if any
    client: str = field(default="", repr=False)

    @property
    def has_credentials(self) -> bool:
        """True if an Authorization header or an api-key query parameter came with it."""
        return "authorization" in self.headers or "api-key" in self.query


class _Dropped(Exception):
    """The connection was closed on purpose; nothing more to send."""


class Host(Protocol):
    """What the request handler asks of the emulator it serves (``EmulatorServer``)."""

    _service: Service
    _stopping: threading.Event

    @property
    def port(self) -> int: ...

    @property
    def scheme(self) -> str: ...

    def _track(self, conn: socket.socket, alive: bool) -> None: ...

    def _record(self, record: Recorded) -> None: ...

    def _sleep(self, seconds: float) -> None: ...

    def _pre_faults(self, endpoint: str) -> tuple[list[Fault], Fault | None]: ...

    def _post_fault(self, endpoint: str) -> Fault | None: ...

    def _note_password(self, record: Recorded) -> None: ...

    def _secrets_text(self, authorization: str) -> str: ...

    def _authenticate(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None: ...

    def _report_base(self, host_header: str | None) -> str: ...

    def _report_link(self, execution: Execution, host_header: str | None) -> str: ...

    def _log_request(self, record: Recorded, elapsed: float) -> None: ...


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    emulator: Host

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (or our own drop faults) are normal here; stay quiet.
        return


def endpoint_of(path: str) -> str:
    if path.startswith(API_PREFIX):
        name = path[len(API_PREFIX) :]
        name = name[:-1] if name.endswith("/") else name
        return name if name in API_ENDPOINTS else "unknown"
    if REPORT_RE.match(path) or FILE_RE.match(path) or BIG_RE.match(path):
        return "report"
    if path in ("/healthz", "/healthz/"):
        return "health"
    return "unknown"
