"""The VibeTesting API emulator, tested over real HTTP on loopback."""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.cli import wait_until
from vibetesting_ci.emulator import EmulatorServer, Fault
from vibetesting_ci.emulator.pdf import BigPdf, text_pdf
from vibetesting_ci.vocabulary import State

TOKEN = "emulator-token"
AUTH = {"Authorization": f"api-key {TOKEN}"}
GUIDED = {
    "execution_type": "guided",
    "tests": [
        {"name": "sign up", "steps": "sign up and verify"},
        {"name": "sign in", "steps": ["open login", "sign in"]},
    ],
}
WAIT_LIMIT = 30.0  # generous upper bound for waiting loops; never asserted on


class FakeClock:
    """A monotonic clock the test moves by hand, so lifecycle checks need no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(test_seconds=0.02) as srv:
        yield srv


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slow(clock: FakeClock) -> Iterator[EmulatorServer]:
    """test_seconds=1 on a hand-driven clock."""
    with EmulatorServer(test_seconds=1.0, clock=clock) as srv:
        yield srv


def call(
    srv: EmulatorServer,
    endpoint: str,
    body: Any = None,
    *,
    auth: bool = True,
    session: Any = requests,
    **kwargs: Any,
) -> requests.Response:
    headers = dict(AUTH) if auth else {}
    headers.update(kwargs.pop("headers", {}))
    return session.post(srv.url + endpoint, json=body, headers=headers, timeout=10, **kwargs)


def ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "success", data
    return data


def fail(response: requests.Response, status: int) -> str:
    assert response.status_code == status, response.text
    data = response.json()
    assert data["status"] == "fail"
    assert isinstance(data["reason"], str) and data["reason"]
    return str(data["reason"])


def run(srv: EmulatorServer, body: dict[str, Any] | None = None) -> list[int]:
    return list(ok(call(srv, "run-tests/", body or GUIDED))["execution_ids"])


def status(srv: EmulatorServer, execution_id: int, link: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"execution_id": execution_id}
    if link:
        body["is_get_full_report_link"] = True
    return ok(call(srv, "execution-status/", body))


def wait_done(srv: EmulatorServer, execution_id: int, link: bool = False) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        answer = status(srv, execution_id, link)
        if answer["execution_state"] == State.DONE or time.monotonic() > deadline:
            return answer
        time.sleep(0.01)


# -- auth and routing ---------------------------------------------------------------------------
def test_auth_header_and_query(emu: EmulatorServer) -> None:
    assert run(emu)
    response = requests.post(
        emu.url + "run-tests/", params={"api-key": TOKEN}, json=GUIDED, timeout=10
    )
    assert ok(response)["execution_ids"]


@pytest.mark.parametrize(
    "headers,params",
    [
        ({}, {}),
        ({"Authorization": "api-key wrong"}, {}),
        ({"Authorization": f"Bearer {TOKEN}"}, {}),
        ({"Authorization": "api-key"}, {}),
        ({}, {"api-key": "wrong"}),
        ({}, {"api_key": TOKEN}),
    ],
)
def test_auth_refused(emu: EmulatorServer, headers: dict[str, str], params: dict[str, str]) -> None:
    for endpoint, body in [
        ("run-tests/", GUIDED),
        ("run-suite/", {"suite_id": 1}),
        ("execution-status/", {"execution_id": 1}),
        ("stop-execution/", {"execution_id": 1}),
    ]:
        response = requests.post(
            emu.url + endpoint, json=body, headers=headers, params=params, timeout=10
        )
        assert response.status_code == 401
        assert response.json() == {"status": "fail", "reason": "Invalid or missing API key"}
    assert emu.runs_created == 0


def test_paths_with_and_without_trailing_slash(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    for endpoint in ("execution-status", "execution-status/"):
        assert status_via(emu, endpoint, eid)["execution_state"] in (
            State.RUNNING,
            State.PROCESSING,
            State.DONE,
        )


def status_via(srv: EmulatorServer, endpoint: str, eid: int) -> dict[str, Any]:
    return ok(call(srv, endpoint, {"execution_id": eid}))


def test_unknown_path_bad_json_and_method(emu: EmulatorServer) -> None:
    assert fail(call(emu, "run-everything/", {}), 404)
    assert fail(requests.get(emu.root_url + "/nope", timeout=10), 404)
    assert fail(call(emu, "/run-tests/", GUIDED), 404)  # double slash is not the endpoint
    bad = requests.post(emu.url + "run-tests/", data=b"{not json", headers=AUTH, timeout=10)
    assert "JSON" in fail(bad, 400)
    assert "object" in fail(call(emu, "run-tests/", [1, 2]), 400)
    response = requests.get(emu.url + "run-tests/", headers=AUTH, timeout=10)
    assert fail(response, 405)
    assert response.headers["Allow"] == "POST"
    health = requests.get(emu.root_url + "/healthz", timeout=10)
    assert health.status_code == 200 and health.text == "ok\n"


# -- run-tests validation -------------------------------------------------------------------------
def guided(**extra: Any) -> dict[str, Any]:
    return {**GUIDED, **extra}


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"tests": GUIDED["tests"]}, "execution_type"),
        ({"execution_type": "manual", "tests": GUIDED["tests"]}, "execution_type"),
        ({"execution_type": "guided"}, "tests"),
        ({"execution_type": "guided", "tests": []}, "tests"),
        ({"execution_type": "guided", "tests": "login"}, "tests"),
        ({"execution_type": "guided", "tests": ["login"]}, "tests[0]"),
        ({"execution_type": "guided", "tests": [{"steps": "x"}]}, "tests[0].name"),
        ({"execution_type": "guided", "tests": [{"name": "", "steps": "x"}]}, "tests[0].name"),
        ({"execution_type": "guided", "tests": [{"name": "a"}]}, "tests[0].steps"),
        ({"execution_type": "guided", "tests": [{"name": "a", "steps": 3}]}, "tests[0].steps"),
        ({"execution_type": "guided", "tests": [{"name": "a", "steps": ["x", 1]}]}, "steps"),
        ({"execution_type": "guided", "tests": [{"name": "a", "steps": []}]}, "steps"),
        ({"execution_type": "guided", "tests": [{"name": "a", "steps": " "}]}, "steps"),
        (guided(schedule_at="next tuesday"), "schedule_at"),
        (guided(schedule_at=20260404), "schedule_at"),
        (guided(schedule_at="2026-04-04T02:00:00+03:00", repeat="monthly"), "repeat"),
        (guided(schedule_at="2026-04-04T02:00:00+03:00", repeat_count=0), "repeat_count"),
        (guided(schedule_at="2026-04-04T02:00:00+03:00", repeat_count="4"), "repeat_count"),
        (guided(schedule_at="2026-04-04T02:00:00", timezone="Mars/Olympus"), "timezone"),
        (guided(timezone="../../etc/passwd"), "timezone"),
        (guided(login="user:pass"), "login"),
        (guided(login={"login_needed": "yes"}), "login.login_needed"),
        (guided(login={"login_needed": True, "identifier": "u"}), "login"),
        (guided(login={"identifier": 5}), "login.identifier"),
        (guided(allow_parallel="true"), "allow_parallel"),
        (guided(should_stop_existing=1), "should_stop_existing"),
        (guided(should_send_report="no"), "should_send_report"),
        (guided(flows_count="3"), "flows_count"),
        (guided(flows_count=0), "flows_count"),
        (guided(max_steps_per_flow=True), "max_steps_per_flow"),
        (guided(general_instructions=["a"]), "general_instructions"),
        (guided(focus_areas="checkout"), "focus_areas"),
        (guided(focus_areas=["checkout", 3]), "focus_areas"),
        ({"execution_type": "exploration", "flows_count": -1}, "flows_count"),
    ],
)
def test_run_tests_validation(emu: EmulatorServer, body: dict[str, Any], needle: str) -> None:
    reason = fail(call(emu, "run-tests/", body), 400)
    assert needle in reason
    assert emu.runs_created == 0


def test_run_tests_accepts_the_vendor_example(emu: EmulatorServer) -> None:
    body = {
        "execution_type": "guided",
        "tests": [
            {"name": "teacher signup", "steps": "signup as a teacher, log out and signin"},
            {"name": "teacher wrong credentials", "steps": "signin with wrong credentials"},
        ],
        "login": {"login_needed": True, "identifier": "user@ex.com", "password": "s3cr3t-pw"},
        "general_instructions": "Focus on checkout, search. Focus on error handling",
        "focus_areas": ["checkout", "search"],
        "flows_count": 3,
        "max_steps_per_flow": 15,
        "should_send_report": False,
        "should_stop_existing": False,
        "allow_parallel": False,
        "unknown_future_field": {"ignored": True},
    }
    (eid,) = run(emu, body)
    answer = status(emu, eid)
    assert answer["suite_name"] == "Guided run"
    assert answer["number_of_tests"] == 2


def test_password_never_logged_or_echoed() -> None:
    lines: list[str] = []
    with EmulatorServer(test_seconds=0.01, log=lines.append) as srv:
        body = guided(login={"login_needed": True, "identifier": "u@x", "password": "pw-XYZZY"})
        response = call(srv, "run-tests/", body, params={"api-key": TOKEN})
        assert "pw-XYZZY" not in response.text
        bad = call(srv, "run-tests/", {**body, "execution_type": "nope"})
        assert "pw-XYZZY" not in bad.text
    assert len(lines) == 2
    for line in lines:
        assert "pw-XYZZY" not in line
        assert TOKEN not in line
        assert "api-key" not in line.lower()
        assert "/api/external/run-tests/" in line


# -- lifecycle ------------------------------------------------------------------------------------
def test_lifecycle_running_processing_done(slow: EmulatorServer, clock: FakeClock) -> None:
    (eid,) = run(slow, guided(tests=[{"name": f"t{i}", "steps": "s"} for i in range(3)]))
    first = status(slow, eid)
    assert first["execution_state"] == State.RUNNING
    assert first["number_of_tests"] == 3
    assert first["number_of_done_tests"] == 0
    assert first["start_time"] and first["end_time"] == ""
    assert first["detailed_status"] == "Running test 1 of 3: t0"
    seen = [first]
    for _ in range(60):
        clock.advance(0.1)
        seen.append(status(slow, eid))
    states = [s["execution_state"] for s in seen]
    assert states[0] == State.RUNNING and states[-1] == State.DONE
    assert State.PROCESSING in states
    order = {State.RUNNING: 0, State.PROCESSING: 1, State.DONE: 2}
    assert [order[s] for s in states] == sorted(order[s] for s in states)
    done_counts = [s["number_of_done_tests"] for s in seen]
    assert done_counts == sorted(done_counts)
    assert set(done_counts) == {0, 1, 2, 3}
    for answer in seen:
        assert answer["number_of_done_tests"] == (
            answer["number_of_passed_tests"] + answer["number_of_failed_tests"]
        )
        if answer["execution_state"] == State.PROCESSING:
            assert answer["number_of_done_tests"] == 3
            assert answer["detailed_status"] == "Processing results"
    last = seen[-1]
    assert last["number_of_passed_tests"] == 3 and last["number_of_failed_tests"] == 0
    assert last["detailed_status"] == "3 of 3 tests passed"
    assert last["end_time"] >= last["start_time"]
    assert last["full_report_link"] == ""
    assert slow.executions[eid].state == State.DONE
    assert eid in slow.done_at


def test_lifecycle_over_real_time(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    answer = wait_done(emu, eid)
    assert answer["execution_state"] == State.DONE
    assert answer["number_of_passed_tests"] == 2
    assert emu.done_at[eid] <= time.monotonic()
    assert len(emu.status_calls[eid]) >= 1


def test_name_markers(slow: EmulatorServer, clock: FakeClock) -> None:
    tests = [
        {"name": "plain", "steps": "s"},
        {"name": "broken [fail]", "steps": "s"},
        {"name": "never done [skip]", "steps": "s"},
        {"name": "big [SLOW]", "steps": "s"},
    ]
    (eid,) = run(slow, guided(tests=tests))
    execution = slow.executions[eid]
    offsets = [t.finishes_at for t in execution.tests]
    durations = [b - a for a, b in zip([0.0, *offsets], offsets, strict=False)]
    assert durations[3] > 3 * max(durations[:3])  # [slow] is 5x (jitter is 0.8-1.2)
    clock.advance(100)
    answer = status(slow, eid)
    assert answer["execution_state"] == State.DONE
    assert answer["number_of_tests"] == 4
    assert answer["number_of_done_tests"] == 3
    assert answer["number_of_passed_tests"] == 2
    assert answer["number_of_failed_tests"] == 1
    assert answer["detailed_status"] == (
        "2 of 4 tests passed; 1 failed: broken [fail]; 1 not done: never done [skip]"
    )


def _outcomes(srv: EmulatorServer, ids: list[int]) -> list[tuple[int, int]]:
    return [
        (status(srv, i)["number_of_passed_tests"], status(srv, i)["number_of_failed_tests"])
        for i in ids
    ]


def test_flaky_marker_fails_the_first_runs_then_passes(
    slow: EmulatorServer, clock: FakeClock
) -> None:
    tests = [
        {"name": "steady", "steps": "s"},
        {"name": "once [flaky]", "steps": "s"},
        {"name": "twice [FLAKY:2]", "steps": "s"},
        {"name": "broken [fail][flaky]", "steps": "s"},  # [fail] wins
    ]
    runs = [run(slow, guided(tests=tests, allow_parallel=True)) for _ in range(3)]
    clock.advance(1000)
    assert [_outcomes(slow, ids) for ids in runs] == [
        [(1, 0), (0, 1), (0, 1), (0, 1)],
        [(1, 0), (1, 0), (0, 1), (0, 1)],
        [(1, 0), (1, 0), (1, 0), (0, 1)],
    ]
    # Counted per name, whatever run holds the test; a suite's [flaky] test too.
    (alone,) = run(slow, guided(tests=[{"name": "once [flaky]", "steps": "s"}]))
    suite = [ok(call(slow, "run-suite/", {"suite_id": 5}))["execution_ids"][0] for _ in "ab"]
    (exploring,) = run(
        slow, {"execution_type": "exploration", "general_instructions": "[flaky] search"}
    )
    (exploring_again,) = run(
        slow, {"execution_type": "exploration", "general_instructions": "[flaky] search"}
    )
    clock.advance(1000)
    assert _outcomes(slow, [alone, *suite, exploring, exploring_again]) == [
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
        (3, 0),
    ]
    assert status(slow, suite[0])["suite_name"] == "Flaky suite"


def test_hang_marker_keeps_running(slow: EmulatorServer, clock: FakeClock) -> None:
    (eid,) = run(
        slow, guided(tests=[{"name": "ok", "steps": "s"}, {"name": "x [hang]", "steps": "s"}])
    )
    clock.advance(10_000)
    answer = status(slow, eid)
    assert answer["execution_state"] == State.RUNNING
    assert answer["number_of_done_tests"] == 1
    assert "x [hang]" in answer["detailed_status"]
    assert eid not in slow.done_at


def test_allow_parallel_splits_tests(slow: EmulatorServer, clock: FakeClock) -> None:
    tests = [{"name": f"t{i}", "steps": "s"} for i in range(3)]
    tests[1]["name"] = "t1 [fail]"
    ids = run(slow, guided(tests=tests, allow_parallel=True))
    assert len(ids) == 3 and len(set(ids)) == 3
    assert slow.runs_created == 3
    clock.advance(100)
    answers = [status(slow, i) for i in ids]
    assert [a["number_of_tests"] for a in answers] == [1, 1, 1]
    assert [a["number_of_failed_tests"] for a in answers] == [0, 1, 0]


def test_exploration(slow: EmulatorServer, clock: FakeClock) -> None:
    (default,) = run(slow, {"execution_type": "exploration"})
    (five,) = run(slow, {"execution_type": "exploration", "flows_count": 5})
    (failing,) = run(
        slow, {"execution_type": "exploration", "general_instructions": "known bug [fail]"}
    )
    clock.advance(1000)
    assert status(slow, default)["number_of_tests"] == 3
    assert status(slow, default)["suite_name"] == "Exploration run"
    assert status(slow, five)["number_of_passed_tests"] == 5
    answer = status(slow, failing)
    assert (answer["number_of_passed_tests"], answer["number_of_failed_tests"]) == (2, 1)


def test_should_stop_existing(slow: EmulatorServer, clock: FakeClock) -> None:
    (first,) = run(slow)
    clock.advance(1.5)
    (second,) = run(slow, guided(should_stop_existing=True))
    answer = status(slow, first)
    assert answer["execution_state"] == State.DONE
    assert answer["detailed_status"] == "Stopped by user"
    assert answer["number_of_done_tests"] == 1
    assert status(slow, second)["execution_state"] == State.RUNNING


# -- run-suite ------------------------------------------------------------------------------------
def test_suites(slow: EmulatorServer, clock: FakeClock) -> None:
    smoke = ok(call(slow, "run-suite/", {"suite_id": 1}))["execution_ids"]
    checkout = ok(call(slow, "run-suite/", {"suite_id": 2, "should_send_report": True}))[
        "execution_ids"
    ]
    parallel = ok(call(slow, "run-suite/", {"suite_id": 3}))["execution_ids"]
    other = ok(call(slow, "run-suite/", {"suite_id": 77}))["execution_ids"]
    assert (len(smoke), len(checkout), len(parallel), len(other)) == (1, 1, 2, 1)
    assert slow.runs_created == 5
    clock.advance(1000)
    s = status(slow, smoke[0])
    assert (s["suite_name"], s["number_of_tests"], s["number_of_passed_tests"]) == (
        "Smoke suite",
        3,
        3,
    )
    c = status(slow, checkout[0])
    assert (c["suite_name"], c["number_of_tests"], c["number_of_failed_tests"]) == (
        "Checkout suite",
        4,
        1,
    )
    assert "1 failed: Pay with saved card" in c["detailed_status"]
    for eid in parallel:
        p = status(slow, eid)
        assert p["number_of_tests"] == p["number_of_passed_tests"] == 2
    o = status(slow, other[0])
    assert (o["suite_name"], o["number_of_tests"], o["number_of_passed_tests"]) == (
        "Suite 77",
        2,
        2,
    )


@pytest.mark.parametrize(
    "body,code,needle",
    [
        ({}, 400, "suite_id"),
        ({"suite_id": "1"}, 400, "suite_id"),
        ({"suite_id": True}, 400, "suite_id"),
        ({"suite_id": 0}, 400, "suite_id"),
        ({"suite_id": 404}, 404, "Suite not found"),
        ({"suite_id": 1, "schedule_at": "soon"}, 400, "schedule_at"),
        ({"suite_id": 1, "schedule_at": "2026-04-04T02:00:00Z", "repeat": "hourly"}, 400, "repeat"),
    ],
)
def test_run_suite_failures(
    emu: EmulatorServer, body: dict[str, Any], code: int, needle: str
) -> None:
    assert needle in fail(call(emu, "run-suite/", body), code)
    assert emu.runs_created == 0


# -- execution-status / stop ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "body,code,reason",
    [
        ({}, 400, "execution_id is required"),
        ({"execution_id": "1001"}, 400, "execution_id must be an integer"),
        ({"execution_id": 1.5}, 400, "execution_id must be an integer"),
        ({"execution_id": 999999}, 404, "Execution not found"),
        ({"execution_id": 1001, "is_get_full_report_link": "yes"}, 400, None),
    ],
)
def test_status_failures(
    emu: EmulatorServer, body: dict[str, Any], code: int, reason: str | None
) -> None:
    run(emu)
    got = fail(call(emu, "execution-status/", body), code)
    if reason:
        assert got == reason


def test_stop_execution(slow: EmulatorServer, clock: FakeClock) -> None:
    (eid,) = run(slow, guided(tests=[{"name": f"t{i}", "steps": "s"} for i in range(4)]))
    second, third = (t.finishes_at for t in slow.executions[eid].tests[1:3])
    clock.advance((second + third) / 2)  # between the 2nd and 3rd test finishing
    answer = ok(call(slow, "stop-execution/", {"execution_id": eid}))
    assert answer["message"] == "Execution stopped"
    after = status(slow, eid)
    assert after["execution_state"] == State.DONE
    assert after["detailed_status"] == "Stopped by user"
    assert after["number_of_done_tests"] == 2
    assert after["end_time"]
    clock.advance(1000)
    later = status(slow, eid)
    assert later["number_of_done_tests"] == 2  # tests not done stay not done
    again = ok(call(slow, "stop-execution/", {"execution_id": eid}))
    assert again["message"] == "Execution already finished"


def test_stop_finished_execution_is_idempotent(slow: EmulatorServer, clock: FakeClock) -> None:
    (eid,) = run(slow)
    clock.advance(1000)
    answer = ok(call(slow, "stop-execution/", {"execution_id": eid}))
    assert answer["message"] == "Execution already finished"
    assert status(slow, eid)["detailed_status"] == "2 of 2 tests passed"


@pytest.mark.parametrize(
    "body,code,needle",
    [
        ({}, 400, "execution_id"),
        ({"execution_id": 424242}, 404, "Execution not found"),
        ({"execution_id": "x"}, 400, "execution_id"),
        ({"schedule_id": "nope", "cancel_scheduled": True}, 404, "Schedule not found"),
        ({"schedule_id": "nope"}, 400, "cancel_scheduled"),
        ({"schedule_id": "nope", "cancel_scheduled": False}, 400, "cancel_scheduled"),
        ({"schedule_id": 5, "cancel_scheduled": True}, 400, "schedule_id"),
    ],
)
def test_stop_failures(emu: EmulatorServer, body: dict[str, Any], code: int, needle: str) -> None:
    assert needle in fail(call(emu, "stop-execution/", body), code)


# -- schedules ------------------------------------------------------------------------------------
def test_schedule_and_cancel(slow: EmulatorServer, clock: FakeClock) -> None:
    body = guided(
        allow_parallel=True,
        schedule_at="2026-04-04T02:00:00+03:00",
        repeat="weekly",
        repeat_count=4,
        timezone="Asia/Jerusalem",
    )
    answer = ok(call(slow, "run-tests/", body))
    ids = answer["execution_ids"]
    assert len(ids) == 8 and len(set(ids)) == 8
    assert slow.runs_created == 8
    schedule_id = answer["schedule_id"]
    assert len(schedule_id) == 36 and schedule_id.count("-") == 4
    assert "8" in answer["message"]
    clock.advance(1000)
    for eid in ids:
        s = status(slow, eid, link=True)
        assert s["execution_state"] == State.PROCESSING
        counts = [s[k] for k in s if k.startswith("number_of_")]
        assert counts == [0, 0, 0, 0]
        assert s["full_report_link"] == ""
    cancel = ok(
        call(slow, "stop-execution/", {"schedule_id": schedule_id, "cancel_scheduled": True})
    )
    assert cancel["schedule_id"] == schedule_id
    assert cancel["canceled_execution_count"] == 8
    assert cancel["message"]
    for eid in ids:
        s = status(slow, eid)
        assert s["execution_state"] == State.DONE
        assert s["detailed_status"] == "Cancelled"
    again = ok(
        call(slow, "stop-execution/", {"schedule_id": schedule_id, "cancel_scheduled": True})
    )
    assert again["canceled_execution_count"] == 0


def test_schedule_suite_and_defaults(emu: EmulatorServer) -> None:
    answer = ok(
        call(
            emu,
            "run-suite/",
            {"suite_id": 3, "schedule_at": "2026-04-04T02:00:00", "repeat_count": 2},
        )
    )
    assert len(answer["execution_ids"]) == 4
    single = ok(call(emu, "run-tests/", guided(schedule_at="2026-04-04T02:00:00Z")))
    assert len(single["execution_ids"]) == 1 and single["schedule_id"]
    assert set(emu.schedules) == {answer["schedule_id"], single["schedule_id"]}


# -- reports --------------------------------------------------------------------------------------
def pdf_ok(data: bytes, tmp_path: Path) -> None:
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo:
        path = tmp_path / "check.pdf"
        path.write_bytes(data)
        result = subprocess.run([pdfinfo, str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "Syntax Error" not in result.stderr
        assert "Pages:" in result.stdout


def test_report_link_redirect_and_pdf(emu: EmulatorServer, tmp_path: Path) -> None:
    (eid,) = run(
        emu, guided(tests=[{"name": "ok", "steps": "s"}, {"name": "bad [fail]", "steps": "s"}])
    )
    done = wait_done(emu, eid)
    assert done["full_report_link"] == ""  # not asked for
    link = status(emu, eid, link=True)["full_report_link"]
    assert link.startswith(f"http://127.0.0.1:{emu.port}/reports/{eid}.pdf?sig=")
    emu.clear_journal()
    first = requests.get(link, allow_redirects=False, timeout=10)
    assert first.status_code == 302
    assert f"/files/report-{eid}.pdf?sig=" in first.headers["Location"]
    response = requests.get(link, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    pdf_ok(response.content, tmp_path)
    assert b"Guided run" in response.content and b"bad [fail]" in response.content
    assert b"FAILED" in response.content and b"PASSED" in response.content
    journal = emu.journal
    assert [r.path for r in journal] == [
        f"/reports/{eid}.pdf",
        f"/reports/{eid}.pdf",
        f"/files/report-{eid}.pdf",
    ]
    assert all(r.endpoint == "report" and not r.has_credentials for r in journal)
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        (tmp_path / "r.pdf").write_bytes(response.content)
        text = subprocess.run(
            [pdftotext, str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True
        ).stdout
        assert "bad [fail]" in text and "Guided run" in text


def test_report_link_only_when_done(slow: EmulatorServer, clock: FakeClock) -> None:
    (eid,) = run(slow)
    answer = status(slow, eid, link=True)
    assert answer["full_report_link"] == ""
    link = slow.report_url(eid)
    assert requests.get(link, timeout=10).status_code == 404
    clock.advance(1000)
    assert status(slow, eid, link=True)["full_report_link"] == link
    assert requests.get(link, timeout=10).status_code == 200
    wrong = link.split("?sig=")[0] + "?sig=forged"
    assert requests.get(wrong, timeout=10).status_code == 403
    assert requests.get(link.split("?")[0], timeout=10).status_code == 403


def test_report_host_option() -> None:
    with EmulatorServer(test_seconds=0.0, report_host="localhost") as srv:
        (eid,) = run(srv)
        link = wait_done(srv, eid, link=True)["full_report_link"]
        assert link.startswith(f"http://localhost:{srv.port}/reports/")


def test_big_file_streaming(emu: EmulatorServer, tmp_path: Path) -> None:
    head = requests.head(emu.root_url + "/files/big-3.pdf", timeout=10)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(3 * 1024 * 1024)
    with requests.get(emu.root_url + "/files/big-3.pdf", stream=True, timeout=10) as response:
        assert response.headers["Content-Length"] == str(3 * 1024 * 1024)
        data = b"".join(response.iter_content(1 << 16))
    assert len(data) == 3 * 1024 * 1024
    pdf_ok(data, tmp_path)
    assert requests.get(emu.root_url + "/files/big-0.pdf", timeout=10).status_code == 404


def test_pdf_writer_units(tmp_path: Path) -> None:
    pdf = text_pdf(["(parens) \\ back", "Ünïcödé €", "x" * 300, *map(str, range(120))], "t")
    pdf_ok(pdf, tmp_path)
    big = BigPdf(1024 * 1024 + 7)
    assert sum(len(c) for c in big.chunks(1000)) == 1024 * 1024 + 7


# -- faults ---------------------------------------------------------------------------------------
def test_fault_html500_times_and_status(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    emu.add_fault(Fault(endpoint="execution-status", kind="html500", times=2, status=503))
    for _ in range(2):
        response = call(emu, "execution-status/", {"execution_id": eid})
        assert response.status_code == 503
        assert response.headers["Content-Type"].startswith("text/html")
        assert "<html>" in response.text
    assert status(emu, eid)["status"] == "success"
    assert [r.fault for r in emu.journal[-3:]] == ["html500", "html500", None]


def test_fault_after_and_forever(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    emu.add_fault("execution-status:html500:after=1,times=0")
    assert call(emu, "execution-status/", {"execution_id": eid}).status_code == 200
    for _ in range(4):
        assert call(emu, "execution-status/", {"execution_id": eid}).status_code == 500
    emu.clear_faults()
    assert call(emu, "execution-status/", {"execution_id": eid}).status_code == 200


def test_fault_429_retry_after(emu: EmulatorServer) -> None:
    emu.add_fault(Fault(endpoint="run-tests", kind="429", retry_after=2))
    response = call(emu, "run-tests/", GUIDED)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert emu.runs_created == 0
    assert run(emu)


def test_fault_drop(emu: EmulatorServer) -> None:
    emu.add_fault(Fault(endpoint="run-tests", kind="drop"))
    with pytest.raises(requests.ConnectionError):
        call(emu, "run-tests/", GUIDED)
    assert emu.runs_created == 0
    assert emu.journal[-1].status is None and emu.journal[-1].fault == "drop"
    assert run(emu)


def test_fault_garbage(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    emu.add_fault("execution-status:garbage")
    response = call(emu, "execution-status/", {"execution_id": eid})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        json.loads(response.text)


def test_fault_stall(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    emu.add_fault(Fault(endpoint="execution-status", kind="stall", seconds=0.2))
    assert status(emu, eid)["status"] == "success"
    assert emu.journal[-1].fault == "stall"
    emu.add_fault(Fault(endpoint="execution-status", kind="stall", seconds=30))
    with pytest.raises(requests.Timeout):
        requests.post(
            emu.url + "execution-status/", json={"execution_id": eid}, headers=AUTH, timeout=0.3
        )


@pytest.mark.parametrize("endpoint", ["run-tests", "run-suite"])
def test_fault_create_then_500(emu: EmulatorServer, endpoint: str) -> None:
    emu.add_fault(Fault(endpoint=endpoint, kind="create-then-500"))
    body = GUIDED if endpoint == "run-tests" else {"suite_id": 3}
    response = call(emu, f"{endpoint}/", body)
    assert response.status_code == 500
    created = 1 if endpoint == "run-tests" else 2  # suite 3 has two executions
    assert emu.runs_created == created
    assert len(emu.executions) == created


def test_fault_create_then_drop(emu: EmulatorServer) -> None:
    emu.add_fault(Fault(endpoint="run-tests", kind="create-then-drop"))
    with pytest.raises(requests.ConnectionError):
        call(emu, "run-tests/", guided(allow_parallel=True))
    assert emu.runs_created == 2
    assert run(emu)
    assert emu.runs_created == 3


def test_fault_stop_create_then_500_still_stops(slow: EmulatorServer) -> None:
    (eid,) = run(slow)
    slow.add_fault("stop-execution:create-then-500")
    assert call(slow, "stop-execution/", {"execution_id": eid}).status_code == 500
    assert status(slow, eid)["detailed_status"] == "Stopped by user"


def test_fault_odd_state_and_null_counts(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    emu.add_fault(Fault(endpoint="execution-status", kind="odd-state"))
    emu.add_fault(Fault(endpoint="execution-status", kind="odd-state", state="PAUSED", after=1))
    assert status(emu, eid)["execution_state"] == "queued"
    assert status(emu, eid)["execution_state"] == "PAUSED"
    emu.clear_faults()
    emu.add_fault("execution-status:null-counts")
    answer = status(emu, eid)
    assert answer["number_of_tests"] is None and answer["number_of_done_tests"] is None
    assert "number_of_passed_tests" not in answer and "number_of_failed_tests" not in answer
    # A post-fault only fires on a successful answer.
    emu.add_fault("execution-status:odd-state")
    assert fail(call(emu, "execution-status/", {"execution_id": 1}), 404)
    assert status(emu, eid)["execution_state"] == "queued"


def test_fault_not_found(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    emu.add_fault("status:not-found")
    assert fail(call(emu, "execution-status/", {"execution_id": eid}), 404) == "Execution not found"
    assert status(emu, eid)


def test_fault_on_reports_and_wildcard(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    link = wait_done(emu, eid, link=True)["full_report_link"]
    emu.add_fault("report:html500:status=502")
    assert requests.get(link, timeout=10).status_code == 502
    emu.add_fault("report:garbage")
    garbage = requests.get(link, timeout=10)
    assert garbage.status_code == 200 and not garbage.content.startswith(b"%PDF-")
    emu.add_fault("*:429:retry_after=0")
    assert call(emu, "run-suite/", {"suite_id": 1}).status_code == 429
    assert requests.get(link, timeout=10).status_code == 200


def test_faults_in_constructor_and_scenario_mapping() -> None:
    faults: list[Any] = [
        "run-suite:html500",
        {"endpoint": "execution-status", "kind": "429", "retry_after": 1, "times": 2},
    ]
    with EmulatorServer(test_seconds=0.01, faults=faults) as srv:
        assert call(srv, "run-suite/", {"suite_id": 1}).status_code == 500
        assert [f.kind for f in srv.faults] == ["html500", "429"]
        assert srv.faults[0].applied == 1


# -- journal, keep-alive, concurrency ------------------------------------------------------------
def test_journal_records_everything(emu: EmulatorServer) -> None:
    emu.clear_journal()
    response = requests.post(
        emu.url + "run-tests/?api-key=" + TOKEN,
        json=GUIDED,
        headers={"X-Trace": "abc"},
        timeout=10,
    )
    ok(response)
    call(emu, "execution-status/", {"execution_id": 1}, auth=False)
    first, second = emu.journal
    assert first.method == "POST"
    assert first.path == "/api/external/run-tests/"
    assert first.query == {"api-key": TOKEN}
    assert first.headers["x-trace"] == "abc"
    assert first.json == GUIDED
    assert json.loads(first.body) == GUIDED
    assert first.status == 200 and first.endpoint == "run-tests"
    assert first.has_credentials
    assert second.status == 401 and not second.has_credentials
    assert first.time <= second.time


def test_keep_alive_connection_reuse(emu: EmulatorServer) -> None:
    (eid,) = run(emu)
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        for _ in range(5):
            conn.request(
                "POST",
                "/api/external/execution-status/",
                body=json.dumps({"execution_id": eid}),
                headers={**AUTH, "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["status"] == "success"
        # An error answer keeps the connection usable too (the body was read).
        conn.request("POST", "/api/external/run-tests/", body=b"{bad", headers=AUTH)
        response = conn.getresponse()
        assert response.status == 400
        response.read()
        conn.request(
            "POST",
            "/api/external/execution-status/",
            body=json.dumps({"execution_id": eid}),
            headers=AUTH,
        )
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    assert emu.connections_opened == 2  # run() + this one connection for seven requests


def test_thousand_executions_polled_concurrently() -> None:
    with EmulatorServer(test_seconds=0.01) as srv:
        tests = [{"name": f"t{i}", "steps": "s"} for i in range(1000)]
        ids = run(srv, guided(tests=tests, allow_parallel=True))
        assert len(ids) == 1000
        local = threading.local()

        def poll(eid: int) -> str:
            # One keep-alive connection per worker thread (http.client: light on the GIL).
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            local.conn.request(
                "POST",
                "/api/external/execution-status/",
                body=json.dumps({"execution_id": eid}).encode(),
                headers={**AUTH, "Content-Type": "application/json"},
            )
            response = local.conn.getresponse()
            assert response.status == 200
            return str(json.loads(response.read())["execution_state"])

        with ThreadPoolExecutor(max_workers=32) as pool:
            states = list(pool.map(poll, ids))
        assert len(states) == 1000
        assert set(states) <= {State.RUNNING, State.PROCESSING, State.DONE}
        assert len(srv.status_calls) == 1000
        # 32 workers, one connection each (plus run()'s own): keep-alive carried the rest.
        assert srv.connections_opened <= 33


def test_realistic_pace_is_deterministic() -> None:
    def plan(seed: int) -> list[list[float]]:
        with EmulatorServer(test_seconds=1.0, seed=seed, pace="realistic") as srv:
            ids = ok(call(srv, "run-suite/", {"suite_id": 55}))["execution_ids"]
            ids += run(srv, {"execution_type": "exploration"})
            return [[t.finishes_at for t in srv.executions[i].tests] for i in ids]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)
    with EmulatorServer(test_seconds=1.0, seed=3, pace="realistic") as srv:
        ids = [
            ok(call(srv, "run-suite/", {"suite_id": i}))["execution_ids"][0] for i in range(10, 30)
        ]
        counts = {len(srv.executions[eid].tests) for eid in ids}
        assert len(counts) > 1
    with pytest.raises(ValueError):
        EmulatorServer(pace="warp")


def test_stop_unblocks_stalled_requests() -> None:
    srv = EmulatorServer(test_seconds=0.01, faults=["*:stall:seconds=60,times=0"]).start()
    errors: list[BaseException] = []

    def slow_call() -> None:
        try:
            requests.post(srv.url + "run-suite/", json={"suite_id": 1}, headers=AUTH)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=slow_call)
    worker.start()
    wait_until(lambda: bool(srv.journal), WAIT_LIMIT)
    srv.stop()
    worker.join(WAIT_LIMIT)
    assert not worker.is_alive()
    assert not srv.running


# -- the command ----------------------------------------------------------------------------------
COMMAND = "from vibetesting_ci.emulator.command import emulator_command; emulator_command()"


def start_command(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", COMMAND, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    return proc, first


def test_command_serves_and_stops_on_sigterm() -> None:
    proc, first = start_command("--port", "0", "--test-seconds", "0.01", "--token", "tok-123")
    try:
        assert first.startswith("VibeTesting emulator listening on http://127.0.0.1:")
        url = first.split(" on ", 1)[1].split(" ", 1)[0]
        assert url.endswith("/api/external/")
        assert "(token: tok-123)" in first
        response = requests.post(
            url + "run-suite/", params={"api-key": "tok-123"}, json={"suite_id": 1}, timeout=10
        )
        assert ok(response)["execution_ids"]
        refused = requests.post(url + "run-suite/", json={"suite_id": 1}, timeout=10)
        assert refused.status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=WAIT_LIMIT)
    assert proc.returncode == 0
    assert "POST /api/external/run-suite/ 200" in err
    assert "POST /api/external/run-suite/ 401" in err
    assert "tok-123" not in err and "api-key" not in err


def test_command_sigint_scenario_and_env(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        "test_seconds: 0.01\n"
        "seed: 4\n"
        "port: 1\n"  # overridden by --port
        "faults:\n"
        "  - run-suite:html500:status=503\n"
        "  - endpoint: execution-status\n"
        "    kind: odd-state\n"
        "    state: queued\n",
        encoding="utf-8",
    )
    proc, first = start_command("--port", "0", "--scenario", str(scenario), "--quiet")
    try:
        url = first.split(" on ", 1)[1].split(" ", 1)[0]
        assert call_url(url, "run-suite/", {"suite_id": 1}).status_code == 503
        (eid,) = call_url(url, "run-suite/", {"suite_id": 1}).json()["execution_ids"]
        answer = call_url(url, "execution-status/", {"execution_id": eid}).json()
        assert answer["execution_state"] == "queued"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=WAIT_LIMIT)
    assert proc.returncode == 0
    assert err == ""  # --quiet


def call_url(url: str, endpoint: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(url + endpoint, json=body, headers=AUTH, timeout=10)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--fault", "status:explode"], "unknown fault kind"),
        (["--scenario", "/nonexistent/scenario.yaml"], "cannot read"),
        (["--pace", "warp"], "warp"),
    ],
)
def test_command_input_errors(args: list[str], needle: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", COMMAND, "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=WAIT_LIMIT,
    )
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_command_bad_scenario(tmp_path: Path) -> None:
    for text, needle in [
        ("colour: blue\n", "unknown setting"),
        ("faults: [nowhere:html500]\n", "unknown fault endpoint"),
        ("test_seconds: fast\n", "test_seconds"),
        ("- a\n- b\n", "mapping"),
        ("faults: [\n", "not valid"),
    ]:
        path = tmp_path / "s.yaml"
        path.write_text(text, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-c", COMMAND, "--port", "0", "--scenario", str(path)],
            capture_output=True,
            text=True,
            timeout=WAIT_LIMIT,
        )
        assert result.returncode == 2, text
        assert needle in result.stderr, (text, result.stderr)


def test_command_port_in_use() -> None:
    with EmulatorServer() as srv:
        result = subprocess.run(
            [sys.executable, "-c", COMMAND, "--port", str(srv.port)],
            capture_output=True,
            text=True,
            timeout=WAIT_LIMIT,
        )
    assert result.returncode == 2
    assert "cannot listen" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_is_light() -> None:
    code = (
        "import sys, vibetesting_ci.emulator as e; "
        "bad = [m for m in ('click', 'yaml', 'requests') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
