"""A loopback VibeTesting API that answers hostile text in its fields (issue: service text is
untrusted). Everything else is well-formed, so each test changes one field at a time.

``HostileService(status={...}, trigger={...})``: ``status`` overrides fields of every
``execution-status`` answer (after ``state_once``, if given, was answered once as
``execution_state``), ``trigger`` overrides the ``run-tests`` answer (``{"status": "fail",
"reason": ...}`` for a refusal), ``stop`` the ``stop-execution`` answer (stop and cancel
schedule alike). Report links point at ``/report.pdf`` on the same server.

For runs of several attempts (``--retry-failed``): ``triggers`` overrides the successive
trigger answers (the n-th trigger gets the n-th entry, later ones the last), and ``statuses``
overrides the status answers of one execution id (``{101: {...}}``, after ``status``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class HostileService:
    def __init__(
        self,
        *,
        token: str,
        status: dict[str, Any] | None = None,
        trigger: dict[str, Any] | None = None,
        state_once: str | None = None,
        triggers: list[dict[str, Any]] | None = None,
        statuses: dict[int, dict[str, Any]] | None = None,
        stop: dict[str, Any] | None = None,
    ) -> None:
        self.token = token
        self.status = status or {}
        self.trigger = trigger or {}
        self.state_once = state_once
        self.triggers = triggers or []
        self.statuses = statuses or {}
        self.stop = stop or {}
        self.triggered = 0
        self.requests: list[tuple[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def _answer(self, endpoint: str, body: Any) -> tuple[int, Any]:
        if endpoint in ("run-tests", "run-suite"):
            self.triggered += 1
            shown = self.triggers[: self.triggered][-1:] or [{}]
            again = shown[0]
            return 200, {
                "status": "success",
                "message": "Run started",
                "execution_ids": [101],
                **self.trigger,
                **again,
            }
        if endpoint == "execution-status":
            answer: dict[str, Any] = {
                "status": "success",
                "execution_state": "done",
                "suite_name": "Smoke",
                "number_of_tests": 2,
                "number_of_done_tests": 2,
                "number_of_passed_tests": 1,
                "number_of_failed_tests": 1,
                "detailed_status": "1 passed, 1 failed",
                "start_time": "2026-12-03T10:00:00Z",
                "end_time": "2026-12-03T10:01:00Z",
                "full_report_link": f"{self.url}report.pdf",
                **self.status,
            }
            if isinstance(body, dict) and isinstance(body.get("execution_id"), int):
                answer.update(self.statuses.get(body["execution_id"], {}))
            if self.state_once is not None:
                answer["execution_state"], self.state_once = self.state_once, None
            return 200, answer
        if endpoint == "stop-execution":
            return 200, {"status": "success", "message": "Stopped", **self.stop}
        return 404, {"status": "fail", "reason": "not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, code: int, raw: bytes, kind: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._send(200, PDF, "application/pdf")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                endpoint = self.path.strip("/").split("/")[-1]
                service.requests.append((endpoint, body))
                if self.headers.get("Authorization") != f"api-key {service.token}":
                    self._send(401, b'{"status": "fail", "reason": "bad key"}', "application/json")
                    return
                code, answer = service._answer(endpoint, body)
                self._send(code, json.dumps(answer).encode(), "application/json")

        return Handler

    def __enter__(self) -> HostileService:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
