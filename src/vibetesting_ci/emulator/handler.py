"""The emulator's request handler: one request read, recorded, faults applied, routed to the
API (``emulator/service.py``), the report files or the health check, and answered
(``emulator/hostile.py`` writes the answers).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from vibetesting_ci.emulator.faults import API_ENDPOINTS
from vibetesting_ci.emulator.hostile import AnswerWriter
from vibetesting_ci.emulator.model import Execution
from vibetesting_ci.emulator.pdf import text_pdf
from vibetesting_ci.emulator.service import Answer, ApiFail
from vibetesting_ci.emulator.wire import (
    BIG_RE,
    FILE_RE,
    IDLE_TIMEOUT,
    MAX_BODY,
    REPORT_RE,
    EmulatorHTTPServer,
    Host,
    Recorded,
    _Dropped,
    endpoint_of,
)
from vibetesting_ci.vocabulary import Endpoint, State


class Handler(AnswerWriter):
    """One connection to the emulator (HTTP/1.1, kept alive): each request handled by
    :meth:`_handle`, whatever its method."""

    protocol_version = "HTTP/1.1"
    server_version = "VibeTestingEmulator/1.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # keep-alive answers must not wait for delayed ACKs
    server: EmulatorHTTPServer

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
        endpoint = endpoint_of(path)
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
        emu: Host,
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
        emu._note_password(record)
        if record.endpoint == Endpoint.EXECUTION_STATUS and isinstance(record.json, dict):
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

    def _api(
        self,
        emu: Host,
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
            elif fault.kind == "echo-status":
                echoed = emu._secrets_text(self.headers.get("Authorization", ""))
                link = answer.body.get("full_report_link")
                if isinstance(link, str) and link:  # the signed link, its key in clear
                    echoed += f"; report {link}"
                answer.body["detailed_status"] = f"{answer.body.get('detailed_status')}; {echoed}"
                answer.body["suite_name"] = f"suite for {echoed}"
            elif fault.kind == "huge-failure":
                count = 1000 if fault.count is None else fault.count
                size = (fault.mib or 2) * 1024 * 1024
                line = "step 3 failed: the button did not answer; "
                answer.body.update(
                    {
                        "execution_state": State.DONE,
                        "number_of_tests": count,
                        "number_of_done_tests": count,
                        "number_of_passed_tests": 0,
                        "number_of_failed_tests": count,
                        "detailed_status": (line * (size // len(line) + 1))[:size],
                    }
                )
            elif fault.kind == "patch":
                fault.apply_patch(answer.body)
            else:
                self._send_fault(record, fault)
                return
        self._send_json(record, answer.http_status, answer.body)

    def _dispatch(self, emu: Host, endpoint: str, data: dict[str, Any], token: str) -> Answer:
        service = emu._service
        if endpoint == Endpoint.RUN_TESTS:
            return service.run_tests(data, token)
        if endpoint == Endpoint.RUN_SUITE:
            return service.run_suite(data, token)
        if endpoint == Endpoint.STOP_EXECUTION:
            return service.stop(data)
        execution, body, want_link = service.status(data)
        if want_link and body["execution_state"] == State.DONE:
            body["full_report_link"] = emu._report_link(execution, self.headers.get("Host"))
        return Answer(200, body)

    def _report(self, emu: Host, record: Recorded, query: Mapping[str, str]) -> None:
        if self.command not in ("GET", "HEAD"):
            self._send(record, 405, b"Method not allowed\n", "text/plain", {"Allow": "GET, HEAD"})
            return
        big = BIG_RE.match(record.path)
        if big:
            self._send_big(record, int(big.group(1)))
            return
        match = REPORT_RE.match(record.path) or FILE_RE.match(record.path)
        execution = emu._service.executions.get(int(match.group(1))) if match else None
        if execution is None or execution.state != State.DONE:
            self._send(record, 404, b"Report not found\n", "text/plain; charset=utf-8")
            return
        if query.get("sig") != execution.report_sig:
            self._send(record, 403, b"Forbidden: bad or missing signature\n", "text/plain")
            return
        if REPORT_RE.match(record.path):
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
