"""The HTTP side of the emulator: ``EmulatorServer`` on a ThreadingHTTPServer (stdlib only)."""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from vibetesting_ci.emulator.faults import API_ENDPOINTS, Fault, coerce_faults
from vibetesting_ci.emulator.model import DONE, PACE_STEADY, Execution
from vibetesting_ci.emulator.pdf import BigPdf, text_pdf
from vibetesting_ci.emulator.service import Answer, ApiFail, Service

API_PREFIX = "/api/external/"
DEFAULT_TOKEN = "emulator-token"  # noqa: S105 - the documented emulator default
MAX_BODY = 10 * 1024 * 1024
MAX_BIG_MIB = 4096
IDLE_TIMEOUT = 120.0

_REPORT_RE = re.compile(r"^/reports/(\d+)\.pdf$")
_FILE_RE = re.compile(r"^/files/report-(\d+)\.pdf$")
_BIG_RE = re.compile(r"^/files/big-(\d+)\.pdf$")

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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    emulator: EmulatorServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (or our own drop faults) are normal here; stay quiet.
        return


class _IPv6HTTPServer(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "VibeTestingEmulator/1.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # keep-alive answers must not wait for delayed ACKs
    server: _HTTPServer

    # -- plumbing -----------------------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        self.server.emulator._track(self.connection, True)

    def finish(self) -> None:
        try:
            with contextlib.suppress(OSError):
                super().finish()
        finally:
            self.server.emulator._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        return  # one line per request is written by _log instead (no query strings)

    # -- request flow -------------------------------------------------------------------------
    def _handle(self) -> None:
        emu = self.server.emulator
        started = time.monotonic()
        arrived = emu._service.clock()
        split = urlsplit(self.path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        endpoint = _endpoint_of(path)
        record = Recorded(
            method=self.command,
            path=path,
            query=query,
            headers=headers,
            time=arrived,
            endpoint=endpoint,
            client=self.client_address[0] if self.client_address else "",
        )
        emu._record(record)
        try:
            self._serve(emu, record, query, headers)
        except _Dropped:
            record.status = None
            self.close_connection = True
        except OSError:  # the client went away
            self.close_connection = True
        finally:
            emu._log_request(record, time.monotonic() - started)

    # Every method goes the same way; routing and 405 answers are decided per endpoint.
    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def _serve(
        self,
        emu: EmulatorServer,
        record: Recorded,
        query: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> None:
        stalls, chosen = emu._pre_faults(record.endpoint)
        stall_seconds = sum(f.seconds if f.seconds is not None else 5.0 for f in stalls)
        if chosen is not None and chosen.kind == "drop":
            emu._sleep(stall_seconds)
            record.fault = "drop"
            self._drop()
        body = self._read_body(record)
        if record.endpoint == "execution-status" and isinstance(record.json, dict):
            execution_id = record.json.get("execution_id")
            if isinstance(execution_id, int) and not isinstance(execution_id, bool):
                emu._service.record_status_call(execution_id, record.time)
        if stalls:
            record.fault = "stall"
            emu._sleep(stall_seconds)
        if chosen is not None:
            record.fault = chosen.kind
            self._send_fault(record, chosen)
            return
        if record.endpoint in API_ENDPOINTS:
            self._api(emu, record, query, headers, body)
        elif record.endpoint == "report":
            self._report(emu, record, query)
        elif record.endpoint == "health" and self.command in ("GET", "HEAD"):
            self._send(record, 200, b"ok\n", "text/plain; charset=utf-8")
        else:
            self._send_json(record, 404, {"status": "fail", "reason": "Not found"})

    def _read_body(self, record: Recorded) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline(65537)
                if len(data) > MAX_BODY:
                    raise _Dropped
            body = bytes(data)
        else:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY:
                raise _Dropped
            body = self.rfile.read(length) if length > 0 else b""
        record.body = body
        if body:
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                record.json = json.loads(body)
        return body

    # -- answers ------------------------------------------------------------------------------
    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        raise _Dropped

    def _send(
        self,
        record: Recorded,
        status: int,
        payload: bytes,
        content_type: str,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        record.status = status
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _send_json(
        self,
        record: Recorded,
        status: int,
        body: Mapping[str, Any],
        extra: Mapping[str, str] | None = None,
    ) -> None:
        payload = json.dumps(body).encode("utf-8")
        self._send(record, status, payload, "application/json", extra)

    def _send_fault(self, record: Recorded, fault: Fault) -> None:
        status = fault.http_status
        if fault.kind in ("html500", "create-then-500"):
            self._send(record, status, _html_error(status), "text/html; charset=utf-8")
        elif fault.kind == "429":
            self._send_json(
                record,
                429,
                {"status": "fail", "reason": "Too many requests"},
                {"Retry-After": fault.retry_after_header()},
            )
        elif fault.kind == "garbage":
            if record.endpoint == "report":
                self._send(record, 200, _html_error(200), "application/pdf")
            else:
                self._send(record, 200, b'{"status": "success", "execution_', "application/json")
        elif fault.kind == "not-found":
            reason = "Report not found" if record.endpoint == "report" else "Execution not found"
            self._send_json(record, 404, {"status": "fail", "reason": reason})
        elif fault.kind == "create-then-drop":
            self._drop()
        else:  # pragma: no cover - every pre/post kind is handled above or in _api
            self._send(record, 500, _html_error(500), "text/html; charset=utf-8")

    # -- API ----------------------------------------------------------------------------------
    def _api(
        self,
        emu: EmulatorServer,
        record: Recorded,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> None:
        if self.command != "POST":
            self._send_json(
                record,
                405,
                {"status": "fail", "reason": "Method not allowed; use POST"},
                {"Allow": "POST"},
            )
            return
        token = emu._authenticate(headers, query)
        if token is None:
            self._send_json(record, 401, {"status": "fail", "reason": "Invalid or missing API key"})
            return
        if body.strip():
            if record.json is None and body.strip() != b"null":
                self._send_json(record, 400, {"status": "fail", "reason": "Invalid JSON body"})
                return
            data = record.json
        else:
            data = {}
        if not isinstance(data, dict):
            self._send_json(
                record, 400, {"status": "fail", "reason": "Request body must be a JSON object"}
            )
            return
        try:
            answer = self._dispatch(emu, record.endpoint, data, token)
        except ApiFail as fail:
            self._send_json(record, fail.http_status, {"status": "fail", "reason": fail.reason})
            return
        fault = emu._post_fault(record.endpoint)
        if fault is not None:
            record.fault = fault.kind
            if fault.kind == "odd-state":
                answer.body["execution_state"] = fault.state or "queued"
            elif fault.kind == "null-counts":
                answer.body["number_of_tests"] = None
                answer.body["number_of_done_tests"] = None
                answer.body.pop("number_of_passed_tests", None)
                answer.body.pop("number_of_failed_tests", None)
            elif fault.kind == "odd-counts":
                # Counts that cannot all be true, one as a string, and fields no doc mentions.
                total = answer.body.get("number_of_tests") or 0
                answer.body["number_of_tests"] = str(total)
                answer.body["number_of_done_tests"] = total + 5
                answer.body["number_of_passed_tests"] = total + 3
                answer.body["number_of_failed_tests"] = 2
                answer.body["schema_version"] = 99
                answer.body["extra"] = {"nested": [1, {"deeper": None}], "flag": True}
            elif fault.kind == "patch":
                fault.apply_patch(answer.body)
            else:
                self._send_fault(record, fault)
                return
        self._send_json(record, answer.http_status, answer.body)

    def _dispatch(
        self, emu: EmulatorServer, endpoint: str, data: dict[str, Any], token: str
    ) -> Answer:
        service = emu._service
        if endpoint == "run-tests":
            return service.run_tests(data, token)
        if endpoint == "run-suite":
            return service.run_suite(data, token)
        if endpoint == "stop-execution":
            return service.stop(data)
        execution, body, want_link = service.status(data)
        if want_link and body["execution_state"] == DONE:
            body["full_report_link"] = emu._report_link(execution, self.headers.get("Host"))
        return Answer(200, body)

    # -- reports ------------------------------------------------------------------------------
    def _report(self, emu: EmulatorServer, record: Recorded, query: Mapping[str, str]) -> None:
        if self.command not in ("GET", "HEAD"):
            self._send(record, 405, b"Method not allowed\n", "text/plain", {"Allow": "GET, HEAD"})
            return
        big = _BIG_RE.match(record.path)
        if big:
            self._send_big(record, int(big.group(1)))
            return
        match = _REPORT_RE.match(record.path) or _FILE_RE.match(record.path)
        execution = emu._service.executions.get(int(match.group(1))) if match else None
        if execution is None or execution.state != DONE:
            self._send(record, 404, b"Report not found\n", "text/plain; charset=utf-8")
            return
        if query.get("sig") != execution.report_sig:
            self._send(record, 403, b"Forbidden: bad or missing signature\n", "text/plain")
            return
        if _REPORT_RE.match(record.path):
            location = emu._report_base(self.headers.get("Host")) + (
                f"/files/report-{execution.execution_id}.pdf?sig={quote(execution.report_sig)}"
            )
            self._send(record, 302, b"", "text/plain", {"Location": location})
            return
        pdf = report_pdf(execution)
        self._send(
            record,
            200,
            pdf,
            "application/pdf",
            {"Content-Disposition": f'inline; filename="report-{execution.execution_id}.pdf"'},
        )

    def _send_big(self, record: Recorded, mib: int) -> None:
        if not 1 <= mib <= MAX_BIG_MIB:
            self._send(record, 404, b"Size out of range\n", "text/plain")
            return
        big = BigPdf(mib * 1024 * 1024)
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(big.size))
        self.end_headers()
        record.status = 200
        if self.command == "HEAD":
            return
        for chunk in big.chunks():
            self.wfile.write(chunk)


def _endpoint_of(path: str) -> str:
    if path.startswith(API_PREFIX):
        name = path[len(API_PREFIX) :]
        name = name[:-1] if name.endswith("/") else name
        return name if name in API_ENDPOINTS else "unknown"
    if _REPORT_RE.match(path) or _FILE_RE.match(path) or _BIG_RE.match(path):
        return "report"
    if path in ("/healthz", "/healthz/"):
        return "health"
    return "unknown"


def _html_error(status: int) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return (
        f"<!DOCTYPE html>\n<html><head><title>{status} {phrase}</title></head>\n"
        f"<body><center><h1>{status} {phrase}</h1></center><hr><center>nginx</center>"
        "</body></html>\n"
    ).encode()


def report_pdf(execution: Execution) -> bytes:
    """The PDF report of a finished execution: suite, counts, each test and its outcome."""
    now = execution.clock()
    body = execution.status_body(now)
    lines = [
        "VibeTesting emulator - execution report",
        "",
        f"Suite: {execution.suite_name}",
        f"Execution: {execution.execution_id}",
        f"State: {body['execution_state']}",
        f"Started: {body['start_time'] or '-'}",
        f"Ended: {body['end_time'] or '-'}",
        f"Tests: {body['number_of_tests']}   Done: {body['number_of_done_tests']}   "
        f"Passed: {body['number_of_passed_tests']}   Failed: {body['number_of_failed_tests']}",
        f"Summary: {body['detailed_status']}",
        "",
        "Tests:",
    ]
    outcomes = execution.outcomes_at(now) if execution.schedule_id is None else []
    for index, (name, outcome) in enumerate(outcomes, start=1):
        lines.append(f"  {index:>3}. {outcome.upper():<9} {name}")
    if not outcomes:
        lines.append("  (none)")
    return text_pdf(lines, title=f"{execution.suite_name} - execution {execution.execution_id}")


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
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        server_class = _IPv6HTTPServer if ":" in self.host else _HTTPServer
        httpd = server_class((self.host, self._requested_port), _Handler)
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
