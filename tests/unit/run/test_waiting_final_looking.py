"""The waiter's grace for an unknown state that looks final (``finished``, ``completed``...)
with every test counted: one warning, then after ``FINAL_LOOKING_GRACE`` such answers in a row
the execution ends as unreadable (exit 3), never green; anything else keeps waiting.

In-process: the real ``Waiter`` and ``verdict.decide`` over a scripted client that answers
status bodies in turn (the HTTP path is covered end to end in ``test_final_looking_state.py``).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from vibetesting_ci.domain.models import FINAL_LOOKING_GRACE, ExecutionStatus
from vibetesting_ci.domain.verdict import decide
from vibetesting_ci.errors import ErrorCode, ExitCode
from vibetesting_ci.run.waiting import Listener, Waiter, WaitOutcome
from vibetesting_ci.service.client import StatusAnswer

COUNTED = {
    "number_of_tests": 2,
    "number_of_done_tests": 2,
    "number_of_passed_tests": 2,
    "number_of_failed_tests": 0,
}
HALF = {**COUNTED, "number_of_done_tests": 1, "number_of_passed_tests": 1}


def body(state: str, counts: dict[str, int] = COUNTED) -> dict[str, Any]:
    return {"status": "success", "execution_state": state, **counts}


class Scripted:
    """A client whose n-th status answer for an execution is its n-th body (then the last)."""

    def __init__(self, bodies: list[dict[str, Any]]) -> None:
        self.bodies = bodies
        self.calls = 0
        self.lock = threading.Lock()

    def execution_status(self, execution_id: int, **_: Any) -> StatusAnswer:
        with self.lock:
            answer = self.bodies[min(self.calls, len(self.bodies) - 1)]
            self.calls += 1
        return StatusAnswer(ExecutionStatus.from_api(execution_id, answer), answer)


class Recorder(Listener):
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.statuses: list[ExecutionStatus] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)

    def status(self, previous: ExecutionStatus | None, current: ExecutionStatus) -> None:
        self.statuses.append(current)


def wait(
    bodies: list[dict[str, Any]], timeout: float = 2.0
) -> tuple[WaitOutcome, Scripted, Recorder]:
    import time

    client, listener = Scripted(bodies), Recorder()
    waiter = Waiter(
        client,  # type: ignore[arg-type]
        [7],
        deadline=time.monotonic() + timeout,
        poll_interval=0.01,
        max_poll_interval=0.01,
        cancel=threading.Event(),
        listener=listener,
        seed=1,
    )
    return waiter.wait(), client, listener


def verdict(outcome: WaitOutcome) -> Any:
    return decide(
        outcome.executions,
        interrupted=outcome.interrupted,
        error=outcome.error,
        fail_on_timeout=True,
        signal_code=0,
    )


@pytest.mark.parametrize("state", ["finished", "Completed", "passed", "success", "succeeded"])
def test_a_final_looking_state_with_every_test_counted_ends_unreadable_after_the_grace(
    state: str,
) -> None:
    outcome, client, listener = wait([body(state)])
    assert outcome.interrupted is None
    assert client.calls == FINAL_LOOKING_GRACE  # and never polled again
    (execution,) = outcome.executions
    status = execution.status
    assert status is not None and status.assumed_final and status.unreadable
    assert [s.assumed_final for s in listener.statuses] == [False] * (FINAL_LOOKING_GRACE - 1) + [
        True
    ]
    # Warned once, whatever the number of answers.
    assert listener.warnings == [
        f"execution 7: unknown execution_state {state.lower()!r} with every test counted; only "
        f"'done' is a pass: the wait ends it as unreadable (exit 3) after {FINAL_LOOKING_GRACE} "
        "such answers in a row"
    ]
    result = verdict(outcome)
    assert (result.result, result.exit_code, result.error_code) == (
        "error",
        ExitCode.API,
        ErrorCode.UNREADABLE,
    )
    assert f'execution_state held "{state.lower()}"' in (result.message or "")


def test_done_within_the_grace_is_the_verdict() -> None:
    outcome, client, _ = wait([body("finished"), body("done")])
    assert client.calls == 2
    result = verdict(outcome)
    assert (result.result, result.exit_code) == ("passed", 0)


def test_the_grace_counts_answers_in_a_row() -> None:
    # Two final-looking answers, one with a test not counted (resets), then the grace again.
    bodies = [body("finished"), body("finished"), body("finished", HALF)]
    bodies += [body("finished")] * FINAL_LOOKING_GRACE
    outcome, client, _ = wait(bodies)
    assert client.calls == 3 + FINAL_LOOKING_GRACE
    assert verdict(outcome).exit_code == ExitCode.API


@pytest.mark.parametrize(
    "answer",
    [
        body("finished", HALF),  # not every test counted
        body(
            "finished",
            {
                **COUNTED,
                "number_of_tests": 0,
                "number_of_done_tests": 0,
                "number_of_passed_tests": 0,
            },
        ),  # no test counted
        body("finished", {**COUNTED, "number_of_failed_tests": None}),  # unreadable counts
        body("queued"),  # an unknown state that does not look final
        body("paused"),
    ],
    ids=["not-all-counted", "no-tests", "unreadable-counts", "queued", "paused"],
)
def test_anything_else_unknown_keeps_waiting_until_the_timeout(answer: dict[str, Any]) -> None:
    outcome, client, _ = wait([answer], timeout=0.2)  # ~20 answers at 0.01 s
    assert outcome.interrupted == "timeout"
    assert client.calls > FINAL_LOOKING_GRACE
    result = verdict(outcome)
    assert (result.result, result.exit_code) == ("timeout", ExitCode.TIMEOUT)


def test_an_ended_state_still_ends_at_once() -> None:
    outcome, client, _ = wait([body("failed")])
    assert client.calls == 1
    status = outcome.executions[0].status
    assert status is not None and status.ended and not status.assumed_final
    assert verdict(outcome).exit_code == ExitCode.FAILED
