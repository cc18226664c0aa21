"""The fault matrix: scenarios run through the real CLI (a subprocess) against the emulator.

Shared by ``tests/test_reliability_*.py`` and ``scripts/fault_matrix.py`` (which prints the
table for the issue's closing note). Each :class:`Scenario` names its faults (emulator
``--fault`` specs), the CLI arguments, an optional signal and what must come out; each run gives
an :class:`Outcome` with the exit code, seconds from the signal to the exit, the runs the
emulator created, the journal, and how many times a secret (the API token or the login
password) appears in stdout, stderr and every file the run left behind.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import PASSWORD, TOKEN, clean_env, wait_until
from vibetesting_ci.emulator import EmulatorServer
from vibetesting_ci.emulator.server import Recorded

# Secrets of the hostile-answer scenarios: a password in --api-url, and a login password with
# characters that URL, JSON, XML, Markdown and dotenv encodings all change.
URL_PASSWORD = "url-Pass-4242-secret"
ODD_PASSWORD = "odd p@ss/w€rd&<x>|\"q'-7781"
SECRETS = (TOKEN, PASSWORD, URL_PASSWORD, ODD_PASSWORD)
TWO_TESTS = "[{name: login works, steps: log in}, {name: checkout works, steps: [add, pay]}]"
LOGIN = ("--login-identifier", "qa@example.com", "--login-password", PASSWORD)
RUN = ("run", "--tests", TWO_TESTS, *LOGIN, "-v")
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
PROXY_VARIABLES = tuple(
    v
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    for v in (name, name.lower())
)


@dataclass(frozen=True)
class Scenario:
    """One row of the fault matrix."""

    name: str
    group: str  # trigger / status / timeout / cancel / report / odd / transport / github
    what: str  # the fault, in words
    faults: tuple[str, ...] = ()
    args: tuple[str, ...] = RUN
    env: Mapping[str, str] = field(default_factory=dict)
    test_seconds: float = 0.05
    expect_exit: int = 0
    expect_runs: int | None = 1
    expect_text: tuple[str, ...] = ()  # each must appear in stdout+stderr
    # Requests per endpoint the journal must show (exact counts).
    expect_calls: Mapping[str, int] = field(default_factory=dict)
    # A signal: sent once ``signal_on`` has been seen ``signal_count`` times, after a delay.
    signal: int | None = None
    signal_on: str = "execution-status"
    signal_count: int = 1
    signal_delay: float = 0.3
    pid1: bool = False  # run as PID 1 of a new PID namespace (unshare)
    api_url: str | None = None  # "refused": a port where nothing listens
    # None (http), or https with a test CA that is: "no-ca" (not trusted), "requests-ca-bundle",
    # "ssl-cert-file" (named by that variable), "missing-ca-file" (REQUESTS_CA_BUNDLE names a
    # file that does not exist)
    tls: str | None = None
    proxy: str | None = None  # None, "through" (HTTP_PROXY), "bypass" (NO_PROXY)
    github: bool = False  # run as a GitHub Action step (outputs, summary, annotations)
    report_link_query: str = ""  # appended to report links by the emulator
    settle: float = 0.0  # seconds to wait after the exit before counting runs (stalls)
    timeout: float = 60.0
    # Files made in the work folder first: (name, content); content "<fifo>" makes a FIFO.
    prepare: tuple[tuple[str, str], ...] = ()


@dataclass
class Outcome:
    scenario: Scenario
    returncode: int
    stdout: str
    stderr: str
    files: dict[str, str]
    seconds: float  # start to exit
    signal_to_exit: float | None
    runs_created: int
    journal: list[Recorded]
    secrets_found: int
    workdir: Path
    proxy_seen: list[str] = field(default_factory=list)
    ended_at: float = 0.0  # time.monotonic() at the exit (the journal's clock)

    def seconds_since(self, endpoint: str) -> float:
        """Seconds from the first request on ``endpoint`` to the exit (start-up excluded)."""
        first = next(r.time for r in self.journal if r.endpoint == endpoint)
        return self.ended_at - first

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def calls(self, endpoint: str) -> int:
        return sum(1 for r in self.journal if r.endpoint == endpoint)

    def results(self) -> dict[str, Any]:
        text = self.files.get("vibetesting-results.json")
        return json.loads(text) if text else {}

    @property
    def happened(self) -> str:
        """One line: the result file's verdict and message (or the last line of stderr)."""
        results = self.results()
        if results:
            return f"{results.get('result')}: {results.get('message') or ''}".strip()
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def secret_forms(secret: str) -> set[str]:
    """A secret as given and URL-encoded (upper- and lower-case escapes, ``+`` for spaces)."""
    from urllib.parse import quote, quote_plus

    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}
    forms |= {f.lower() for f in forms if "%" in f and f.lower() != secret.lower()}
    # As a GitHub workflow command escapes them (% -> %25), which the runner decodes for display.
    return forms | {f.replace("%", "%25") for f in forms if "%" in f}


def count_secrets(outcome_texts: Sequence[str], secrets: Sequence[str] = SECRETS) -> int:
    forms = {form for secret in secrets for form in secret_forms(secret)}
    return sum(text.count(form) for text in outcome_texts for form in forms)


def _visible_stdout(stdout: str) -> str:
    """stdout without GitHub's ``::add-mask::`` lines (they hand the secret to the runner to
    hide; GitHub never shows them)."""
    return "\n".join(line for line in stdout.splitlines() if not line.startswith("::add-mask::"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- TLS ----------------------------------------------------------------------------------------


@dataclass
class TestCA:
    ca_file: Path
    server_context: ssl.SSLContext


def make_ca(folder: Path) -> TestCA:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    folder.mkdir(parents=True, exist_ok=True)
    ca_file = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TestCA(ca_file, context)


# -- a tiny forward proxy (absolute-URI HTTP requests, no CONNECT) ---------------------------------


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _forward(self) -> None:
        target = urlsplit(self.path)
        self.server.seen.append(f"{self.command} {target.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in ("proxy-connection", "connection", "keep-alive")
        }
        conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            conn.request(self.command, path, body=body, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
        except OSError:
            self.send_error(502)
            return
        finally:
            conn.close()
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _forward


@contextlib.contextmanager
def forward_proxy() -> Iterator[tuple[str, list[str]]]:
    """An HTTP proxy on loopback for http:// URLs; yields (its URL, the requests it saw)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


# -- running one scenario -----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def pid1_available() -> bool:
    """True if this machine can run a process as PID 1 of a new PID namespace."""
    if os.geteuid() != 0 or not Path("/usr/bin/unshare").exists():
        return False
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", "test $$ -eq 1"],
        capture_output=True,
        check=False,
        timeout=10,
    )
    return probe.returncode == 0


def run_scenario(sc: Scenario, workdir: Path) -> Outcome:
    """Run one scenario in ``workdir`` (created) and collect everything it left."""
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        emulator_args: dict[str, Any] = {}
        extra_env: dict[str, str] = {}
        drop = list(PROXY_VARIABLES)
        if sc.tls is not None:
            ca = make_ca(workdir.parent / f"{workdir.name}-ca")
            emulator_args["ssl_context"] = ca.server_context
            drop += CA_VARIABLES
            if sc.tls == "requests-ca-bundle":
                extra_env["REQUESTS_CA_BUNDLE"] = str(ca.ca_file)
            elif sc.tls == "ssl-cert-file":
                extra_env["SSL_CERT_FILE"] = str(ca.ca_file)
            elif sc.tls == "missing-ca-file":
                extra_env["REQUESTS_CA_BUNDLE"] = str(ca.ca_file.with_name("missing.pem"))
        srv = EmulatorServer(
            port=0,
            token=TOKEN,
            test_seconds=sc.test_seconds,
            seed=1,
            faults=list(sc.faults),
            report_link_query=sc.report_link_query,
            **emulator_args,
        ).start()
        stack.callback(srv.stop)
        seen: list[str] = []
        if sc.proxy == "through":
            proxy_url, seen = stack.enter_context(forward_proxy())
            extra_env["HTTP_PROXY"] = proxy_url
        elif sc.proxy == "bypass":
            extra_env["HTTP_PROXY"] = f"http://127.0.0.1:{free_port()}"  # nothing listens
            extra_env["NO_PROXY"] = "127.0.0.1,localhost"
        url = srv.url if sc.api_url is None else sc.api_url
        if url == "refused":
            url = f"http://127.0.0.1:{free_port()}/api/external/"
        elif url == "userinfo":  # a password in the URL: a secret like the token
            url = srv.url.replace("://", f"://qa:{URL_PASSWORD}@", 1)
        for name, content in sc.prepare:
            if content == "<fifo>":
                os.mkfifo(workdir / name)
            else:
                (workdir / name).write_text(content, encoding="utf-8")
        env = clean_env(
            {
                "VIBETESTING_API_TOKEN": TOKEN,
                "VIBETESTING_API_URL": url,
                "VIBETESTING_POLL_INTERVAL": "0.1",
                "VIBETESTING_TIMEOUT": "60",
                # Every output file there is, so the leak check reads them all.
                "VIBETESTING_DOTENV_FILE": "vibetesting.env",
            }
        )
        for name in drop:
            env.pop(name, None)
        env.update(extra_env)
        if sc.github:
            env.update(
                {
                    "GITHUB_ACTIONS": "true",
                    "CI": "true",
                    "GITHUB_OUTPUT": str(workdir / "github-output.txt"),
                    "GITHUB_STEP_SUMMARY": str(workdir / "github-summary.md"),
                }
            )
        env.update(sc.env)
        command = [sys.executable, "-m", "vibetesting_ci", *sc.args]
        if sc.pid1:
            command = ["unshare", "--pid", "--fork", "--mount-proc", *command]
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        signalled: float | None = None
        if sc.signal is not None:
            target = proc.pid
            if sc.pid1:
                wait_until(lambda: bool(_children(proc.pid)), 10)
                target = (_children(proc.pid) or [proc.pid])[0]
            wait_until(
                lambda: (
                    sum(1 for r in srv.journal if r.endpoint == sc.signal_on) >= sc.signal_count
                    or proc.poll() is not None
                ),
                sc.timeout,
            )
            time.sleep(sc.signal_delay)
            signalled = time.monotonic()
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, sc.signal)
        try:
            stdout, stderr = proc.communicate(timeout=sc.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        ended = time.monotonic()
        if sc.settle:
            time.sleep(sc.settle)
        files = {
            str(p.relative_to(workdir)): p.read_bytes().decode("utf-8", "replace")
            for p in sorted(workdir.rglob("*"))
            if p.is_file() and p.stat().st_size <= 64 * 1024 * 1024
        }
        secrets = count_secrets([_visible_stdout(stdout), stderr, *files.values()])
        return Outcome(
            scenario=sc,
            returncode=proc.returncode,
            stdout=stdout,
            stderr=stderr,
            files=files,
            seconds=ended - started,
            signal_to_exit=None if signalled is None else ended - signalled,
            runs_created=srv.runs_created,
            journal=srv.journal,
            secrets_found=secrets,
            workdir=workdir,
            proxy_seen=list(seen),
            ended_at=ended,
        )


# -- the matrix ---------------------------------------------------------------------------------

MAY_HAVE_STARTED = "the run may have started"
# Hostile-answer scenarios: a login password (from the variable) that encodings change, and a
# tests file whose aliases expand a 1 MiB file to about 300 MB of text.
ODD_RUN = ("run", "--tests", TWO_TESTS, "--login-identifier", "qa@example.com", "-v")
ALIAS_BOMB = (
    "tests:\n  - name: t\n    steps: [&a '"
    + "x" * (1024 * 1024 - 4096)
    + "', "
    + ", ".join(["*a"] * 300)
    + "]\n"
)
SLOW = 30.0  # test_seconds for runs that must still be running when something happens
T = ("--request-timeout", "1")

SCENARIOS: tuple[Scenario, ...] = (
    # Triggers: retried only when the service certainly did not act.
    Scenario("baseline", "trigger", "no fault", expect_calls={"run-tests": 1}),
    Scenario(
        "trigger-429",
        "trigger",
        "run-tests answers 429 (Retry-After: 1) twice",
        faults=("run-tests:429:times=2,retry_after=1",),
        expect_calls={"run-tests": 3},
    ),
    Scenario(
        "trigger-429-odd-retry-after",
        "trigger",
        "run-tests answers 429 with a fractional Retry-After (0.2), once",
        faults=("run-tests:429:times=1,retry_after=0.2",),
        expect_calls={"run-tests": 2},
    ),
    Scenario(
        "trigger-429-forever",
        "trigger",
        "run-tests answers 429 (Retry-After: 0) every time",
        faults=("run-tests:429:times=0,retry_after=0",),
        expect_exit=3,
        expect_runs=0,
        expect_text=("still rate limited", "nothing was started"),
        expect_calls={"run-tests": 4},
    ),
    Scenario(
        "trigger-refused",
        "trigger",
        "nothing listens on the API port",
        api_url="refused",
        expect_exit=3,
        expect_runs=0,
        expect_text=("nothing was started", "Connection refused"),
    ),
    Scenario(
        "trigger-html500",
        "trigger",
        "run-tests answers 500 with an HTML page",
        faults=("run-tests:html500",),
        expect_exit=3,
        expect_runs=0,
        expect_text=(MAY_HAVE_STARTED, "--stop-existing", "HTTP 500"),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "trigger-create-then-500",
        "trigger",
        "run-tests starts the run, then answers 500",
        faults=("run-tests:create-then-500",),
        expect_exit=3,
        expect_runs=1,
        expect_text=(MAY_HAVE_STARTED, "dashboard"),
        expect_calls={"run-tests": 1, "execution-status": 0},
    ),
    Scenario(
        "trigger-create-then-drop",
        "trigger",
        "run-tests starts the run, then drops the connection",
        faults=("run-tests:create-then-drop",),
        expect_exit=3,
        expect_runs=1,
        expect_text=(MAY_HAVE_STARTED, "the connection broke"),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "trigger-drop",
        "trigger",
        "run-tests drops the connection unanswered",
        faults=("run-tests:drop",),
        expect_exit=3,
        expect_runs=0,
        expect_text=(MAY_HAVE_STARTED,),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "trigger-read-timeout",
        "trigger",
        "run-tests stalls 2 s (past --request-timeout 1), then starts the run",
        faults=("run-tests:stall:seconds=2",),
        args=(*RUN, *T),
        expect_exit=3,
        expect_runs=1,
        settle=1.5,
        expect_text=(MAY_HAVE_STARTED, "no answer within 1 s"),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "trigger-garbage",
        "trigger",
        "run-tests answers 200 with a cut-off JSON body",
        faults=("run-tests:garbage",),
        expect_exit=3,
        expect_runs=0,
        expect_text=(MAY_HAVE_STARTED, "not the documented JSON"),
        expect_calls={"run-tests": 1},
    ),
    # Status calls: retried (backoff + jitter, Retry-After honoured), never past the deadline.
    Scenario(
        "status-html500",
        "status",
        "execution-status answers 500 (HTML) 3 times",
        faults=("execution-status:html500:times=3",),
        expect_text=("HTTP 500", "retrying in"),
    ),
    Scenario(
        "status-drop",
        "status",
        "execution-status drops the connection 3 times",
        faults=("execution-status:drop:times=3",),
        expect_text=("connection failed",),
    ),
    Scenario(
        "status-garbage",
        "status",
        "execution-status answers a cut-off JSON body 3 times",
        faults=("execution-status:garbage:times=3",),
        expect_text=("not the documented JSON",),
    ),
    Scenario(
        "status-429",
        "status",
        "execution-status answers 429 with Retry-After: 1, twice",
        faults=("execution-status:429:times=2,retry_after=1",),
        expect_text=("HTTP 429",),
    ),
    Scenario(
        "status-read-timeout",
        "status",
        "execution-status stalls 3 s once (past --request-timeout 1)",
        faults=("execution-status:stall:times=1,seconds=3",),
        args=(*RUN, *T),
        expect_text=("no answer within 1 s",),
    ),
    Scenario(
        "status-500-forever",
        "status",
        "execution-status answers 500 every time",
        faults=("execution-status:html500:times=0",),
        expect_exit=3,
        expect_text=("no usable answer after 10 attempt(s)", "last error: HTTP 500"),
        expect_calls={"execution-status": 10, "stop-execution": 0},
    ),
    Scenario(
        "status-429-past-deadline",
        "status",
        "execution-status answers 429 with Retry-After: 3600 every time; --timeout 3",
        faults=("execution-status:429:times=0,retry_after=3600",),
        args=(*RUN, "--timeout", "3"),
        test_seconds=SLOW,
        expect_exit=4,
        expect_calls={"execution-status": 1, "stop-execution": 1},
    ),
    Scenario(
        "status-not-found",
        "status",
        "execution-status says status: fail, Execution not found (after one good answer)",
        faults=("execution-status:not-found:after=1",),
        test_seconds=SLOW,
        expect_exit=3,
        expect_text=("execution 1001", "Execution not found"),
        expect_calls={"execution-status": 2},
    ),
    # Odd answers.
    Scenario(
        "odd-state",
        "odd",
        "execution_state 'queued' (unknown) in 3 answers",
        faults=("execution-status:odd-state:times=3,state=queued",),
        expect_text=("unknown execution_state 'queued'",),
    ),
    Scenario(
        "null-counts",
        "odd",
        "number_of_tests/done null, passed/failed missing, in 2 answers",
        faults=("execution-status:null-counts:times=2",),
        test_seconds=0.5,  # the faulty answers come while it runs, not as the final one
        expect_text=("missing or null; counted as 0",),
    ),
    Scenario(
        "odd-counts",
        "odd",
        "every answer: done and passed above the total (sent as a string), 2 failed, extra fields",
        faults=("execution-status:odd-counts:times=0",),
        expect_exit=1,  # the service says 2 failed; the verdict follows it
        expect_text=("exceed number_of_tests",),
    ),
    # Timeout.
    Scenario(
        "timeout",
        "timeout",
        "the run outlasts --timeout 2",
        args=(*RUN, "--timeout", "2"),
        test_seconds=SLOW,
        expect_exit=4,
        expect_calls={"stop-execution": 1},
    ),
    Scenario(
        "timeout-no-fail",
        "timeout",
        "the run outlasts --timeout 2, --no-fail-on-timeout",
        args=(*RUN, "--timeout", "2", "--no-fail-on-timeout"),
        test_seconds=SLOW,
        expect_exit=0,
        expect_calls={"stop-execution": 1},
    ),
    Scenario(
        "timeout-no-stop",
        "timeout",
        "the run outlasts --timeout 2, --no-stop-on-timeout",
        args=(*RUN, "--timeout", "2", "--no-stop-on-timeout"),
        test_seconds=SLOW,
        expect_exit=4,
        expect_calls={"stop-execution": 0},
    ),
    Scenario(
        "timeout-status-stalled",
        "timeout",
        "execution-status stalls 30 s; --timeout 2, --request-timeout 5",
        faults=("execution-status:stall:times=0,seconds=30,after=1",),
        args=(*RUN, "--timeout", "2", "--request-timeout", "5"),
        test_seconds=SLOW,
        expect_exit=4,
        expect_calls={"stop-execution": 1},
    ),
    # Cancellation.
    Scenario(
        "sigint-waiting",
        "cancel",
        "SIGINT while waiting",
        test_seconds=SLOW,
        signal=signal.SIGINT,
        expect_exit=130,
        expect_calls={"stop-execution": 1},
    ),
    Scenario(
        "sigterm-waiting",
        "cancel",
        "SIGTERM while waiting",
        test_seconds=SLOW,
        signal=signal.SIGTERM,
        expect_exit=143,
        expect_calls={"stop-execution": 1},
    ),
    Scenario(
        "sigterm-no-stop",
        "cancel",
        "SIGTERM while waiting, --no-stop-on-cancel",
        args=(*RUN, "--no-stop-on-cancel"),
        test_seconds=SLOW,
        signal=signal.SIGTERM,
        expect_exit=143,
        expect_calls={"stop-execution": 0},
    ),
    Scenario(
        "sigterm-status-stalled",
        "cancel",
        "SIGTERM while a status call is stalled (30 s)",
        faults=("execution-status:stall:times=0,seconds=30,after=1",),
        test_seconds=SLOW,
        signal=signal.SIGTERM,
        signal_count=2,
        expect_exit=143,
        expect_calls={"stop-execution": 1},
    ),
    Scenario(
        "sigterm-stop-stalled",
        "cancel",
        "SIGTERM; status and stop-execution both stall (30 s)",
        faults=(
            "execution-status:stall:times=0,seconds=30,after=1",
            "stop-execution:stall:times=0,seconds=30",
        ),
        test_seconds=SLOW,
        signal=signal.SIGTERM,
        signal_count=2,
        expect_exit=143,
        expect_text=("could not stop execution 1001",),
        expect_calls={"stop-execution": 1},
    ),
    Scenario(
        "sigterm-during-timeout-stop",
        "cancel",
        "--timeout 2, stop-execution stalls 30 s (--request-timeout 20), then SIGTERM",
        faults=("stop-execution:stall:times=0,seconds=30",),
        args=(*RUN, "--timeout", "2", "--request-timeout", "20"),
        test_seconds=SLOW,
        signal=signal.SIGTERM,
        signal_on="stop-execution",
        expect_exit=143,
        expect_text=("could not stop execution 1001",),
        expect_calls={"stop-execution": 1},
    ),
    Scenario(
        "sigterm-trigger-stalled",
        "cancel",
        "SIGTERM while run-tests is stalled (30 s, nothing started yet)",
        faults=("run-tests:stall:seconds=30",),
        signal=signal.SIGTERM,
        signal_on="run-tests",
        expect_exit=143,
        expect_runs=0,
        expect_text=(MAY_HAVE_STARTED,),
        expect_calls={"run-tests": 1, "execution-status": 0},
    ),
    Scenario(
        "sigterm-trigger-answers-late",
        "cancel",
        "SIGTERM while run-tests is stalled 0.6 s; its answer comes in the grace period",
        faults=("run-tests:stall:seconds=0.6",),
        test_seconds=SLOW,
        signal=signal.SIGTERM,
        signal_on="run-tests",
        signal_delay=0.1,
        expect_exit=143,
        expect_calls={"run-tests": 1, "stop-execution": 1},
    ),
    Scenario(
        "sigterm-report-stalled",
        "cancel",
        "SIGTERM while the report download is stalled (30 s)",
        faults=("report:stall:times=0,seconds=30",),
        signal=signal.SIGTERM,
        signal_on="report",
        expect_exit=143,
        expect_calls={"stop-execution": 0},
    ),
    Scenario(
        "sigterm-pid1",
        "cancel",
        "SIGTERM to the CLI running as PID 1 (unshare --pid --fork)",
        test_seconds=SLOW,
        signal=signal.SIGTERM,
        pid1=True,
        expect_exit=143,
        expect_calls={"stop-execution": 1},
    ),
    # Reports.
    Scenario(
        "report-html500",
        "report",
        "the report link answers 500 (HTML)",
        faults=("report:html500:times=0",),
        expect_text=("report not downloaded", "HTTP 500"),
    ),
    Scenario(
        "report-not-pdf",
        "report",
        "the report link answers 200 with HTML labelled application/pdf",
        faults=("report:garbage:times=0",),
        expect_text=("not a PDF",),
    ),
    Scenario(
        "report-drop",
        "report",
        "the report host drops the connection",
        faults=("report:drop:times=0",),
        expect_text=("report not downloaded",),
    ),
    Scenario(
        "report-required",
        "report",
        "the report link answers 500, --require-report",
        faults=("report:html500:times=0",),
        args=(*RUN, "--require-report"),
        expect_exit=3,
        expect_text=("report required but not downloaded",),
    ),
    Scenario(
        "report-link-with-key",
        "report",
        "report links carry ?api-key=<the token>",
        report_link_query=f"api-key={TOKEN}",
        expect_text=("api-key=***",),
    ),
    # Transport.
    Scenario(
        "tls-no-ca",
        "transport",
        "HTTPS with a certificate from an unknown CA",
        tls="no-ca",
        expect_exit=3,
        expect_runs=0,
        expect_text=("could not verify the TLS certificate", "REQUESTS_CA_BUNDLE"),
    ),
    Scenario(
        "tls-no-ca-wait",
        "transport",
        "HTTPS with an unknown CA, `wait` (status calls): not retried",
        args=("wait", "1001", "-v"),
        tls="no-ca",
        expect_exit=3,
        expect_runs=0,
        expect_text=("execution-status (execution 1001): could not verify the TLS certificate",),
    ),
    Scenario(
        "tls-missing-ca-file",
        "transport",
        "REQUESTS_CA_BUNDLE names a file that does not exist",
        tls="missing-ca-file",
        expect_exit=3,
        expect_runs=0,
        expect_text=("invalid path", "nothing was started"),
    ),
    Scenario(
        "tls-requests-ca-bundle",
        "transport",
        "HTTPS, test CA in REQUESTS_CA_BUNDLE",
        tls="requests-ca-bundle",
    ),
    Scenario(
        "tls-ssl-cert-file",
        "transport",
        "HTTPS, test CA in SSL_CERT_FILE",
        tls="ssl-cert-file",
    ),
    Scenario(
        "proxy-through",
        "transport",
        "HTTP_PROXY set: every call goes through a forward proxy",
        proxy="through",
    ),
    Scenario(
        "proxy-bypass",
        "transport",
        "HTTP_PROXY names a dead proxy, NO_PROXY lists the API host",
        proxy="bypass",
    ),
    # One-shot commands (a few seconds of retries, then exit 3 naming the last error).
    Scenario(
        "status-cmd-garbage",
        "command",
        "`status` while execution-status answers garbage every time",
        faults=("execution-status:garbage:times=0",),
        args=("status", "1001", "-v"),
        expect_exit=3,
        expect_runs=0,
        expect_text=("no usable answer after 5 attempt(s)", "not the documented JSON"),
        expect_calls={"execution-status": 5},
    ),
    Scenario(
        "stop-cmd-drop",
        "command",
        "`stop` while stop-execution drops every connection",
        faults=("stop-execution:drop:times=0",),
        args=("stop", "1001", "-v"),
        expect_exit=3,
        expect_runs=0,
        expect_text=("no usable answer after 5 attempt(s)", "connection failed"),
        expect_calls={"stop-execution": 5},
    ),
    Scenario(
        "cancel-schedule-429",
        "command",
        "`cancel-schedule` while stop-execution answers 429 (Retry-After: 0) twice",
        faults=("stop-execution:429:times=2,retry_after=0",),
        args=("cancel-schedule", "no-such-schedule", "-v"),
        expect_exit=3,
        expect_runs=0,
        expect_text=("HTTP 429", "Schedule not found"),
        expect_calls={"stop-execution": 3},
    ),
    # As a GitHub Action step: outputs, summary and annotations are checked for secrets too.
    Scenario(
        "github-failing-run",
        "github",
        "GitHub Actions; one test fails",
        args=("run", "--tests", "[{name: 'pay [fail]', steps: pay}]", *LOGIN, "-v"),
        github=True,
        expect_exit=1,
    ),
    Scenario(
        "github-trigger-500",
        "github",
        "GitHub Actions; run-tests starts the run, then answers 500",
        faults=("run-tests:create-then-500",),
        github=True,
        expect_exit=3,
        expect_text=("::error",),
    ),
    Scenario(
        "github-sigterm",
        "github",
        "GitHub Actions; SIGTERM while waiting",
        test_seconds=SLOW,
        signal=signal.SIGTERM,
        github=True,
        expect_exit=143,
        expect_calls={"stop-execution": 1},
    ),
    # ---- hostile answers (issues 17 and 10.1) -------------------------------------------------
    # One contiguous block (it moves as one piece when faultkit is split). Checked in detail by
    # tests/test_hostile_answers.py.
    # A slow answer: every request is cut at its wall-clock bound, dripping or not.
    Scenario(
        "trigger-drip",
        "hostile",
        "run-tests answers one byte a second, status line first; --request-timeout 2",
        faults=("run-tests:drip:times=0",),
        args=(*RUN, "--request-timeout", "2"),
        expect_exit=3,
        expect_runs=0,
        expect_text=(MAY_HAVE_STARTED, "no answer within 2 s"),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "status-drip",
        "hostile",
        "execution-status drips one byte a second; --request-timeout 2, --timeout 5",
        faults=("execution-status:drip:times=0",),
        args=(*RUN, "--request-timeout", "2", "--timeout", "5"),
        expect_exit=4,
        expect_calls={"run-tests": 1, "stop-execution": 1},
    ),
    Scenario(
        "report-drip",
        "hostile",
        "the report's body drips one byte a second; --timeout 5",
        faults=("report:drip-body:times=0",),
        args=(*RUN, "--request-timeout", "2", "--timeout", "5"),
        expect_exit=0,
        expect_text=("report not downloaded", "the connection was cut"),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "sigterm-report-drip",
        "hostile",
        "SIGTERM while the report's body drips",
        faults=("report:drip-body:times=0",),
        signal=signal.SIGTERM,
        signal_on="report",
        signal_delay=1.0,
        expect_exit=143,
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "status-command-drip",
        "hostile",
        "`status` while execution-status drips; --request-timeout 2",
        faults=("execution-status:drip:times=0",),
        args=("status", "1001", "--request-timeout", "2", "-v"),
        expect_exit=3,
        expect_runs=0,
        expect_text=("no answer within 2 s", "the connection was cut"),
    ),
    Scenario(
        "stop-command-drip",
        "hostile",
        "`stop` while stop-execution drips; --request-timeout 2",
        faults=("stop-execution:drip:times=0",),
        args=("stop", "1001", "--request-timeout", "2", "-v"),
        expect_exit=3,
        expect_runs=0,
        expect_text=("no answer within 2 s", "the connection was cut"),
    ),
    # Redirects: never followed for triggers and stops; reads follow a few, same host only.
    Scenario(
        "trigger-redirect-self",
        "hostile",
        "run-tests answers 307 to itself, every time",
        faults=("run-tests:redirect:times=0,target=self",),
        expect_exit=3,
        expect_runs=0,
        expect_text=(MAY_HAVE_STARTED, "HTTP 307 redirect to http://127.0.0.1:", "not followed"),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "trigger-redirect-other-host",
        "hostile",
        "run-tests answers 308 to the same path on another host name (localhost)",
        faults=("run-tests:redirect:times=0,target=other-host,status=308",),
        expect_exit=3,
        expect_runs=0,
        expect_text=(MAY_HAVE_STARTED, "HTTP 308 redirect to http://localhost:"),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "status-redirect-followed",
        "hostile",
        "execution-status answers 307 to itself once (same host: followed)",
        faults=("execution-status:redirect:times=1,target=self",),
        expect_exit=0,
    ),
    Scenario(
        "status-redirect-other-host",
        "hostile",
        "execution-status answers 307 to another host name, every time",
        faults=("execution-status:redirect:times=0,target=other-host",),
        expect_exit=3,
        expect_text=("another host, not followed",),
    ),
    Scenario(
        "stop-redirect",
        "hostile",
        "`stop` while stop-execution answers 307 to itself",
        faults=("stop-execution:redirect:times=0,target=self",),
        args=("stop", "1001", "-v"),
        expect_exit=3,
        expect_runs=0,
        expect_text=("not followed",),
        expect_calls={"stop-execution": 1},
    ),
    # Secrets the service echoes, and a password in --api-url.
    Scenario(
        "trigger-echoes-secrets",
        "hostile",
        "run-tests refuses with a reason quoting the token and the login password (GitHub)",
        faults=("run-tests:echo-refusal",),
        args=ODD_RUN,
        env={"VIBETESTING_LOGIN_PASSWORD": ODD_PASSWORD},
        github=True,
        expect_exit=3,
        expect_runs=0,
        expect_text=("refused: key ***",),
    ),
    Scenario(
        "status-echoes-secrets",
        "hostile",
        "every status answer quotes the token and the password (detailed status, suite name)",
        faults=("execution-status:echo-status:times=0",),
        args=("run", "--tests", "[{name: 'pay [fail]', steps: pay}]", *ODD_RUN[3:]),
        env={"VIBETESTING_LOGIN_PASSWORD": ODD_PASSWORD},
        github=True,
        # The report link carries the password URL-encoded in a parameter no one calls secret.
        report_link_query="trace=" + quote(ODD_PASSWORD, safe=""),
        expect_exit=1,
    ),
    Scenario(
        "api-url-password",
        "hostile",
        "--api-url http://qa:PASSWORD@host/ (--verbose)",
        api_url="userinfo",
        expect_exit=0,
    ),
    Scenario(
        "api-url-password-dry-run",
        "hostile",
        "--api-url http://qa:PASSWORD@host/ with --dry-run",
        args=(*RUN, "--dry-run"),
        api_url="userinfo",
        expect_exit=0,
        expect_runs=0,
        expect_text=("qa:***@127.0.0.1",),
        expect_calls={"run-tests": 0},
    ),
    # Size: every answer capped by its decoded size, every text per case and per sink.
    Scenario(
        "trigger-200mb",
        "hostile",
        "run-tests answers a 200 MB body",
        faults=("run-tests:big:mib=200",),
        expect_exit=3,
        expect_runs=0,
        expect_text=(MAY_HAVE_STARTED, "larger than 8 MiB"),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "status-200mb",
        "hostile",
        "execution-status answers a 200 MB body, every time",
        faults=("execution-status:big:times=0,mib=200",),
        expect_exit=3,
        expect_text=("larger than 8 MiB",),
    ),
    Scenario(
        "status-gzip-bomb",
        "hostile",
        "execution-status answers 1 MB of gzip that inflates to 1 GiB, every time",
        faults=("execution-status:gzip-bomb:times=0,mib=1024",),
        expect_exit=3,
        expect_text=("larger than 8 MiB",),
    ),
    Scenario(
        "huge-failure",
        "hostile",
        "done with 1,000 failed tests and a 2 MB detailed status; GitHub Actions",
        faults=("execution-status:huge-failure:times=0",),
        github=True,
        expect_exit=1,
    ),
    Scenario(
        "trigger-429-retry-after-3600",
        "hostile",
        "run-tests answers 429 with Retry-After: 3600; --timeout 10",
        faults=("run-tests:429:times=0,retry_after=3600",),
        args=(*RUN, "--timeout", "10"),
        expect_exit=3,
        expect_runs=0,
        expect_text=("would pass the --timeout deadline", "nothing was started"),
        expect_calls={"run-tests": 1},
    ),
    # Inputs: exit 2, nothing sent.
    Scenario(
        "tests-file-fifo",
        "input",
        "--tests-file names a FIFO nobody writes to",
        args=("run", "--tests-file", "tests.fifo", "-v"),
        prepare=(("tests.fifo", "<fifo>"),),
        expect_exit=2,
        expect_runs=0,
        expect_text=("not a regular file",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "tests-file-dev-zero",
        "input",
        "--tests-file /dev/zero",
        args=("run", "--tests-file", "/dev/zero", "-v"),
        expect_exit=2,
        expect_runs=0,
        expect_text=("not a regular file",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "tests-file-alias-bomb",
        "input",
        "a 1 MiB tests file whose YAML aliases expand to about 300 MB",
        args=("run", "--tests-file", "bomb.yml", "-v"),
        prepare=(("bomb.yml", ALIAS_BOMB),),
        expect_exit=2,
        expect_runs=0,
        expect_text=("once YAML aliases are expanded",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "junit-equals-results",
        "input",
        "--junit-file and --results-file name the same file",
        args=(*RUN, "--junit-file", "out.json", "--results-file", "./out.json"),
        expect_exit=2,
        expect_runs=0,
        expect_text=("name the same file",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "request-timeout-1e12",
        "input",
        "--request-timeout 1e12",
        args=(*RUN, "--request-timeout", "1e12"),
        expect_exit=2,
        expect_runs=0,
        expect_text=("must be at most 86400 seconds",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "token-not-ascii",
        "input",
        "a token with a euro sign",
        env={"VIBETESTING_API_TOKEN": "tok-€-0123456789"},
        expect_exit=2,
        expect_runs=0,
        expect_text=("printable ASCII",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "api-url-bad-ipv6",
        "input",
        "--api-url http://[::1/api/external/ (an unclosed IPv6 address)",
        api_url="http://[::1/api/external/",
        expect_exit=2,
        expect_runs=0,
        expect_text=("not a valid URL",),
    ),
    Scenario(
        "api-url-port-99999",
        "input",
        "--api-url with port 99999",
        api_url="http://127.0.0.1:99999/api/external/",
        expect_exit=2,
        expect_runs=0,
        expect_text=("not a valid URL",),
    ),
    Scenario(
        "insecure-http-refused",
        "input",
        "plain http:// to a host that is not loopback (no --allow-insecure-http)",
        api_url="http://vibetesting.example/api/external/",
        expect_exit=2,
        expect_runs=0,
        expect_text=("--allow-insecure-http",),
    ),
    # ---- end of the hostile-answers block ------------------------------------------------------
)

BY_NAME = {s.name: s for s in SCENARIOS}


# -- a session-wide cache, so each scenario runs once however many tests look at it -------------


class Matrix:
    """Runs scenarios on demand (a few at a time in parallel) and keeps their outcomes."""

    def __init__(self, root: Path, parallel: int = 4) -> None:
        self.root = root
        self.parallel = parallel
        self._cache: dict[str, Outcome] = {}
        self._lock = threading.Lock()

    def prefetch(self, names: Sequence[str]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        todo = [n for n in dict.fromkeys(names) if n not in self._cache]
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for name, outcome in zip(
                todo, pool.map(lambda n: run_scenario(BY_NAME[n], self.root / n), todo), strict=True
            ):
                with self._lock:
                    self._cache[name] = outcome

    def __getitem__(self, name: str) -> Outcome:
        if name not in self._cache:
            outcome = run_scenario(BY_NAME[name], self.root / name)
            with self._lock:
                self._cache.setdefault(name, outcome)
        return self._cache[name]


def wanted_scenarios(items: Sequence[Any]) -> list[str]:
    """Scenario names the collected tests ask for (their ``scenario`` parameter)."""
    names: list[str] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "matrix" in getattr(item, "fixturenames", ()):
            name = callspec.params.get("scenario")
            if isinstance(name, str) and name in BY_NAME:
                names.append(name)
    return names


_SHARED: list[Matrix] = []


def shared_matrix(request: pytest.FixtureRequest, factory: pytest.TempPathFactory) -> Matrix:
    """The session's one Matrix; on first use it runs every scenario the session's tests ask
    for, four at a time. Test modules wrap it in a ``matrix`` fixture."""
    if not _SHARED:
        runner = Matrix(factory.mktemp("fault-matrix"))
        runner.prefetch(wanted_scenarios(request.session.items))
        _SHARED.append(runner)
    return _SHARED[0]
