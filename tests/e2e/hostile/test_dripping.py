"""Hostile servers on loopback that drip, bomb or hold: every call is cut at its bound (the
watchdog, abort_all, capped reads), and a watchdog never cuts a connection it gave back."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests

from vibetesting_ci.errors import AnswerTooLarge, ReportError
from vibetesting_ci.run.reports import download_report
from vibetesting_ci.safety import scrub
from vibetesting_ci.service.download import report_session
from vibetesting_ci.service.transport import (
    Watchdog,
    abort_all,
    bounded_adapter,
    read_capped,
    reset_aborts,
)


@pytest.fixture(autouse=True)
def _clean_scrubber() -> Iterator[None]:
    scrub.reset()
    reset_aborts()
    yield
    scrub.reset()
    reset_aborts()


@contextmanager
def dripping_server(head: bytes = b"", pause: float = 0.2) -> Iterator[str]:
    """Accepts connections and answers ``head`` at once, then one byte per ``pause`` forever
    (until the client hangs up)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                if head:
                    conn.sendall(head)
                payload = b"HTTP/1.1 200 OK\r\n" if not head else b"x" * 10_000
                for byte in payload * 100:
                    if stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(pause)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        listener.close()


def bounded_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", bounded_adapter(max_retries=0))
    return session


def test_the_watchdog_cuts_a_dripping_status_line():
    with dripping_server() as url, bounded_session() as session:
        started = time.monotonic()
        with Watchdog(1.0) as dog, pytest.raises(requests.exceptions.ConnectionError):
            session.get(url, timeout=(5, 5))  # each read well inside 5 s
        took = time.monotonic() - started
    assert dog.expired and not dog.aborted
    assert took < 4.0  # cut at 1 s (a read timeout alone would wait for minutes)


def test_abort_all_cuts_a_dripping_body_at_once():
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
    with dripping_server(head) as url, bounded_session() as session:
        errors: list[BaseException] = []

        def fetch() -> None:
            with Watchdog(None, "report"):
                try:
                    session.get(url, timeout=(5, 5))
                except requests.exceptions.RequestException as exc:
                    errors.append(exc)

        worker = threading.Thread(target=fetch)
        worker.start()
        time.sleep(0.5)
        assert abort_all("report") == 1
        worker.join(3.0)
        assert not worker.is_alive() and errors


def test_a_report_that_drips_is_cut_at_the_deadline_and_leaves_no_file(tmp_path: Path):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 99999\r\n\r\n%PDF-"
    dest = tmp_path / "report.pdf"
    with dripping_server(head, pause=0.05) as url:
        session = report_session()
        with pytest.raises(ReportError, match="the connection was cut"):
            download_report(
                url,
                str(dest),
                timeout=5,
                max_bytes=10**6,
                deadline=time.monotonic() + 1.0,
                session=session,
                user_agent="t",
            )
        session.close()
    assert list(tmp_path.iterdir()) == []


def test_a_gzip_bomb_is_refused_while_inflating(tmp_path: Path):
    """Through requests and urllib3 for real: 64 MiB of zeros in about 64 KiB of gzip."""
    bomb = gzip.compress(b"0" * (64 * 1024 * 1024), 9)
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
        + f"Content-Length: {len(bomb)}\r\n\r\n".encode()
    )
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            with suppress(OSError):
                conn.sendall(head + bomb)

    threading.Thread(target=serve, daemon=True).start()
    with bounded_session() as session:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        response = session.get(url, stream=True, timeout=5)
        with pytest.raises(AnswerTooLarge):
            read_capped(response, 8 * 1024 * 1024)
    listener.close()


def test_a_watchdog_leaves_a_connection_it_gave_back_alone():
    """Fired after its request was answered, a watchdog must not cut the kept-alive
    connection the pool has since handed to another request (or keeps for the next)."""
    from vibetesting_ci.emulator import EmulatorServer

    with EmulatorServer(port=0, token="tok-abcdef") as srv, bounded_session() as session:
        health = srv.root_url.rstrip("/") + "/healthz"
        with Watchdog(30) as dog:
            assert session.get(health, timeout=5).status_code == 200
            dog.fire()
        with Watchdog(30):
            assert session.get(health, timeout=5).status_code == 200
        assert srv.connections_opened == 1


def test_a_dripping_forge_cannot_hold_the_pull_request_comment(monkeypatch):
    """The comment's calls are bounded by wall-clock time too (service/forge.py)."""
    from vibetesting_ci.errors import CommentError
    from vibetesting_ci.publish import comment
    from vibetesting_ci.service import forge

    monkeypatch.setattr(forge, "REQUEST_TIMEOUT", 1.0)
    with dripping_server() as url:
        target = forge.Target(
            forge="github",
            where="pull request #1",
            list_url=url + "comments",
            headers={},
            edit_method="PATCH",
            edit_url=lambda ident: url + f"comments/{ident}",
            secrets=(),
        )
        started = time.monotonic()
        with pytest.raises(CommentError):
            comment.post(target, lambda _previous: "body", key="k", budget=20)
        assert time.monotonic() - started < 6.0
