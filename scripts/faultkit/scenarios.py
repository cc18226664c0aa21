"""The fault matrix's table: every scenario, what it does to the CLI and what must come out.

Each :class:`Scenario` names its faults (emulator ``--fault`` specs), the CLI arguments, an
optional signal and what must come out. The test suite (``tests/e2e/matrix/test_*.py``, among
them ``test_signals.py`` and ``test_tls.py``) and ``scripts/fault_matrix.py`` run these same
rows; to add one, append a :class:`Scenario` to ``SCENARIOS`` in its group.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from faultkit.common import ODD_PASSWORD, PASSWORD, TOKEN

TWO_TESTS = "[{name: login works, steps: log in}, {name: checkout works, steps: [add, pay]}]"
LOGIN = ("--login-identifier", "qa@example.com", "--login-password", PASSWORD)
RUN = ("run", "--tests", TWO_TESTS, *LOGIN, "-v")


@dataclass(frozen=True)
class Scenario:
    """One row of the fault matrix."""

    name: str
    group: (
        str  # trigger / status / timeout / cancel / report / odd / transport / github / hostile /
    )
    # output / verdict
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

# >>> gate-verdict scenarios (issue 16, issue 10 items 4 and 5): answers that cannot prove a
# verdict, ended states, trigger answers, text normalisation, input checks. One contiguous block.
DONE_ZERO = (
    '{"execution_state": "done", "number_of_tests": 0, "number_of_done_tests": 0, '
    '"number_of_passed_tests": 0, "number_of_failed_tests": 0}'
)
ALL_COUNTS = "number_of_tests+number_of_done_tests+number_of_passed_tests+number_of_failed_tests"
FAILING_TEST = "[{name: 'pay [fail]', steps: pay}]"
SCHEDULE_AT = ("--schedule-at", "2030-01-01T02:00:00+00:00")
UNUSABLE = "the service's answer is unusable"
NO_VERDICT = "cannot establish the verdict"


def _status_patch(fields: str, *, drop: str = "", times: int = 0) -> str:
    dropped = f"drop={drop}," if drop else ""
    return f"execution-status:patch:times={times},{dropped}fields={fields}"


def _unreadable_count(name: str, value: str, text: str) -> Scenario:
    return Scenario(
        f"verdict-failed-count-{name}",
        "verdict",
        f"every answer has number_of_failed_tests {value}",
        faults=(_status_patch(f'{{"number_of_failed_tests": {value}}}'),),
        expect_exit=3,
        expect_text=(f"number_of_failed_tests held {text}", NO_VERDICT),
    )


def _ended(state: str) -> Scenario:
    return Scenario(
        f"verdict-ended-{state}",
        "verdict",
        f"the first answer says execution_state {state!r} (a 30 s run)",
        faults=(_status_patch(f'{{"execution_state": "{state}"}}', times=1),),
        test_seconds=SLOW,
        expect_exit=1,
        expect_text=(f"ended as '{state}'",),
        expect_calls={"execution-status": 1, "stop-execution": 0},
    )


GATE_VERDICT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "verdict-done-zero-tests",
        "verdict",
        "done with number_of_tests 0 (and every count 0)",
        faults=(_status_patch(DONE_ZERO),),
        test_seconds=SLOW,
        expect_exit=1,
        expect_text=("the service ran no test",),
        expect_calls={"execution-status": 1},
    ),
    Scenario(
        "verdict-done-zero-tests-allowed",
        "verdict",
        "done with number_of_tests 0, --allow-empty",
        faults=(_status_patch(DONE_ZERO),),
        args=(*RUN, "--allow-empty"),
        test_seconds=SLOW,
        expect_exit=0,
        expect_calls={"execution-status": 1},
    ),
    Scenario(
        "verdict-done-counts-missing",
        "verdict",
        "done with every count missing",
        faults=(_status_patch('{"execution_state": "done"}', drop=ALL_COUNTS),),
        test_seconds=SLOW,
        expect_exit=3,
        expect_text=("number_of_tests is missing", NO_VERDICT),
        expect_calls={"execution-status": 1},
    ),
    _unreadable_count("fraction", "1.5", "1.5, not a whole number"),
    _unreadable_count("word", '"one"', '"one", not a whole number'),
    _unreadable_count("bool", "true", "true, not a count"),
    _unreadable_count("null", "null", "null, not a count"),
    _unreadable_count("negative", "-1", "-1, a negative count"),
    Scenario(
        "verdict-counts-disagree",
        "verdict",
        "every answer: number_of_passed_tests 5 of 2 tests",
        faults=(_status_patch('{"number_of_passed_tests": 5}'),),
        expect_exit=3,
        expect_text=("number_of_tests held 2, fewer than number_of_passed_tests (5)", NO_VERDICT),
    ),
    Scenario(
        "verdict-counts-done-above-total",
        "verdict",
        "every answer: number_of_done_tests 5 of 2 tests",
        faults=(_status_patch('{"number_of_done_tests": 5}'),),
        expect_exit=3,
        expect_text=("number_of_tests held 2, fewer than number_of_done_tests (5)", NO_VERDICT),
    ),
    Scenario(
        "verdict-counts-done-below-outcomes",
        "verdict",
        "every answer: number_of_done_tests 0 while the final one says 2 passed",
        faults=(_status_patch('{"number_of_done_tests": 0}'),),
        expect_exit=3,
        expect_text=("number_of_done_tests held 0, fewer than number_of_passed_tests (2)",),
    ),
    _ended("failed"),
    _ended("error"),
    _ended("stopped"),
    _ended("cancelled"),
    _ended("canceled"),
    _ended("aborted"),
    Scenario(
        "trigger-ids-not-integers",
        "verdict",
        'run-tests starts the run and answers execution_ids [101, "x", 1.5]',
        faults=('run-tests:patch:fields={"execution_ids": [101, "x", 1.5]}',),
        expect_exit=3,
        expect_text=(UNUSABLE, MAY_HAVE_STARTED, '"x", 1.5'),
        expect_calls={"run-tests": 1, "execution-status": 0},
    ),
    Scenario(
        "trigger-ids-not-positive",
        "verdict",
        "run-tests starts the run and answers execution_ids [-1, 0]",
        faults=('run-tests:patch:fields={"execution_ids": [-1, 0]}',),
        expect_exit=3,
        expect_text=(UNUSABLE, MAY_HAVE_STARTED, "-1, 0"),
        expect_calls={"run-tests": 1, "execution-status": 0},
    ),
    Scenario(
        "trigger-unasked-schedule",
        "verdict",
        "an immediate run (one failing test) whose answer carries a schedule_id",
        faults=('run-tests:patch:fields={"schedule_id": "sched-not-asked"}',),
        args=("run", "--tests", FAILING_TEST, *LOGIN, "-v"),
        expect_exit=1,  # the executions were awaited: their failed test decides
        expect_text=("no schedule was asked for", "waiting for the execution(s)"),
        expect_calls={"run-tests": 1},
    ),
    Scenario(
        "trigger-schedule-id-missing",
        "verdict",
        "a scheduled run (--schedule-at) whose answer has no schedule_id",
        faults=("run-tests:patch:drop=schedule_id",),
        args=(*RUN, *SCHEDULE_AT),
        expect_exit=3,
        expect_runs=None,
        expect_text=(UNUSABLE, "no schedule_id", MAY_HAVE_STARTED),
        expect_calls={"run-tests": 1, "execution-status": 0},
    ),
    Scenario(
        "text-surrogate-pair-dry-run",
        "verdict",
        "--dry-run with --tests JSON escaping U+1F600 as a surrogate pair (json.dumps, jq -a)",
        args=("run", "--tests", '[{"name": "smile \\ud83d\\ude00", "steps": "x"}]', "--dry-run"),
        expect_exit=0,
        expect_runs=0,
        expect_text=("smile \U0001f600",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "text-lone-surrogate",
        "verdict",
        "--tests JSON with a lone surrogate escape (\\ud83d)",
        args=("run", "--tests", '[{"name": "half \\ud83d", "steps": "x"}]', *LOGIN),
        expect_exit=2,
        expect_runs=0,
        expect_text=("--tests:1: tests[1].name:", "U+D83D"),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "tests-yaml-octal-count",
        "verdict",
        "inline tests with max_steps_per_flow: 017 (a YAML 1.1 octal)",
        args=("run", "--tests", "{tests: [{name: a, steps: b}], max_steps_per_flow: 017}", *LOGIN),
        expect_exit=2,
        expect_runs=0,
        expect_text=("--tests:1: max_steps_per_flow:",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "tests-yaml-sexagesimal-count",
        "verdict",
        "inline tests with flows_count: 1:30 (a YAML 1.1 base-60 number)",
        args=("run", "--tests", "{tests: [{name: a, steps: b}], flows_count: 1:30}", *LOGIN),
        expect_exit=2,
        expect_runs=0,
        expect_text=("--tests:1: flows_count:",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "login-identifier-without-password",
        "verdict",
        "--login-identifier without a password",
        args=("run", "--tests", TWO_TESTS, "--login-identifier", "qa@example.com"),
        expect_exit=2,
        expect_runs=0,
        expect_text=("VIBETESTING_LOGIN_PASSWORD",),
        expect_calls={"run-tests": 0},
    ),
    Scenario(
        "login-password-without-identifier",
        "verdict",
        "VIBETESTING_LOGIN_PASSWORD without an identifier",
        args=("run", "--tests", TWO_TESTS),
        env={"VIBETESTING_LOGIN_PASSWORD": PASSWORD},
        expect_exit=2,
        expect_runs=0,
        expect_text=("VIBETESTING_LOGIN_IDENTIFIER",),
        expect_calls={"run-tests": 0},
    ),
)
# <<< gate-verdict scenarios

# >>> hostile-text scenarios (issue 15): the service's text fields carry workflow commands, ESC
# sequences, NUL and Markdown; the run goes on, and no such text reaches the runner raw.
INJECT = (
    "x\\n::error::PWNED\\r::add-mask::PWNED\\n::stop-commands::pwn\\n##[group]PWNED\\n"
    "\\u001b[2K\\u001b]0;t\\u0007\\u0000| ![t](https://tracker.example/p.png) <img src=x>"
)


def _hostile(field: str, *, times: int = 0, endpoint: str = "execution-status") -> str:
    return f'{endpoint}:patch:times={times},fields={{"{field}": "{INJECT}"}}'


HOSTILE_TEXT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "hostile-execution-state",
        "hostile",
        "GitHub Actions; the first answer's execution_state holds commands, ESC and NUL",
        faults=(_hostile("execution_state", times=1),),
        github=True,
        expect_text=("unknown execution_state",),
    ),
    *(
        Scenario(
            f"hostile-{field.replace('_', '-')}",
            "hostile",
            f"GitHub Actions; every answer's {field} holds commands, ESC, NUL and Markdown",
            faults=(_hostile(field),),
            github=True,
        )
        for field in ("detailed_status", "suite_name")
    ),
    Scenario(
        "hostile-report-link",
        "hostile",
        "GitHub Actions; full_report_link holds a line break and commands",
        faults=(_hostile("full_report_link"),),
        github=True,
        expect_text=("full_report_link is not a plain http(s) URL; ignored",),
    ),
    Scenario(
        "hostile-refusal-reason",
        "hostile",
        "GitHub Actions; run-tests answers status fail with a reason holding commands",
        faults=('run-tests:patch:fields={"status": "fail", "reason": "' + INJECT + '"}',),
        github=True,
        expect_exit=3,
        expect_calls={"run-tests": 1},
    ),
)
# <<< end of the hostile-text block


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
        expect_text=("number_of_tests held null, not a count; waiting for the final answer",),
    ),
    Scenario(
        "odd-counts",
        "odd",
        "every answer: done and passed above the total (sent as a string), 2 failed, extra fields",
        faults=("execution-status:odd-counts:times=0",),
        expect_exit=3,  # counts that contradict each other establish no verdict
        expect_text=("number_of_tests held 2, fewer than number_of_passed_tests (5)",),
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
    # tests/e2e/hostile/test_hostile_answers.py.
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
        "every status answer quotes the token, the password and the signed report link",
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
        expect_text=("must be at most 1 day (86400 seconds)",),
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
    # -- output paths checked before the trigger (issue 10 item 2) ------------------------------
    Scenario(
        "output-junit-is-a-directory",
        "output",
        "--junit-file names a directory: refused before the trigger",
        args=(*RUN, "--junit-file", "/usr"),
        expect_exit=2,
        expect_runs=0,
        expect_calls={"run-tests": 0},
        expect_text=("--junit-file (VIBETESTING_JUNIT_FILE) '/usr': is a directory",),
    ),
    Scenario(
        "output-parent-is-a-file",
        "output",
        "--results-file under a file, not a folder: refused before the trigger",
        args=(*RUN, "--results-file", "/proc/self/status/results.json"),
        expect_exit=2,
        expect_runs=0,
        expect_calls={"run-tests": 0},
        expect_text=("is a file, not a folder; nothing was sent",),
    ),
    Scenario(
        "output-report-on-proc",
        "output",
        "--report-file on /proc (takes no files): refused before the trigger",
        args=(*RUN, "--report-file", "/proc/report.pdf"),
        expect_exit=2,
        expect_runs=0,
        expect_calls={"run-tests": 0},
        expect_text=("virtual file system",),
    ),
    Scenario(
        "output-github-summary-folder-missing",
        "output",
        "GitHub Actions; $GITHUB_STEP_SUMMARY in a folder that does not exist",
        github=True,
        env={"GITHUB_STEP_SUMMARY": "/nonexistent-vibetesting-folder/summary.md"},
        expect_exit=2,
        expect_runs=0,
        expect_calls={"run-tests": 0},
        expect_text=("::error title=VibeTesting::GITHUB_STEP_SUMMARY",),
    ),
    Scenario(
        "output-no-wait-junit-directory",
        "output",
        "--no-wait with --junit-file a directory: not written, so not refused",
        args=(*RUN, "--no-wait", "--junit-file", "/usr"),
        expect_calls={"run-tests": 1},
    ),
    # -- end of the output-path block -----------------------------------------------------------
    *GATE_VERDICT_SCENARIOS,  # the gate-verdict block, above
    *HOSTILE_TEXT_SCENARIOS,  # the hostile-text block, above
)

BY_NAME = {s.name: s for s in SCENARIOS}
