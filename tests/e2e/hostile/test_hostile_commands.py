"""End to end: service text is text in every command. The real CLI against a loopback service
whose ``message``, ``reason`` and status fields are hostile (ESC sequences, CR, workflow
commands, NUL, C1 controls, bidirectional and zero-width marks, 200 KB on one line), for
``stop``, ``cancel-schedule``, ``status`` and ``run`` (scheduled, refused, waited), in a plain
log and under GitHub Actions.

Each message comes out as one line (the text after its CR and LF included), with no raw
control character, no line starting as a workflow command we did not write, and at most
``text.LINE_LIMIT`` characters of it (cut, saying so).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import assert_no_secret, run_cli
from tests.support.hostile_service import HostileService
from vibetesting_ci.domain.models import DETAIL_LIMIT
from vibetesting_ci.safety.text import LINE_LIMIT

TOKEN = "tok-HostileCmd-5e4d3c2b1a"
START, AFTER_CR, AFTER_LF = "HOSTILE-START", "AFTER-CR", "AFTER-LF"
HOSTILE = (
    f"{START} \x1b[2K\x1b]0;title\x07\x1b[31mred\r{AFTER_CR}\n{AFTER_LF}\r\n::add-mask::x\n"
    "::stop-commands::pwn\n::error::PWNED\n##[group]PWNED\n\x00NUL \x85NEL \x9b31mCSI "
    "\u202eRLO\u202c \u2066LRI\u2069 \u200bZW \ufeffBOM \x7fDEL \u2028LS "
    + "A" * 200_000
    + " HOSTILE-END"
)
# Raw characters that must never reach the log (our output has no colour here: no terminal).
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]"
)
OURS = re.compile(
    rf"^::(add-mask::{re.escape(TOKEN)}|group::[^\n]*|endgroup::|"
    r"(error|warning) title=VibeTesting[^:\n]*::.*)$"
)
# A line: our prefix (``execution 101: ``, ``warning: ``, ``status     ``...) and the cap's
# note around at most LINE_LIMIT characters of service text.
LONGEST = LINE_LIMIT + 120
FAIL = {"status": "fail", "reason": HOSTILE}
SCHEDULE = "3f2b9c1e-0d7a-4c55-9a43-1b2c3d4e5f60"
TESTS = '[{"name": "one", "steps": "open"}, {"name": "two", "steps": "go"}]'


def cli(
    tmp_path: Path, args: list[str], github: bool, **service: Any
) -> tuple[int, str, HostileService]:
    env = {"VIBETESTING_API_TOKEN": TOKEN, "VIBETESTING_POLL_INTERVAL": "0.1"}
    if github:
        env |= {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        }
    with HostileService(token=TOKEN, **service) as api:
        env["VIBETESTING_API_URL"] = api.url
        result = run_cli(args, cwd=tmp_path, env=env, timeout=60)
    return result.returncode, result.stdout + result.stderr, api


def check_log(streams: str, *, messages: int | None = None) -> list[str]:
    """The log's lines carrying the hostile text (``messages`` of them, each whole on one line,
    cut; None: not counted), after the checks every line must pass. (``execution_state`` is
    read in lower case: hence the case-blind match.)"""
    assert not RAW.search(streams), repr(RAW.search(streams))
    lines = streams.split("\n")
    for line in lines:
        if re.match(r"^\s*(::|##\[|##vso\[)", line):
            assert OURS.match(line), f"a workflow command we did not write: {line[:200]!r}"
        assert len(line) <= LONGEST, f"{len(line)} characters: {line[:200]!r}"
    carrying = [line for line in lines if START.lower() in line.lower()]
    assert messages is None or len(carrying) == messages, carrying
    for line in carrying if messages is not None else ():
        # One line per message: what followed the CR and the LF is on it; the rest was cut,
        # saying so (a refusal's reason is cut to 500 characters where it is read: "…").
        assert AFTER_CR.lower() in line.lower() and AFTER_LF.lower() in line.lower(), line[:300]
        assert "more characters cut]" in line or line.endswith("…"), line[-200:]
        assert "HOSTILE-END".lower() not in line.lower()
        assert "\\x1b[2K".lower() in line.lower() and "\\u202e" in line, line[:300]
    assert "PWNED" not in "".join(line.split("::", 2)[1] for line in lines if line[:2] == "::")
    assert_no_secret(streams.replace(f"::add-mask::{TOKEN}\n", ""), secrets=(TOKEN,))
    return carrying


MODES = pytest.mark.parametrize("github", [False, True], ids=["plain", "github"])


@MODES
def test_stop_prints_the_service_message_as_one_capped_line(tmp_path: Path, github: bool) -> None:
    code, streams, _ = cli(tmp_path, ["stop", "101"], github, stop={"message": HOSTILE})
    assert code == 0, streams[:2000]
    (line,) = check_log(streams, messages=1)
    assert line.startswith(f"execution 101: {START} ")


@MODES
def test_cancel_schedule_prints_the_service_message_as_one_capped_line(
    tmp_path: Path, github: bool
) -> None:
    answer = {"message": HOSTILE, "schedule_id": SCHEDULE, "canceled_execution_count": 4}
    code, streams, api = cli(tmp_path, ["cancel-schedule", SCHEDULE], github, stop=answer)
    assert code == 0, streams[:2000]
    assert api.requests[-1] == (
        "stop-execution",
        {"schedule_id": SCHEDULE, "cancel_scheduled": True},
    )
    (line,) = check_log(streams, messages=1)
    # The count before the service's message, which the cut may take.
    assert line.startswith(f"schedule {SCHEDULE} (4 execution(s) cancelled): {START} ")


@MODES
@pytest.mark.parametrize("command", [["stop", "101"], ["cancel-schedule", SCHEDULE]])
def test_a_refusal_reason_is_one_capped_error_line(
    tmp_path: Path, github: bool, command: list[str]
) -> None:
    code, streams, _ = cli(tmp_path, command, github, stop=FAIL)
    assert code == 3, streams[:2000]
    (line,) = check_log(streams, messages=1)
    assert line.startswith("::error title=VibeTesting::" if github else "error: stop-execution")


@MODES
def test_status_shows_each_hostile_field_on_its_own_line(tmp_path: Path, github: bool) -> None:
    fields = {
        "execution_state": HOSTILE,
        "suite_name": HOSTILE,
        "detailed_status": HOSTILE,
        "start_time": HOSTILE,
    }
    code, streams, _ = cli(tmp_path, ["status", "101"], github, status=fields)
    assert code == 0, streams[:2000]
    # state, suite, started, status and the unknown state's warning; the suite name is cut to
    # 1,000 characters on arrival (models.SUITE_NAME_LIMIT), then here again.
    carrying = check_log(streams, messages=5)
    labels = [line.split()[0] for line in carrying]
    warning = "::warning" if github else "warning:"
    assert sorted(labels) == sorted(["state", "suite", "started", "status", warning]), labels


@MODES
def test_status_refusal_reason_is_one_capped_error_line(tmp_path: Path, github: bool) -> None:
    code, streams, _ = cli(tmp_path, ["status", "101"], github, status=FAIL)
    assert code == 3, streams[:2000]
    check_log(streams, messages=1)


def test_status_json_is_the_answer_with_nothing_raw(tmp_path: Path) -> None:
    """``--json`` is data (not capped): the same value, every control escaped by JSON."""
    code, streams, _ = cli(
        tmp_path, ["status", "101", "--json"], False, status={"detailed_status": HOSTILE}
    )
    assert code == 0, streams[:2000]
    assert not RAW.search(streams)
    assert json.loads(streams)["detailed_status"] == HOSTILE


@MODES
def test_a_scheduled_run_shows_the_service_message_as_one_capped_line(
    tmp_path: Path, github: bool
) -> None:
    trigger = {"schedule_id": SCHEDULE, "execution_ids": [101, 102], "message": HOSTILE}
    args = ["run", "--tests", TESTS, "--schedule-at", "2099-01-01T02:00:00+00:00"]
    code, streams, _ = cli(tmp_path, args, github, trigger=trigger)
    assert code == 0, streams[:2000]
    (line,) = check_log(streams, messages=1)
    assert line.startswith(f"scheduled: schedule {SCHEDULE}, execution(s) 101, 102 ({START} ")
    assert f"schedule_id={SCHEDULE}\n" in streams


@MODES
def test_a_scheduled_run_with_a_schedule_id_that_is_text_is_unusable(
    tmp_path: Path, github: bool
) -> None:
    trigger = {"schedule_id": HOSTILE, "execution_ids": [101], "message": "ok"}
    args = ["run", "--tests", TESTS, "--schedule-at", "2099-01-01T02:00:00+00:00"]
    code, streams, _ = cli(tmp_path, args, github, trigger=trigger)
    assert code == 3, streams[:2000]
    assert "schedule_id held" in streams and "not an id" in streams
    for line in check_log(streams):  # its start, JSON-escaped, is all that is shown
        assert "AFTER" not in line and "\\u001b" in line, line


@MODES
def test_a_refused_run_shows_the_reason_capped(tmp_path: Path, github: bool) -> None:
    code, streams, _ = cli(tmp_path, ["run", "--tests", TESTS], github, trigger=FAIL)
    assert code == 3, streams[:2000]
    for line in check_log(streams, messages=2 if github else 1):
        assert "run-tests: the service refused (HTTP 200)" in line


@MODES
def test_a_waited_run_caps_the_detailed_status_in_every_log_line_and_annotation(
    tmp_path: Path, github: bool
) -> None:
    code, streams, _ = cli(
        tmp_path, ["run", "--tests", TESTS], github, status={"detailed_status": HOSTILE}
    )
    assert code == 1, streams[:2000]
    # Progress and summary lines cut it shorter (160 characters, no note); the execution's
    # annotation under GitHub carries it cut at the cap.
    assert not RAW.search(streams)
    for line in streams.split("\n"):
        assert len(line) <= LONGEST, line[:200]
        if re.match(r"^\s*(::|##\[|##vso\[)", line):
            assert OURS.match(line), line[:200]
    annotated = [line for line in streams.split("\n") if line.startswith("::error title=")]
    if github:
        assert any("more characters cut]" in line for line in annotated), annotated
    # The whole text stays in the JUnit and results files (up to models.DETAIL_LIMIT).
    results = json.loads((tmp_path / "vibetesting-results.json").read_text(encoding="utf-8"))
    assert len(results["executions"][0]["detailed_status"]) > DETAIL_LIMIT
    junit = (tmp_path / "vibetesting-junit.xml").read_text(encoding="utf-8")
    assert "A" * (10 * LINE_LIMIT) in junit
