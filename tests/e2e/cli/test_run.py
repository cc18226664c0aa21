"""End to end: the real CLI against the real emulator on loopback (issue: core)."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import junitparser
import pytest
import xmlschema

from tests.support.cli import (
    PASSWORD,
    TOKEN,
    XSD,
    CliResult,
    all_files_text,
    api_bodies,
    assert_no_secret,
    emulator_env,
    run_cli,
)
from vibetesting_ci.emulator import EmulatorServer

TWO_TESTS = "[{name: login works, steps: log in}, {name: 'checkout [fail]', steps: [add, pay]}]"


def junit_counts(path: Path) -> list[tuple[str, int, int, int, int]]:
    xmlschema.XMLSchema(str(XSD)).validate(str(path))
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = [xml] if isinstance(xml, junitparser.TestSuite) else list(xml)
    return [(s.name, s.tests, s.failures, s.errors, s.skipped) for s in suites]


def test_guided_run_two_executions_one_failing(cli, emulator, tmp_path):
    result = cli("run", "--tests", TWO_TESTS, "--allow-parallel")
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.output
    ids = (
        [e.id for e in emulator.executions.values()]
        if hasattr(next(iter(emulator.executions.values())), "id")
        else list(emulator.executions)
    )
    assert len(ids) == 2
    counts = junit_counts(tmp_path / "vibetesting-junit.xml")
    assert sorted((t, f, e, s) for _, t, f, e, s in counts) == [(1, 0, 0, 0), (1, 1, 0, 0)]
    for execution_id in ids:
        pdf = tmp_path / f"vibetesting-report-{execution_id}.pdf"
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
    results = result.results()
    assert results["result"] == "failed" and results["exit_code"] == 1
    assert results["totals"] == {
        "tests": 2,
        "done": 2,
        "passed": 1,
        "failed": 1,
        "not_done": 0,
        "flaky": 0,
    }
    assert sorted(e["id"] for e in results["executions"]) == sorted(ids)
    # Reports were fetched without the API credentials.
    reports = [r for r in emulator.journal if r.endpoint == "report"]
    assert reports and not any(r.has_credentials for r in reports)
    # The failure text carries detailed_status and the report link.
    xml = (tmp_path / "vibetesting-junit.xml").read_text(encoding="utf-8")
    assert "checkout [fail]" in xml and "/reports/" in xml


def test_junit_names_the_tests_of_a_single_execution(cli, tmp_path):
    tests = "[{name: alpha, steps: a}, {name: beta, steps: b}]"
    result = cli("run", "--tests", tests)
    assert result.returncode == 0, result.output
    xml = junitparser.JUnitXml.fromfile(str(tmp_path / "vibetesting-junit.xml"))
    names = [case.name for suite in xml for case in suite]
    assert names == ["alpha", "beta"]
    assert (tmp_path / "vibetesting-report.pdf").read_bytes().startswith(b"%PDF-")


def test_passing_suite_exits_0(cli, emulator, tmp_path):
    result = cli("run", "--suite-id", "1")
    assert result.returncode == 0, result.output
    assert api_bodies(emulator, "run-suite") == [{"suite_id": 1}]
    results = result.results()
    assert results["result"] == "passed"
    assert [c[1:] for c in junit_counts(tmp_path / "vibetesting-junit.xml")] == [(3, 0, 0, 0)]


def test_failing_suite_exits_1(cli):
    result = cli("run", "--suite-id", "2")
    assert result.returncode == 1, result.output
    assert result.results()["totals"]["failed"] == 1


def test_suite_with_two_executions(cli, tmp_path):
    result = cli("run", "--suite-id", "3")
    assert result.returncode == 0, result.output
    assert len(result.results()["executions"]) == 2
    assert len(list(tmp_path.glob("vibetesting-report-*.pdf"))) == 2


def test_scheduled_run_prints_ids_without_polling_and_can_be_cancelled(cli, emulator):
    result = cli(
        "run",
        "--suite-id",
        "1",
        "--schedule-at",
        "2030-04-04T02:00:00+03:00",
        "--repeat",
        "weekly",
        "--repeat-count",
        "2",
        "--timezone",
        "Asia/Jerusalem",
    )
    assert result.returncode == 0, result.output
    assert api_bodies(emulator, "execution-status") == []
    schedule_line = [line for line in result.stdout.splitlines() if line.startswith("schedule_id=")]
    schedule_id = schedule_line[0].split("=", 1)[1]
    assert schedule_id
    assert result.results()["result"] == "scheduled"
    assert result.results()["schedule_id"] == schedule_id
    assert api_bodies(emulator, "run-suite") == [
        {
            "suite_id": 1,
            "schedule_at": "2030-04-04T02:00:00+03:00",
            "repeat": "weekly",
            "repeat_count": 2,
            "timezone": "Asia/Jerusalem",
        }
    ]
    cancelled = cli("cancel-schedule", schedule_id)
    assert cancelled.returncode == 0, cancelled.output
    assert schedule_id in cancelled.stdout
    assert api_bodies(emulator, "stop-execution")[-1] == {
        "schedule_id": schedule_id,
        "cancel_scheduled": True,
    }
    again = cli("cancel-schedule", "no-such-schedule")
    assert again.returncode == 3
    assert again.stderr.count("\n") == 1


def test_no_wait_prints_ids_and_exits_0(cli, emulator, tmp_path):
    result = cli("run", "--tests", TWO_TESTS, "--allow-parallel", "--no-wait")
    assert result.returncode == 0, result.output
    assert result.stdout.strip().startswith("execution_ids=")
    assert api_bodies(emulator, "execution-status") == []
    assert not (tmp_path / "vibetesting-junit.xml").exists()
    assert result.results()["result"] == "triggered"


def test_wait_status_and_stop_on_existing_executions(cli, emulator, tmp_path):
    started = cli("run", "--tests", "[{name: 'slow one [hang]', steps: x}]", "--no-wait")
    execution_id = started.stdout.strip().split("=", 1)[1]
    status = cli("status", execution_id, "--json")
    assert status.returncode == 0, status.output
    answer = json.loads(status.stdout)
    assert answer["status"] == "success" and answer["execution_state"] in ("running", "processing")
    human = cli("status", execution_id)
    assert human.returncode == 0 and "state" in human.stdout
    stopped = cli("stop", execution_id)
    assert stopped.returncode == 0, stopped.output
    assert api_bodies(emulator, "stop-execution") == [{"execution_id": int(execution_id)}]
    waited = cli("wait", execution_id, "--junit-file", "out/junit.xml")
    # A stopped execution ends done with its test not done: that is a failed pipeline.
    assert waited.returncode == 1, waited.output
    counts = junit_counts(tmp_path / "out" / "junit.xml")
    assert counts[0][1:] == (1, 0, 0, 1)


def test_wait_passing_execution(cli, emulator):
    started = cli("run", "--tests", "[{name: ok, steps: x}]", "--no-wait")
    execution_id = started.stdout.strip().split("=", 1)[1]
    waited = cli("wait", execution_id, execution_id)
    assert waited.returncode == 0, waited.output
    assert waited.results()["totals"]["passed"] == 1


def test_status_of_unknown_execution_exits_3_with_reason(cli):
    result = cli("status", "999999")
    assert result.returncode == 3
    assert "not found" in result.stderr.lower()
    assert "Traceback" not in result.output


def test_refused_token_exits_3_without_echoing_it(cli, emulator, tmp_path):
    wrong = "tok-Wrong-abcdef0123456789"
    result = cli("run", "--suite-id", "1", env={"VIBETESTING_API_TOKEN": wrong})
    assert result.returncode == 3
    assert "token was refused" in result.stderr
    assert_no_secret(result.output, all_files_text(tmp_path), secrets=(wrong,))
    assert emulator.runs_created == 0


def test_service_refusal_exits_3_with_reason(cli):
    result = cli("run", "--suite-id", "404")
    assert result.returncode == 3
    assert "Suite not found" in result.stderr
    assert result.results()["result"] == "error"
    # The JUnit says why (so the CI's test view shows it, and no stale file survives).
    junit = result.file("vibetesting-junit.xml")
    assert junit_counts(junit) == [("vibetesting.suite_404", 1, 0, 1, 0)]
    assert "Suite not found" in result.file("vibetesting-junit.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--execution-type", "exploration"], {}, {"execution_type": "exploration"}),
        (
            [
                "--execution-type",
                "exploration",
                "--flows-count",
                "3",
                "--max-steps-per-flow",
                "15",
                "--general-instructions",
                "Focus on checkout",
                "--focus-area",
                "search",
                "--focus-area",
                "cart",
            ],
            {},
            {
                "execution_type": "exploration",
                "flows_count": 3,
                "max_steps_per_flow": 15,
                "general_instructions": "Focus on checkout",
                "focus_areas": ["search", "cart"],
            },
        ),
        (
            ["--execution-type", "exploration"],
            {
                "VIBETESTING_FOCUS_AREAS": "search\ncart\n",
                "VIBETESTING_FLOWS_COUNT": "2",
                "VIBETESTING_MAX_STEPS_PER_FLOW": "9",
                "VIBETESTING_GENERAL_INSTRUCTIONS": "be nice",
            },
            {
                "execution_type": "exploration",
                "focus_areas": ["search", "cart"],
                "flows_count": 2,
                "max_steps_per_flow": 9,
                "general_instructions": "be nice",
            },
        ),
        (
            [
                "--tests",
                "[{name: a, steps: [one, two]}, {name: b, steps: just text}]",
                "--send-report",
                "--stop-existing",
                "--allow-parallel",
            ],
            {},
            {
                "execution_type": "guided",
                "tests": [
                    {"name": "a", "steps": ["one", "two"]},
                    {"name": "b", "steps": "just text"},
                ],
                "should_send_report": True,
                "should_stop_existing": True,
                "allow_parallel": True,
            },
        ),
        (
            [
                "--tests",
                '[{"name": "a", "steps": "x"}]',
                "--no-send-report",
                "--no-stop-existing",
                "--no-allow-parallel",
            ],
            {},
            {
                "execution_type": "guided",
                "tests": [{"name": "a", "steps": "x"}],
                "should_send_report": False,
                "should_stop_existing": False,
                "allow_parallel": False,
            },
        ),
        (
            ["--tests", "[{name: a, steps: x}]"],
            {
                "VIBETESTING_SEND_REPORT": "YES",
                "VIBETESTING_STOP_EXISTING": "0",
                "VIBETESTING_ALLOW_PARALLEL": "False",
            },
            {
                "execution_type": "guided",
                "tests": [{"name": "a", "steps": "x"}],
                "should_send_report": True,
                "should_stop_existing": False,
                "allow_parallel": False,
            },
        ),
        (
            ["--tests", "[{name: a, steps: x}]", "--login-identifier", "user@ex.com"],
            {"VIBETESTING_LOGIN_PASSWORD": PASSWORD},
            {
                "execution_type": "guided",
                "tests": [{"name": "a", "steps": "x"}],
                "login": {"login_needed": True, "identifier": "user@ex.com", "password": PASSWORD},
            },
        ),
        (
            ["--suite-id", "1", "--send-report"],
            {},
            {"suite_id": 1, "should_send_report": True},
        ),
        (
            [],
            {
                "VIBETESTING_SUITE_ID": "1",
                "VIBETESTING_SCHEDULE_AT": "2030-01-01T10:00:00Z",
                "VIBETESTING_REPEAT": "daily",
                "VIBETESTING_REPEAT_COUNT": "3",
                "VIBETESTING_TIMEZONE": "America/New_York",
            },
            {
                "suite_id": 1,
                "schedule_at": "2030-01-01T10:00:00Z",
                "repeat": "daily",
                "repeat_count": 3,
                "timezone": "America/New_York",
            },
        ),
        (
            [
                "--tests",
                "[{name: a, steps: x}]",
                "--schedule-at",
                "2030-01-01T10:00:00+02:00",
                "--repeat",
                "once",
            ],
            {},
            {
                "execution_type": "guided",
                "tests": [{"name": "a", "steps": "x"}],
                "schedule_at": "2030-01-01T10:00:00+02:00",
                "repeat": "once",
            },
        ),
    ],
)
def test_every_run_option_maps_into_the_body(cli, emulator, tmp_path, args, env, expected):
    result = cli("run", *args, "--no-wait", env=env)
    assert result.returncode == 0, result.output
    endpoint = "run-suite" if "suite_id" in expected else "run-tests"
    assert api_bodies(emulator, endpoint) == [expected]
    assert_no_secret(result.output, all_files_text(tmp_path))


def test_option_beats_variable(cli, emulator):
    result = cli("run", "--suite-id", "2", "--no-wait", env={"VIBETESTING_SUITE_ID": "1"})
    assert result.returncode == 0
    assert api_bodies(emulator, "run-suite") == [{"suite_id": 2}]


def test_tests_file_yaml_and_json(cli, emulator, tmp_path):
    (tmp_path / "t.yml").write_text("- name: one\n  steps:\n    - a\n    - b\n", encoding="utf-8")
    (tmp_path / "t.json").write_text('[{"name": "two", "steps": "c"}]', encoding="utf-8")
    assert cli("run", "--tests-file", "t.yml", "--no-wait").returncode == 0
    assert cli("run", "--no-wait", env={"VIBETESTING_TESTS_FILE": "t.json"}).returncode == 0
    assert [b["tests"] for b in api_bodies(emulator, "run-tests")] == [
        [{"name": "one", "steps": ["a", "b"]}],
        [{"name": "two", "steps": "c"}],
    ]


def test_output_paths_and_parent_folders(cli, tmp_path):
    result = cli(
        "run",
        "--suite-id",
        "1",
        "--junit-file",
        "a/b/j.xml",
        "--report-file",
        "r/rep.pdf",
        "--results-file",
        "x/res.json",
        "--dotenv-file",
        "e/v.env",
    )
    assert result.returncode == 0, result.output
    for name in ("a/b/j.xml", "r/rep.pdf", "x/res.json", "e/v.env"):
        assert (tmp_path / name).is_file(), name
    dotenv = (tmp_path / "e/v.env").read_text(encoding="utf-8")
    assert "VIBETESTING_RESULT=passed" in dotenv


def test_empty_paths_write_nothing(cli, tmp_path):
    result = cli(
        "run",
        "--suite-id",
        "1",
        env={
            "VIBETESTING_JUNIT_FILE": "",
            "VIBETESTING_REPORT_FILE": "",
            "VIBETESTING_RESULTS_FILE": "",
        },
    )
    assert result.returncode == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_dry_run_sends_nothing_and_shows_no_secret(cli, emulator, tmp_path):
    result = cli(
        "run",
        "--tests",
        "[{name: a, steps: x}]",
        "--login-identifier",
        "u@x",
        "--dry-run",
        env={"VIBETESTING_LOGIN_PASSWORD": PASSWORD},
    )
    assert result.returncode == 0, result.output
    assert emulator.journal == []
    body = json.loads(result.stdout.split("\n", 2)[2])
    assert body["login"]["password"] == "***"
    assert "run-tests/" in result.stdout
    assert_no_secret(result.output, all_files_text(tmp_path))


INVALID = [
    (["run", "--suite-id", "1"], {"VIBETESTING_API_TOKEN": ""}, "no API token"),
    (["run", "--tests-file", "missing.yml"], {}, "missing.yml: not found"),
    (["run", "--tests-file", "bad.yml"], {}, "bad.yml:3"),
    (["run", "--tests", "[{name: a}]"], {}, "'steps' is missing"),
    (["run", "--tests", "[{name: a, steps: x, step: y}]"], {}, "unknown key 'step'"),
    (["run", "--tests", "[{name: a, steps: 3}]"], {}, "steps: must be a string or a list"),
    (["run", "--execution-type", "guided"], {}, "guided run needs tests"),
    (["run"], {}, "nothing to run"),
    (["run", "--suite-id", "1", "--tests", "[{name: a, steps: x}]"], {}, "cannot be combined"),
    (["run", "--suite-id", "1", "--allow-parallel"], {}, "cannot be combined"),
    (["run", "--suite-id", "1", "--schedule-at", "next tuesday"], {}, "ISO 8601"),
    (
        [
            "run",
            "--suite-id",
            "1",
            "--schedule-at",
            "2030-01-01T00:00",
            "--timezone",
            "Mars/Olympus",
        ],
        {},
        "unknown IANA time zone",
    ),
    (
        ["run", "--suite-id", "1", "--schedule-at", "2030-01-01T00:00", "--repeat", "hourly"],
        {},
        "once, daily, weekly",
    ),
    (["run", "--suite-id", "1", "--repeat", "daily"], {}, "scheduled run"),
    (["run", "--suite-id", "0"], {}, "positive"),
    (["run", "--suite-id", "abc"], {}, "positive whole number"),
    (["run", "--execution-type", "exploration", "--flows-count", "0"], {}, "positive"),
    (["run", "--execution-type", "exploration", "--max-steps-per-flow", "-3"], {}, "positive"),
    (
        ["run", "--suite-id", "1", "--schedule-at", "2030-01-01T00:00", "--repeat-count", "0"],
        {},
        "positive",
    ),
    (["run", "--suite-id", "1", "--timeout", "0"], {}, "positive"),
    (["run", "--suite-id", "1", "--poll-interval", "0.05"], {}, "at least 0.1"),
    (["run", "--suite-id", "1"], {"VIBETESTING_WAIT": "maybe"}, "VIBETESTING_WAIT"),
    (["run", "--suite-id", "1", "--execution-type", "nope"], {}, "guided, exploration"),
    (["run", "--suite-id", "1", "--api-url", "ftp://x"], {}, "http(s) URL"),
    (["wait", "12", "x"], {}, "execution id 'x'"),
    (["wait", "-5"], {}, None),
    (["status", "0"], {}, "positive"),
    (["stop", "abc"], {}, "positive"),
    (["run", "--tests-file", "pw.yml"], {}, "passwords do not belong"),
]


@pytest.mark.parametrize(("args", "env", "needle"), INVALID)
def test_invalid_input_exits_2_and_sends_nothing(cli, emulator, tmp_path, args, env, needle):
    (tmp_path / "bad.yml").write_text("- name: a\n  steps: b\n- name: [oops\n", encoding="utf-8")
    (tmp_path / "pw.yml").write_text(
        "tests:\n  - {name: a, steps: b}\nlogin:\n  identifier: u\n  password: p\n",
        encoding="utf-8",
    )
    result = cli(*args, env=env)
    assert result.returncode == 2, result.output
    assert emulator.journal == []
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) <= 3, result.stderr  # one line (click may add usage lines)
    if needle:
        assert needle in result.stderr


def test_secrets_never_leave(cli, emulator, tmp_path):
    result = cli(
        "run",
        "--tests",
        TWO_TESTS,
        "--allow-parallel",
        "--login-identifier",
        "u@x",
        "--dotenv-file",
        "v.env",
        "--verbose",
        env={"VIBETESTING_LOGIN_PASSWORD": PASSWORD},
    )
    assert result.returncode == 1
    assert_no_secret(result.output, all_files_text(tmp_path))
    reports = [r for r in emulator.journal if r.endpoint == "report"]
    assert reports and all(TOKEN not in json.dumps(r.headers) for r in reports)


def test_version_and_help():
    here = Path.cwd()
    version = run_cli(["--version"], cwd=here)
    assert version.returncode == 0 and "0." in version.stdout
    for command in ("run", "wait", "status", "stop", "cancel-schedule", "emulator"):
        helped = run_cli([command, "--help"], cwd=here)
        assert helped.returncode == 0, helped.output
        assert "Usage:" in helped.stdout


def test_relative_report_link_is_resolved_against_the_api_url(tmp_path):
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, relative_report_links=True) as srv:
        result = run_cli(["run", "--suite-id", "1"], cwd=tmp_path, env=emulator_env(srv))
    assert result.returncode == 0, result.output
    assert (tmp_path / "vibetesting-report.pdf").read_bytes().startswith(b"%PDF-")
    assert result.results()["executions"][0]["report_url"].startswith("http://127.0.0.1:")


def refused(tmp_path: Path, reason: str) -> CliResult:
    """``run --suite-id 1`` against a server that refuses every request with ``reason``."""

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.dumps({"status": "fail", "reason": reason})
            data = body.encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {
            "VIBETESTING_API_TOKEN": TOKEN,
            "VIBETESTING_API_URL": f"http://127.0.0.1:{server.server_address[1]}/api/external/",
        }
        return run_cli(["run", "--suite-id", "1"], cwd=tmp_path, env=env)
    finally:
        server.shutdown()


def test_a_multiline_reason_is_shown_on_one_line(tmp_path):
    """A service reason with line breaks is one line: no line of it can pose as a workflow
    command (``::add-mask::`` on GitHub) or look like a second error."""
    result = refused(tmp_path, "bad input\n::add-mask::x\r\nmore")
    assert result.returncode == 3
    assert "bad input ::add-mask::x more" in result.stderr
    assert not any(line.startswith("::") for line in result.output.splitlines())


def test_a_long_reason_is_cut_saying_how_much(tmp_path):
    """A 20,000-character reason: the first 500 characters and how many more were cut, in a
    result line that stays within one log line's 1,000 characters (README, Security)."""
    result = refused(tmp_path, "why " * 5000)
    assert result.returncode == 3
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("result: error")]
    assert line.endswith("… [19499 more characters cut]"), line[-200:]  # 19,999 after the fold
    assert len(line) < 1000


def test_a_verbose_answer_is_one_capped_line(tmp_path):
    """``--verbose`` logs an odd answer on one line, at most 1,000 characters of it, saying how
    much was cut: a 20,000-character field does not flood the log."""
    fields = json.dumps({"number_of_failed_tests": 1.5, "note": "x" * 20_000})
    # Once (the fault's default): a count that is not a whole number, so the answer is logged.
    fault = f"execution-status:patch:fields={fields}"
    with EmulatorServer(port=0, token=TOKEN, test_seconds=0.05, faults=[fault]) as srv:
        result = run_cli(
            ["run", "--suite-id", "1", "--verbose"], cwd=tmp_path, env=emulator_env(srv)
        )
    assert result.returncode == 0, result.output  # the next answer is whole and done
    answers = [line for line in result.stderr.splitlines() if "answer: " in line]
    assert answers, result.stderr[-2000:]
    assert all(len(line) < 1100 for line in answers), max(map(len, answers))
    assert all(line.endswith("more characters cut]") for line in answers)
