"""The emulator's answer writers: the plain ones (:meth:`AnswerWriter._send`, ``_send_json``,
``_drop``) and the hostile ones its faults ask for (issue 17): an answer dripped a byte at a
time, a redirect, a huge or gzip-bombed body, an echo of the caller's secrets, an HTML error
page, a 429, garbage, a big PDF streamed on the fly.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from vibetesting_ci.emulator.faults import Fault
from vibetesting_ci.emulator.pdf import BigPdf
from vibetesting_ci.emulator.wire import MAX_BIG_MIB, EmulatorHTTPServer, Recorded, _Dropped


class AnswerWriter(BaseHTTPRequestHandler):
    """The request handler's answers (``emulator/handler.py`` routes the requests)."""

    server: EmulatorHTTPServer

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

    def _hostile(self, record: Recorded, fault: Fault) -> bool:
        """The hostile-answer faults (issue 17); True if ``fault`` was one of them."""
        emu = self.server.emulator
        kind = fault.kind
        if kind in ("drip", "drip-body"):
            self._drip(record, fault)
        elif kind == "redirect":
            host = self.headers.get("Host") or f"127.0.0.1:{emu.port}"
            if fault.target == "other-host":
                host = "localhost" + (host[host.rindex(":") :] if ":" in host else "")
            location = f"{emu.scheme}://{host}{self.path}"
            self._send(record, fault.http_status, b"", "text/plain", {"Location": location})
        elif kind == "big":
            self._send_big_json(record, (fault.mib or 200) * 1024 * 1024)
        elif kind == "gzip-bomb":
            payload = _gzip_bomb(fault.mib or 1024)
            self._send(record, 200, payload, "application/json", {"Content-Encoding": "gzip"})
        elif kind == "echo-refusal":
            reason = f"refused: {emu._secrets_text(self.headers.get('Authorization', ''))}"
            self._send_json(record, fault.http_status, {"status": "fail", "reason": reason})
        else:
            return False
        return True

    def _drip(self, record: Recorded, fault: Fault) -> None:
        """An answer (status line and all, or with ``drip-body`` only the body) sent one byte
        per ``seconds``, for up to ten minutes, or until the client hangs up."""
        emu = self.server.emulator
        pdf = record.endpoint == "report"
        body = (b"%PDF-1.4\n" if pdf else b'{"status": "success", ') + b" " * 600
        head = (
            "HTTP/1.1 200 OK\r\n"
            f"Content-Type: {'application/pdf' if pdf else 'application/json'}\r\n"
            f"Content-Length: {len(body) + 1}\r\n\r\n"
        ).encode("ascii")
        record.status = 200
        self.close_connection = True
        pause = 1.0 if fault.seconds is None else fault.seconds
        if fault.kind == "drip-body":
            self.wfile.write(head)
            payload = body
        else:
            payload = head + body
        for index in range(len(payload)):
            if emu._stopping.is_set():
                break
            self.wfile.write(payload[index : index + 1])
            emu._sleep(pause)
        raise _Dropped

    def _send_big_json(self, record: Recorded, size: int) -> None:
        head = b'{"status": "success", "execution_state": "running", "detailed_status": "'
        tail = b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        record.status = 200
        self.wfile.write(head)
        left = size - len(head) - len(tail)
        block = b"x" * (1024 * 1024)
        while left > 0:
            piece = block[: min(left, len(block))]
            self.wfile.write(piece)
            left -= len(piece)
        self.wfile.write(tail)

    def _send_fault(self, record: Recorded, fault: Fault) -> None:
        status = fault.http_status
        if self._hostile(record, fault):
            return
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


_BOMBS: dict[int, bytes] = {}


def _gzip_bomb(mib: int) -> bytes:
    """``mib`` MiB of the digit 0 inside a JSON string, gzipped to about 1 KiB per MiB: one
    gzip member per MiB (a gzip stream may hold many), so it is made in milliseconds."""
    if mib not in _BOMBS:
        import gzip

        zeros = gzip.compress(b"0" * (1024 * 1024), 9)
        head = gzip.compress(b'{"status": "success", "detailed_status": "', 9)
        tail = gzip.compress(b'"}', 9)
        _BOMBS[mib] = head + zeros * mib + tail
    return _BOMBS[mib]


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
