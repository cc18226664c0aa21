"""The HTTP side of the emulator: ``EmulatorServer`` on a ThreadingHTTPServer (stdlib only).

The request handler is ``emulator/handler.py`` (its answers, hostile ones included,
``emulator/hostile.py``); what they share, ``emulator/wire.py``.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

from vibetesting_ci.emulator.faults import Fault, coerce_faults
from vibetesting_ci.emulator.handler import Handler
from vibetesting_ci.emulator.model import PACE_STEADY, Execution
from vibetesting_ci.emulator.service import Service
from vibetesting_ci.emulator.wire import API_PREFIX, EmulatorHTTPServer, LogFunc, Recorded

DEFAULT_TOKEN = "emulator-token"  # noqa: S105 - the documented emulator default


class _IPv6HTTPServer(EmulatorHTTPServer):
    address_family = socket.AF_INET6


class EmulatorServer:
    """A local VibeTesting External API on loopback; see docs/emulator.md.

    ``start()`` serves from a daemon thread and returns ``self``; ``stop()`` shuts it down
    (also a context manager). Arguments:

    - ``host``/``port``: where to listen (``port=0``: any free port; read ``srv.port``).
    - ``token``: the API token accepted (``Authorization: api-key <token>`` or ``?api-key=``).
    - ``test_seconds``: about how long each test takes (processing takes about as long).
    - ``seed``: seeds the deterministic jitter (``seed`` + execution id).
    - ``faults``: :class:`Fault` objects, ``--fault`` SPEC strings or scenario mappings.
    - ``pace``: ``"steady"`` (0.8x-1.2x ``test_seconds``) or ``"realistic"`` (0.5x-2x, and
      varied test counts for exploration runs and generic suites).
    - ``report_host``: host name put in report links (default: the ``Host`` the client used).
    - ``log``: called with one line per request (method, path without query, status).
    - ``clock``: a monotonic clock to drive lifecycles by hand in tests.
    - ``journal_limit``: keep only the newest N journal records (default: all).
    - ``ssl_context``: a server-side ``ssl.SSLContext`` to serve HTTPS instead of HTTP (URLs
      and report links become ``https://``), e.g. from ``trustme`` in TLS tests.
    - ``report_link_query``: extra query text appended to report links, e.g. ``"api-key=..."``
      to act like a service that puts a credential in its links (clients must redact it).
    - ``relative_report_links``: hand out ``/reports/...`` links without scheme and host.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        test_seconds: float = 0.2,
        seed: int = 0,
        faults: Iterable[Fault | str | Mapping[str, Any]] = (),
        pace: str = PACE_STEADY,
        report_host: str | None = None,
        log: LogFunc | None = None,
        clock: Callable[[], float] | None = None,
        journal_limit: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        report_link_query: str = "",
        relative_report_links: bool = False,
    ) -> None:
        if not token:
            raise ValueError("the emulator needs a non-empty token")
        self.host = host
        self._requested_port = port
        self.token = token
        self.test_seconds = test_seconds
        self.seed = seed
        self.pace = pace
        self.report_host = report_host
        self.ssl_context = ssl_context
        self.report_link_query = report_link_query.lstrip("&?")
        self.relative_report_links = relative_report_links
        self._log = log
        self._service = Service(token, test_seconds, seed, pace, clock=clock or time.monotonic)
        self._faults: list[Fault] = coerce_faults(faults)
        self._faults_lock = threading.Lock()
        self._journal: deque[Recorded] = deque(maxlen=journal_limit)
        self._journal_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._connections_opened = 0
        self._stopping = threading.Event()
        self._httpd: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        server_class = _IPv6HTTPServer if ":" in self.host else EmulatorHTTPServer
        httpd = server_class((self.host, self._requested_port), Handler)
        if self.ssl_context is not None:
            # The handshake happens on the first read, in the request's own thread, so a client
            # that never finishes it cannot block the accept loop.
            httpd.socket = self.ssl_context.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        httpd.emulator = self
        self._httpd = httpd
        self._stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"vibetesting-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._httpd is None:
            return self._requested_port
        return int(self._httpd.server_address[1])

    @property
    def _host_for_url(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def url(self) -> str:
        """Base URL for ``--api-url``: ``http://HOST:PORT/api/external/`` (https with TLS)."""
        return f"{self.scheme}://{self._host_for_url}:{self.port}{API_PREFIX}"

    @property
    def root_url(self) -> str:
        return f"{self.scheme}://{self._host_for_url}:{self.port}"

    # -- what tests look at -------------------------------------------------------------------
    @property
    def journal(self) -> list[Recorded]:
        """A snapshot of every request received so far, oldest first."""
        with self._journal_lock:
            return list(self._journal)

    def clear_journal(self) -> None:
        with self._journal_lock:
            self._journal.clear()

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted so far (keep-alive check: far fewer than requests)."""
        with self._connections_lock:
            return self._connections_opened

    @property
    def runs_created(self) -> int:
        return self._service.runs_created

    @property
    def executions(self) -> dict[int, Execution]:
        with self._service.lock:
            return dict(self._service.executions)

    @property
    def schedules(self) -> dict[str, list[int]]:
        with self._service.lock:
            return {k: list(v) for k, v in self._service.schedules.items()}

    @property
    def status_calls(self) -> dict[int, list[float]]:
        with self._service.lock:
            return {k: list(v) for k, v in self._service.status_calls.items()}

    @property
    def done_at(self) -> dict[int, float]:
        """Monotonic time each execution became done (those done by now)."""
        return self._service.done_at()

    @property
    def faults(self) -> list[Fault]:
        with self._faults_lock:
            return list(self._faults)

    def add_fault(self, fault: Fault | str) -> Fault:
        (parsed,) = coerce_faults([fault])
        with self._faults_lock:
            self._faults.append(parsed)
        return parsed

    def clear_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()

    def report_url(self, execution_id: int) -> str:
        """The signed report link the status endpoint hands out for this execution."""
        return self._report_link(self._service.executions[execution_id], None)

    # -- internals used by the handler --------------------------------------------------------
    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections_opened += 1
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _record(self, record: Recorded) -> None:
        with self._journal_lock:
            self._journal.append(record)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _pre_faults(self, endpoint: str) -> tuple[list[Fault], Fault | None]:
        """Stalls to apply (they add up) and the first other fault due, consumed."""
        stalls: list[Fault] = []
        chosen: Fault | None = None
        for fault in self.faults:
            if not fault.pre or not fault.observe(endpoint):
                continue
            if fault.kind == "stall":
                fault.consume()
                stalls.append(fault)
            elif chosen is None:
                fault.consume()
                chosen = fault
        return stalls, chosen

    def _post_fault(self, endpoint: str) -> Fault | None:
        """The first after-the-fact fault due on a successful answer, consumed."""
        chosen: Fault | None = None
        for fault in self.faults:
            if not fault.pre and fault.observe(endpoint) and chosen is None:
                fault.consume()
                chosen = fault
        return chosen

    def _note_password(self, record: Recorded) -> None:
        """Keep the last login password a trigger carried (echo faults quote it)."""
        data = record.json
        if isinstance(data, dict) and isinstance(data.get("login"), dict):
            password = data["login"].get("password")
            if isinstance(password, str) and password:
                self._last_password = password

    def _secrets_text(self, authorization: str) -> str:
        """Text quoting the caller's token and the last login password, raw and URL-encoded."""
        token = authorization.strip().partition(" ")[2].strip()
        password = getattr(self, "_last_password", "")
        return (
            f"key {token} (or {quote(token, safe='')}); login password {password} "
            f"(or {quote(password, safe='')}, {quote(password, safe='').lower()})"
        )

    def _authenticate(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        header = headers.get("authorization", "")
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "api-key" and _same(value.strip(), self.token):
            return self.token
        if _same(query.get("api-key", ""), self.token):
            return self.token
        return None

    def _report_base(self, host_header: str | None) -> str:
        if self.report_host:
            return f"{self.scheme}://{self.report_host}:{self.port}"
        if host_header and re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", host_header):
            return f"{self.scheme}://{host_header}"
        return self.root_url

    def _report_link(self, execution: Execution, host_header: str | None) -> str:
        base = "" if self.relative_report_links else self._report_base(host_header)
        return f"{base}/reports/{execution.execution_id}.pdf?sig={quote(execution.report_sig)}" + (
            f"&{self.report_link_query}" if self.report_link_query else ""
        )

    def _log_request(self, record: Recorded, elapsed: float) -> None:
        if self._log is None:
            return
        status = "-" if record.status is None else str(record.status)
        fault = f" [fault {record.fault}]" if record.fault else ""
        took = f"{elapsed * 1000:.1f}ms"
        line = f"{record.client} {record.method} {record.path} {status}{fault} {took}"
        with contextlib.suppress(Exception):
            self._log(line)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
