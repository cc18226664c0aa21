"""PDF report download against a real HTTP server on loopback (no mocked requests)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from vibetesting_ci.errors import ReportError, VibetestingError
from vibetesting_ci.run.reports import download_report

PDF = b"%PDF-1.7\n" + b"0123456789abcdef" * 4096 + b"\n%%EOF\n"  # ~64 KiB + a bit
UA = "vibetesting-ci/test"
SECRET = "s3cr3t-token-value"
TARGET_KEY = "target-Signature-0f9e8d7c"  # the key in a redirect's target


@dataclass
class Seen:
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: Seen

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _send(self, code: int, body: bytes, ctype: str, length: bool = True) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.seen.requests.append((self.path, dict(self.headers.items())))
        path = self.path.split("?")[0]
        port = self.server.server_address[1]
        if path == "/report.pdf":
            self._send(200, PDF, "application/pdf")
        elif path == "/redirect":
            self.send_response(302)
            # to a different host name (localhost vs 127.0.0.1), as a bucket link would
            self.send_header("Location", f"http://localhost:{port}/report.pdf")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/signed-redirect":  # a signed link whose target is signed too, and gone
            self.send_response(302)
            self.send_header("Location", f"/expired.pdf?X-Amz-Signature={TARGET_KEY}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/relative-redirect":
            self.send_response(307)
            self.send_header("Location", "/report.pdf")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/html":
            self._send(200, b"<!DOCTYPE html><html><body>Access denied</body></html>", "text/html")
        elif path == "/empty":
            self._send(200, b"", "application/pdf")
        elif path == "/big-declared":
            self._send(200, PDF, "application/pdf")
        elif path == "/big-undeclared":
            self._send(200, PDF, "application/pdf", length=False)
            self.close_connection = True
        elif path == "/slow":
            self.seen.release.wait(10)
            self._send(200, PDF, "application/pdf")
        else:
            self._send(404, b"not found", "text/plain")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hanging up early (size cap, timeout) is expected here


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Seen]]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    seen = Seen()
    handler = type("BoundHandler", (Handler,), {"seen": seen})
    httpd = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        seen.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def get(url: str, dest: Path, **kw: object) -> int:
    options: dict[str, object] = {"timeout": 5.0, "max_bytes": 10 * 1024 * 1024, "user_agent": UA}
    options.update(kw)
    return download_report(url, str(dest), **options)  # type: ignore[arg-type]


def leaky_session() -> requests.Session:
    """A session carrying API credentials, as a careless caller might pass: all must go."""
    session = requests.Session()
    session.headers["Authorization"] = f"api-key {SECRET}"
    session.auth = ("user", SECRET)
    session.cookies.set("sessionid", SECRET)
    return session


def only(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


def test_success_through_redirect_without_credentials(
    server: tuple[str, Seen], tmp_path: Path
) -> None:
    base, seen = server
    dest = tmp_path / "out" / "report.pdf"
    n = get(f"{base}/redirect?api-key={SECRET}", dest, session=leaky_session())
    assert n == len(PDF)
    assert dest.read_bytes() == PDF
    assert [p for p, _ in seen.requests] == [f"/redirect?api-key={SECRET}", "/report.pdf"]
    for _, headers in seen.requests:
        lowered = {k.lower(): v for k, v in headers.items()}
        assert "authorization" not in lowered
        assert SECRET not in lowered.get("cookie", "")
        assert lowered["user-agent"] == UA
    assert seen.requests[1][1]["Host"].startswith("localhost:")
    assert only(dest.parent) == ["report.pdf"]


def test_relative_redirect_and_default_session(server: tuple[str, Seen], tmp_path: Path) -> None:
    base, seen = server
    dest = tmp_path / "r.pdf"
    assert get(f"{base}/relative-redirect", dest) == len(PDF)
    assert all("Authorization" not in h for _, h in seen.requests)


def test_netrc_is_not_used(
    server: tuple[str, Seen], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, seen = server
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login me password {SECRET}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    get(f"{base}/report.pdf", tmp_path / "r.pdf")
    assert "Authorization" not in seen.requests[0][1]


def expect_failure(url: str, dest: Path, match: str, **kw: object) -> ReportError:
    with pytest.raises(ReportError, match=match) as caught:
        get(url, dest, **kw)
    error = caught.value
    assert isinstance(error, VibetestingError) and error.exit_code == 3  # --require-report: exit 3
    assert SECRET not in str(error)
    return error


def test_html_page_refused_old_file_kept(server: tuple[str, Seen], tmp_path: Path) -> None:
    base, _ = server
    dest = tmp_path / "report.pdf"
    dest.write_bytes(b"%PDF-old")
    error = expect_failure(f"{base}/html?api-key={SECRET}", dest, "not a PDF")
    assert "api-key=***" in str(error)
    assert dest.read_bytes() == b"%PDF-old"
    assert only(tmp_path) == ["report.pdf"]


def test_empty_body_refused(server: tuple[str, Seen], tmp_path: Path) -> None:
    base, _ = server
    expect_failure(f"{base}/empty", tmp_path / "r.pdf", "not a PDF")
    assert only(tmp_path) == []


@pytest.mark.parametrize("path", ["/big-declared", "/big-undeclared"])
def test_size_cap(server: tuple[str, Seen], tmp_path: Path, path: str) -> None:
    base, _ = server
    dest = tmp_path / "r.pdf"
    dest.write_bytes(b"%PDF-old")
    expect_failure(f"{base}{path}", dest, "limit of 1000 bytes", max_bytes=1000)
    assert dest.read_bytes() == b"%PDF-old"
    assert only(tmp_path) == ["r.pdf"]


def test_exactly_at_the_cap_is_fine(server: tuple[str, Seen], tmp_path: Path) -> None:
    base, _ = server
    assert get(f"{base}/big-undeclared", tmp_path / "r.pdf", max_bytes=len(PDF)) == len(PDF)


def test_404(server: tuple[str, Seen], tmp_path: Path) -> None:
    base, _ = server
    error = expect_failure(f"{base}/missing.pdf?token={SECRET}", tmp_path / "r.pdf", "HTTP 404")
    assert "token=***" in str(error)
    assert only(tmp_path) == []


def test_a_signed_link_and_its_redirect_target_stay_out_of_the_error(
    server: tuple[str, Seen], tmp_path: Path
) -> None:
    """The download uses the whole link and follows the redirect whole; its error names the link
    with every query value hidden, and not where it was redirected."""
    base, seen = server
    url = f"{base}/signed-redirect?sig={SECRET}&X-Amz-Credential=AKIA-cred-1234"
    error = expect_failure(url, tmp_path / "r.pdf", "HTTP 404")
    message = str(error)
    assert message.startswith(
        f"report download from {base}/signed-redirect?sig=***&X-Amz-Credential=*** failed"
    )
    for hidden in (TARGET_KEY, "expired", "AKIA-cred"):
        assert hidden not in message
    assert [p for p, _ in seen.requests] == [
        f"/signed-redirect?sig={SECRET}&X-Amz-Credential=AKIA-cred-1234",
        f"/expired.pdf?X-Amz-Signature={TARGET_KEY}",
    ]


def test_too_many_redirects(server: tuple[str, Seen], tmp_path: Path) -> None:
    base, seen = server
    expect_failure(f"{base}/loop", tmp_path / "r.pdf", "redirects")
    assert len(seen.requests) == 11


def test_read_timeout(server: tuple[str, Seen], tmp_path: Path) -> None:
    base, seen = server
    try:
        expect_failure(f"{base}/slow", tmp_path / "r.pdf", "timed out", timeout=0.2)
    finally:
        seen.release.set()
    assert only(tmp_path) == []


def test_deadline_already_passed(server: tuple[str, Seen], tmp_path: Path) -> None:
    base, seen = server
    expect_failure(f"{base}/report.pdf", tmp_path / "r.pdf", "deadline", deadline=0.0)
    assert seen.requests == []


def test_connection_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    expect_failure(f"http://127.0.0.1:{port}/r.pdf?api_key={SECRET}", tmp_path / "r.pdf", "connect")


def test_destination_is_a_directory(server: tuple[str, Seen], tmp_path: Path) -> None:
    base, _ = server
    (tmp_path / "r.pdf").mkdir()
    expect_failure(f"{base}/report.pdf", tmp_path / "r.pdf", "cannot write the report file")
    assert only(tmp_path) == ["r.pdf"]
