"""Unit tests for the pieces behind the hostile-answer defences (issue 17, issue 10.1):
the scrubber, the wall-clock Watchdog against a real dripping socket on loopback, capped
reads, text budgets and the emulator's new fault specs. End to end: test_hostile_answers.py."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests

from vibetesting_ci.domain.report import FileKind, OutputFile, build_report
from vibetesting_ci.emulator.faults import parse_fault, spec_of
from vibetesting_ci.errors import AnswerTooLarge, ReportError
from vibetesting_ci.run.reports import download_report
from vibetesting_ci.safety import scrub
from vibetesting_ci.safety.text import Budget, clip
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


# -- the scrubber --------------------------------------------------------------------------------


def test_scrub_replaces_every_encoded_form():
    secret = "p@ss w€rd&<x>|\"q'"
    scrub.register(secret)
    from urllib.parse import quote, quote_plus

    for form in (
        secret,
        quote(secret, safe=""),
        quote(secret, safe="").lower(),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
    ):
        assert scrub.scrub(f"before {form} after") == "before *** after", form


def test_scrub_leaves_short_values_and_ordinary_text():
    scrub.register("abc", "", None, "long-enough-secret")
    assert scrub.scrub("abc 1 2 3") == "abc 1 2 3"
    assert scrub.scrub("x long-enough-secret y") == "x *** y"


def test_the_std_stream_guard_scrubs_what_is_written():
    import io

    from vibetesting_ci.safety.guard import CommandGuard

    scrub.register("tok-0123456789")
    inner = io.StringIO()
    stream = CommandGuard(inner)
    print("key tok-0123456789 here", file=stream)
    assert inner.getvalue() == "key *** here\n"


def test_atomic_text_files_are_scrubbed(tmp_path: Path):
    from vibetesting_ci.publish.atomic import atomic_write_text

    scrub.register("tok-0123456789")
    atomic_write_text(tmp_path / "f.txt", "a tok-0123456789 b")
    assert (tmp_path / "f.txt").read_text() == "a *** b"


# -- a dripping server on loopback ---------------------------------------------------------------


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


# -- capped reads --------------------------------------------------------------------------------


class _Body:
    """A minimal stand-in for a streamed requests.Response (headers and iter_content)."""

    def __init__(self, data: bytes, headers: dict[str, str]) -> None:
        self.headers = headers
        self._data = data
        self.closed = False

    def iter_content(self, size: int) -> Iterator[bytes]:
        for start in range(0, len(self._data), size):
            yield self._data[start : start + size]

    def close(self) -> None:
        self.closed = True


def test_read_capped_refuses_a_declared_or_streamed_excess():
    small = _Body(b"x" * 100, {"Content-Length": "100"})
    assert read_capped(small, 1000) == b"x" * 100  # type: ignore[arg-type]
    declared = _Body(b"", {"Content-Length": "5000"})
    with pytest.raises(AnswerTooLarge):
        read_capped(declared, 1000)  # type: ignore[arg-type]
    streamed = _Body(b"x" * 5000, {})
    with pytest.raises(AnswerTooLarge):
        read_capped(streamed, 1000)  # type: ignore[arg-type]
    assert streamed.closed


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


# -- text budgets --------------------------------------------------------------------------------


def test_clip_and_budget():
    assert clip("abc", 10) == "abc"
    assert clip("x" * 20, 10).startswith("x" * 10) and "10 more characters cut" in clip(
        "x" * 20, 10
    )
    budget = Budget(1000, "NOTE")
    assert budget.take("a" * 600) == "a" * 600
    cut = budget.take("b" * 600)
    assert cut.startswith("b" * 400) and "cut" in cut
    assert budget.take("c" * 10) == "NOTE"
    assert budget.take("") == ""


# -- emulator fault specs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        "run-tests:drip:times=0,seconds=0.5",
        "report:drip-body:times=0",
        "run-tests:redirect:times=0,status=308,target=other-host",
        "execution-status:big:times=1,mib=200",
        "execution-status:gzip-bomb:times=0,mib=1024",
        "run-tests:echo-refusal:times=1",
        "execution-status:echo-status:times=0",
        "execution-status:huge-failure:times=0,mib=2,count=1000",
    ],
)
def test_hostile_fault_specs_round_trip(spec):
    fault = parse_fault(spec)
    assert parse_fault(spec_of(fault)) == fault


def test_hostile_fault_specs_are_checked():
    with pytest.raises(ValueError, match="target"):
        parse_fault("run-tests:redirect:target=elsewhere")
    with pytest.raises(ValueError, match="does not apply"):
        parse_fault("run-tests:huge-failure")


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


def test_github_commands_are_scrubbed_before_escaping_but_masks_are_not():
    from vibetesting_ci.render.github import command

    scrub.register("p@ss-word-1")
    line = command("error", "the service said p%40ss-word-1", title="x p@ss-word-1")
    assert "p%2540ss" not in line and "p@ss" not in line and "***" in line
    assert command("add-mask", "p@ss-word-1") == "::add-mask::p@ss-word-1"


def _huge_report():
    """3,000 failed executions, each one test named in Markdown specials (each shows escaped at
    twice its length), a long suite name and detailed status, every test flaky too."""
    from vibetesting_ci.domain.models import ExecutionResult, ExecutionStatus, RunResult

    executions = tuple(
        ExecutionResult(
            i,
            ExecutionStatus(
                i,
                "done",
                suite_name="suite " + "n" * 900,
                tests=1,
                done=1,
                failed=1,
                detailed_status="step failed " * 300,
                report_url=f"https://reports.example/{i}.pdf?sig=abc",
            ),
        )
        for i in range(1, 3001)
    )
    names = tuple(f"{i} " + "@<[" * 400 for i in range(1, 3001))
    result = RunResult(
        "failed",
        1,
        executions=executions,
        test_names=names,
        message="3000 of 3000 failed",
        flaky=3000,
        flaky_tests=names,
    )
    return build_report(result, [OutputFile(FileKind.JUNIT, "j.xml")])


def _summary(report):
    from vibetesting_ci.render.github import SUMMARY_LIMIT, render_summary

    text = render_summary(report)
    # GitHub's limit is in bytes (1 MiB); the cut says so.
    return text, len(text.encode("utf-8")) <= SUMMARY_LIMIT, "The summary was cut here"


def _comment(report):
    from vibetesting_ci.render.comment import MAX_BODY_CHARS, render

    text = render(report, key="deploy/e2e", run_url="https://github.com/octo/shop/actions/runs/9")
    assert text.startswith("<!-- vibetesting-ci:comment key=deploy/e2e -->\n")  # found again
    assert text.rstrip().endswith("-->") and "<!-- vibetesting-ci:counts {" in text  # compared
    # GitHub's limit is in characters (65,536); the cut says so.
    return text, len(text) <= MAX_BODY_CHARS, "… (cut)"


@pytest.mark.parametrize("render", [_summary, _comment], ids=["summary", "comment"])
def test_the_github_summary_and_the_comment_stay_below_their_limits(render):
    from vibetesting_ci.render.github import outputs_for

    report = _huge_report()
    text, within, cut = render(report)
    assert within
    assert cut in text
    assert all(len(v) <= 512 * 1024 for v in outputs_for(report).values())


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
