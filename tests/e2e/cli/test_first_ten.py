"""Issue 24, "the first ten minutes", end to end: the real CLI against the real loopback
emulator (and, for TLS that breaks after the request went out, a small TLS server of its own).

- ``wait`` takes the ids the way ``run --no-wait`` prints them;
- the wait line shows the timeout as given (``5s``, ``1h00m``);
- a connection that failed before the request was sent (refused, a TLS handshake with a
  plain-http server) says "nothing was started", and one that broke after it says "the run may
  have started" and is not repeated;
- a 404 from a URL that is not the API's suggests checking ``--api-url``;
- ``make demo``'s script finds a free port when its port is taken.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from faultkit.tls import make_ca
from tests.support.cli import ROOT, TOKEN, api_bodies, run_cli

# -- wait: ids as run --no-wait prints them -----------------------------------------------------


def _two_executions(cli) -> tuple[int, int]:
    started = cli(
        "run",
        "--tests",
        "[{name: a, steps: b}, {name: c, steps: d}]",
        "--allow-parallel",
        "--no-wait",
    )
    assert started.returncode == 0, started.output
    (line,) = [x for x in started.stdout.splitlines() if x.startswith("execution_ids=")]
    first, second = (int(i) for i in line.removeprefix("execution_ids=").split(","))
    return first, second


@pytest.mark.parametrize(
    "form",
    [
        lambda a, b: [f"{a},{b}"],  # execution_ids=1007,1008 as printed
        lambda a, b: [str(a), str(b)],
        lambda a, b: [f"{a}, {b}"],  # quoted, with a space
        lambda a, b: [f"{a},", f" {b} ,{a}"],  # mixed, a repeat dropped
    ],
    ids=["commas", "spaces", "comma-space", "mixed"],
)
def test_wait_takes_ids_as_run_no_wait_prints_them(cli, emulator, form):
    first, second = _two_executions(cli)
    result = cli("wait", *form(first, second))
    assert result.returncode == 0, result.output
    assert [e["id"] for e in result.results()["executions"]] == [first, second]
    assert f"waiting for execution(s) {first}, {second}" in result.stderr


def test_a_bad_id_among_good_ones_is_one_line_and_nothing_is_asked(cli, emulator):
    result = cli("wait", "1007,x1008")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: execution id 'x1008': expected a positive whole number, got 'x1008'"
    ]
    assert emulator.journal == []


# -- the timeout as given -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "shown"),
    [("5", "(timeout 5s)"), ("", "(timeout 1h00m)"), ("90", "(timeout 1m30s)")],
)
def test_the_wait_line_shows_the_timeout_given(cli, emulator, timeout, shown):
    # An empty VIBETESTING_TIMEOUT is unset: the default, an hour.
    result = cli("run", "--suite-id", "1", env={"VIBETESTING_TIMEOUT": timeout})
    assert result.returncode == 0, result.output
    assert shown in result.stderr


# -- connection errors: did anything reach the service? -----------------------------------------


def test_https_to_a_plain_http_server_started_nothing(cli, emulator):
    url = emulator.url.replace("http://", "https://")
    result = cli("run", "--suite-id", "1", "--api-url", url)
    assert result.returncode == 3, result.output
    message = result.results()["message"]
    assert "the TLS handshake failed" in message and "nothing was started" in message
    assert "may have started" not in message
    assert "plain http:// server? check --api-url" in message
    assert emulator.runs_created == 0 and api_bodies(emulator, "run-suite") == []
    assert "Traceback" not in result.output


def test_a_status_call_to_a_plain_http_server_names_the_handshake(cli, emulator):
    url = emulator.url.replace("http://", "https://")
    result = cli("status", "1", "--api-url", url, "--request-timeout", "1")
    assert result.returncode == 3
    assert "the TLS handshake failed" in result.stderr
    assert "is it a plain http:// server? check --api-url" in result.stderr


def test_a_refused_connection_started_nothing(cli, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli("run", "--suite-id", "1", "--api-url", f"http://127.0.0.1:{port}/api/external/")
    assert result.returncode == 3
    message = result.results()["message"]
    assert "could not connect" in message and "nothing was started" in message


def test_a_tls_handshake_that_never_ends_started_nothing(cli):
    # A server that accepts the connection and never answers the TLS hello: the request itself
    # was never written.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        url = f"https://127.0.0.1:{port}/api/external/"
        result = cli("run", "--suite-id", "1", "--api-url", url, "--request-timeout", "1")
    assert result.returncode == 3, result.output
    message = result.results()["message"]
    assert "no connection within 1 s" in message and "nothing was started" in message


class _TlsThenGarbage:
    """A TLS server on loopback that completes the handshake, reads a whole request, then
    writes bytes that are not TLS on the socket: the client's read fails with a TLS error
    *after* its request went out (the run may have started)."""

    def __init__(self, folder: Path) -> None:
        self.ca = make_ca(folder)
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            try:
                with self.ca.server_context.wrap_socket(raw, server_side=True) as tls:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += tls.recv(65536)
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = next(
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    )
                    while len(body) < length:
                        body += tls.recv(65536)
                    self.requests.append(head)
                    socket.socket.send(tls, b"HTTP/1.1 200 OK\r\n\r\nnot a TLS record at all")
            except (OSError, StopIteration):
                continue

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def tls_then_garbage(tmp_path: Path) -> Iterator[_TlsThenGarbage]:
    server = _TlsThenGarbage(tmp_path / "ca")
    yield server
    server.close()


def test_a_tls_error_after_the_request_was_sent_may_have_started_a_run(tmp_path, tls_then_garbage):
    env = {
        "VIBETESTING_API_TOKEN": TOKEN,
        "VIBETESTING_API_URL": f"https://127.0.0.1:{tls_then_garbage.port}/api/external/",
        "REQUESTS_CA_BUNDLE": str(tls_then_garbage.ca.ca_file),
    }
    # REQUESTS_CA_BUNDLE wins over the machine's other CA variables (transport.ca_bundle).
    result = run_cli(["run", "--suite-id", "1"], cwd=tmp_path, env=env)
    assert result.returncode == 3, result.output
    message = result.results()["message"]
    assert "the run may have started" in message and "nothing was started" not in message
    # Sent once, never repeated.
    assert [r.split(b"\r\n")[0] for r in tls_then_garbage.requests] == [
        b"POST /api/external/run-suite/ HTTP/1.1"
    ]


# -- a 404 from a URL that is not the API ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/api/", "/external/"])
def test_a_404_from_the_wrong_api_url_suggests_checking_it(cli, emulator, path):
    url = emulator.url.split("/api/external/")[0] + path
    result = cli("run", "--suite-id", "1", "--api-url", url)
    assert result.returncode == 3, result.output
    message = result.results()["message"]
    assert "(HTTP 404)" in message
    assert "check --api-url (VIBETESTING_API_URL)" in message
    assert "ending in /api/external/" in message
    assert emulator.runs_created == 0


def test_an_unknown_execution_at_the_right_url_gets_no_url_hint(cli, emulator):
    result = cli("status", "987654")
    assert result.returncode == 3, result.output
    assert "404" in result.stderr and "--api-url" not in result.stderr


# -- make demo with its port taken ----------------------------------------------------------------


def test_demo_picks_a_free_port_when_its_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [
                sys.executable,
                "scripts/demo.py",
                "--output",
                str(tmp_path / "out"),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"port {port} is taken" in proc.stdout
    assert "demo: done (exit 0)" in proc.stdout.splitlines()[-1]
    assert "did not start: \n" not in proc.stdout + proc.stderr
