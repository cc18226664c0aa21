"""The fault matrix's table: every scenario, what it does to the CLI and what must come out.

Each :class:`Scenario` names its faults (emulator ``--fault`` specs), the CLI arguments, an
optional signal and what must come out. The test suite (``tests/test_reliability_*.py``,
``tests/test_signals.py``, ``tests/test_tls.py``) and ``scripts/fault_matrix.py`` run these same
rows; to add one, append a :class:`Scenario` to ``SCENARIOS`` in its group.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass, field

from faultkit.common import PASSWORD, TOKEN

TWO_TESTS = "[{name: login works, steps: log in}, {name: checkout works, steps: [add, pay]}]"
LOGIN = ("--login-identifier", "qa@example.com", "--login-password", PASSWORD)
RUN = ("run", "--tests", TWO_TESTS, *LOGIN, "-v")


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


MAY_HAVE_STARTED = "the run may have started"
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
)

BY_NAME = {s.name: s for s in SCENARIOS}
