"""Every option's conversion and its bad values, as the option and as its variable, through the
CLI in-process: a good value shows in the ``--dry-run`` request (or what a real run would do), a
bad one is exit 2 with one line that names the option or variable, and nothing is printed as
sent."""

from __future__ import annotations

import pytest

from faultkit.common import PASSWORD, TOKEN
from vibetesting_ci.cli import cli

SUITE = ("run", "--suite-id", "1")
TESTS = ("run", "--tests", "[{name: a, steps: b}]")
EXPLORE = ("run", "--execution-type", "exploration")
TAGGED = ("run", "--tests", "[{name: a, steps: b, tags: [smoke]}, {name: c, steps: d}]")
A_TEST, C_TEST = {"name": "a", "steps": "b"}, {"name": "c", "steps": "d"}
SCHEDULED = (*SUITE, "--schedule-at", "2030-01-01T10:00:00Z")


def env_name(flag: str) -> str:
    """The variable of a flag: VIBETESTING_ + the flag in capitals (one exception)."""
    plural = {"--focus-area": "FOCUS_AREAS", "--tag": "TAGS", "--exclude-tag": "EXCLUDE_TAGS"}
    if flag in plural or flag == "--var":
        return "VIBETESTING_" + plural.get(flag, "VARS")
    return "VIBETESTING_" + flag[2:].upper().replace("-", "_")


# (flag, text given, the command it goes with, the body fields it must produce)
GOOD_BODY = [
    ("--suite-id", " 42 ", ("run",), {"suite_id": 42}),
    ("--execution-type", " exploration ", ("run",), {"execution_type": "exploration"}),
    ("--flows-count", "3", EXPLORE, {"execution_type": "exploration", "flows_count": 3}),
    (
        "--max-steps-per-flow",
        "15",
        EXPLORE,
        {"execution_type": "exploration", "max_steps_per_flow": 15},
    ),
    (
        "--general-instructions",
        "Be gentle",
        EXPLORE,
        {"execution_type": "exploration", "general_instructions": "Be gentle"},
    ),
    (
        "--tests",
        "[{name: a, steps: [x, y]}]",
        ("run",),
        {"execution_type": "guided", "tests": [{"name": "a", "steps": ["x", "y"]}]},
    ),
    # Tests as code (issue 23): which tests, and the text they carry.
    (
        "--target-url",
        " https://pr-1.preview.example/ ",
        TESTS,
        {
            "execution_type": "guided",
            "tests": [{"name": "a", "steps": "b"}],
            "general_instructions": "Test the application at https://pr-1.preview.example/.",
        },
    ),
    ("--tag", " Smoke ", TAGGED, {"execution_type": "guided", "tests": [A_TEST]}),
    ("--exclude-tag", "smoke", TAGGED, {"execution_type": "guided", "tests": [C_TEST]}),
    ("--grep", "^C$", TAGGED, {"execution_type": "guided", "tests": [C_TEST]}),
    ("--shard", " 2 / 2 ", TAGGED, {"execution_type": "guided", "tests": [C_TEST]}),
    (
        "--var",
        "X=1",
        ("run", "--tests", "[{name: a, steps: 'x ${X}'}]"),
        {"execution_type": "guided", "tests": [{"name": "a", "steps": "x 1"}]},
    ),
    (
        "--schedule-at",
        "2030-01-01T10:00:00+02:00",
        SUITE,
        {"suite_id": 1, "schedule_at": "2030-01-01T10:00:00+02:00"},
    ),
    (
        "--repeat",
        "weekly",
        SCHEDULED,
        {"suite_id": 1, "schedule_at": "2030-01-01T10:00:00Z", "repeat": "weekly"},
    ),
    (
        "--repeat-count",
        "4",
        SCHEDULED,
        {"suite_id": 1, "schedule_at": "2030-01-01T10:00:00Z", "repeat_count": 4},
    ),
    (
        "--timezone",
        "Europe/Berlin",
        SCHEDULED,
        {"suite_id": 1, "schedule_at": "2030-01-01T10:00:00Z", "timezone": "Europe/Berlin"},
    ),
]


@pytest.mark.parametrize("surface", ["option", "variable"])
@pytest.mark.parametrize(
    ("flag", "text", "base", "fields"), GOOD_BODY, ids=[g[0] for g in GOOD_BODY]
)
def test_a_good_value_reaches_the_body(invoke, surface, flag, text, base, fields):
    if surface == "option":
        result = invoke(*base, flag, text, "--dry-run")
    else:
        result = invoke(*base, "--dry-run", env={env_name(flag): text})
    assert result.body == fields


@pytest.mark.parametrize("surface", ["option", "variable"])
def test_login_is_sent_with_the_password_masked(invoke, surface):
    if surface == "option":
        args = ("--login-identifier", "qa@example.com", "--login-password", PASSWORD)
        result = invoke(*TESTS, *args, "--dry-run")
    else:
        env = {
            "VIBETESTING_LOGIN_IDENTIFIER": "qa@example.com",
            "VIBETESTING_LOGIN_PASSWORD": f"  {PASSWORD}  ",
        }
        result = invoke(*TESTS, "--dry-run", env=env)
    login = {"login_needed": True, "identifier": "qa@example.com", "password": "***"}
    assert result.body["login"] == login
    assert PASSWORD not in result.output and TOKEN not in result.output


def test_a_tests_file_is_read_from_the_path(invoke, tmp_path):
    path = tmp_path / "t.yml"
    path.write_text("- name: one\n  steps: [a, b]\n", encoding="utf-8")
    expected = [{"name": "one", "steps": ["a", "b"]}]
    assert invoke("run", "--tests-file", str(path), "--dry-run").body["tests"] == expected
    env = {"VIBETESTING_TESTS_FILE": str(path)}
    assert invoke("run", "--dry-run", env=env).body["tests"] == expected
    error = invoke("run", "--tests-file", str(tmp_path / "missing.yml"), "--dry-run").error
    assert "missing.yml" in error and "not found" in error


# Options whose good values show only as "it is accepted" (their effect comes after the trigger).
ACCEPTED = [
    ("--request-timeout", "2.5"),
    ("--poll-interval", "0.1"),
    ("--max-poll-interval", "120"),
    ("--max-report-size", "1"),
    ("--timeout", "90"),
    ("--max-failures", "0"),
    ("--min-pass-rate", "99.5"),
    ("--retry-failed", "3"),
]


@pytest.mark.parametrize(("flag", "text"), ACCEPTED)
def test_a_good_wait_value_is_accepted(invoke, flag, text):
    assert invoke(*SUITE, flag, text, "--dry-run").exit_code == 0
    assert invoke(*SUITE, "--dry-run", env={env_name(flag): text}).exit_code == 0


def test_timeout_seconds_are_converted(invoke):
    assert "wait up to 1m30s" in invoke(*SUITE, "--timeout", "90", "--dry-run").then
    assert "wait up to 2m00s" in invoke(*SUITE, "--timeout", "120.4", "--dry-run").then


def test_api_url_gets_its_slash_and_loses_blanks(invoke):
    line, _ = invoke(*SUITE, "--api-url", "  http://127.0.0.1:1/api  ", "--dry-run").request()
    assert line == "POST http://127.0.0.1:1/api/run-suite/"


# (flag, bad text, the command it goes with, a part of the error line)
BAD = [
    ("--api-url", "ftp://example.com/", SUITE, "http(s) URL"),
    ("--api-url", "example.com/api", SUITE, "http(s) URL"),
    ("--api-url", "https://example.com/api/?key=1", SUITE, "query or fragment"),
    ("--request-timeout", "soon", SUITE, "expected a number"),
    ("--request-timeout", "0", SUITE, "positive"),
    ("--request-timeout", "-1", SUITE, "positive"),
    ("--request-timeout", "inf", SUITE, "positive"),
    ("--request-timeout", "nan", SUITE, "positive"),
    ("--request-timeout", "1e12", SUITE, "at most 1 day (86400 seconds)"),
    ("--timeout", "1e12", SUITE, "at most 30 days (2592000 seconds)"),
    ("--api-url", "https://[::1/api/", SUITE, "not a valid URL"),
    ("--api-url", "https://example.com:99999/api/", SUITE, "not a valid URL"),
    ("--api-url", "http://example.com/api/", SUITE, "--allow-insecure-http"),
    ("--api-token", "tok-€-0123456789", SUITE, "printable ASCII"),
    ("--suite-id", "abc", ("run",), "positive whole number"),
    ("--suite-id", "1.5", ("run",), "positive whole number"),
    ("--suite-id", "0", ("run",), "positive"),
    ("--suite-id", "-3", ("run",), "positive"),
    ("--execution-type", "nope", SUITE, "guided, exploration"),
    ("--flows-count", "0", EXPLORE, "positive"),
    ("--flows-count", "many", EXPLORE, "positive whole number"),
    ("--max-steps-per-flow", "-3", EXPLORE, "positive"),
    ("--schedule-at", "next tuesday", SUITE, "ISO 8601"),
    ("--schedule-at", "2030-01-01", SUITE, "needs a time"),
    ("--repeat", "hourly", SCHEDULED, "once, daily, weekly"),
    ("--repeat-count", "0", SCHEDULED, "positive"),
    ("--timezone", "Mars/Olympus", SCHEDULED, "unknown IANA time zone"),
    ("--timezone", "../etc/passwd", SCHEDULED, "not an IANA time zone"),
    ("--timeout", "0", SUITE, "positive"),
    ("--timeout", "an hour", SUITE, "expected a number"),
    ("--poll-interval", "0.05", SUITE, "at least 0.1"),
    ("--poll-interval", "x", SUITE, "expected a number"),
    ("--max-poll-interval", "0.01", SUITE, "at least 0.1"),
    ("--max-report-size", "0", SUITE, "positive"),
    ("--max-report-size", "1.5", SUITE, "positive whole number"),
    ("--tests", "[{name: a}]", ("run",), "'steps' is missing"),
    ("--target-url", "ftp://x.example/", TESTS, "expected an http:// or https:// URL"),
    ("--target-url", "https://", TESTS, "names no host"),
    ("--tag", "a,b", TAGGED, "is not one tag"),
    ("--tag", "smok", TAGGED, "did you mean 'smoke'?"),
    ("--exclude-tag", "two words", TAGGED, "is not one tag"),
    ("--grep", "(", TAGGED, "not a valid regular expression"),
    ("--grep", "zzz", TAGGED, "matches no test name"),
    ("--shard", "3", TAGGED, "expected K/N"),
    ("--shard", "0/2", TAGGED, "from 1 to 2"),
    ("--var", "NOEQUALS", TESTS, "expected NAME=VALUE"),
    ("--var", "1X=y", TESTS, "is not a variable name"),
    ("--api-token", "tok-first\ntok-second", SUITE, "must be one line"),
    (
        "--login-password",
        "pw-first\npw-second",
        (*TESTS, "--login-identifier", "u"),
        "must be one line",
    ),
]


@pytest.mark.parametrize("surface", ["option", "variable"])
@pytest.mark.parametrize(
    ("flag", "text", "base", "needle"), BAD, ids=[f"{b[0]}={b[1]!r}" for b in BAD]
)
def test_a_bad_value_is_one_line_naming_where_it_came_from(
    invoke, surface, flag, text, base, needle
):
    if surface == "option":
        result = invoke(*base, flag, text, "--dry-run")
        where = flag
    else:
        result = invoke(*base, "--dry-run", env={env_name(flag): text})
        where = env_name(flag)
    error = result.error
    # --tests:LINE: for the tests text; --var 'X': / VIBETESTING_VARS line 2: for a variable
    assert error.startswith((f"error: {where}:", f"error: {where} ")), error
    assert needle in error
    assert result.stdout == ""  # no request shown: nothing would have been sent
    if flag in ("--api-token", "--login-password"):
        assert "-first" not in result.output and "-second" not in result.output  # not echoed


def test_a_max_poll_interval_below_the_poll_interval_is_refused(invoke):
    error = invoke(*SUITE, "--poll-interval", "5", "--max-poll-interval", "2", "--dry-run").error
    assert error.startswith("error: --max-poll-interval: ") and "below the poll interval" in error
    # Left at its default, it follows a larger poll interval instead.
    assert invoke(*SUITE, "--poll-interval", "120", "--dry-run").exit_code == 0


BOOLEAN_FLAGS = [
    "--send-report",
    "--stop-existing",
    "--allow-parallel",
    "--dry-run",
    "--wait",
    "--fail-on-timeout",
    "--allow-empty",
    "--stop-on-timeout",
    "--stop-on-cancel",
    "--require-report",
    "--comment",
    "--allow-insecure-http",
    "--retry-failed-whole",
]


@pytest.mark.parametrize("flag", BOOLEAN_FLAGS)
def test_every_boolean_variable_refuses_other_words(invoke, flag):
    base = TESTS if flag in ("--stop-existing", "--allow-parallel") else SUITE
    # --dry-run would beat VIBETESTING_DRY_RUN (never read then); the bad word stops the run
    # before anything is sent either way.
    dry = () if flag == "--dry-run" else ("--dry-run",)
    error = invoke(*base, *dry, env={env_name(flag): "perhaps"}).error
    assert error.startswith(f"error: {env_name(flag)}: ")
    assert "'perhaps'" in error


@pytest.mark.parametrize("flag", BOOLEAN_FLAGS)
def test_every_boolean_flag_has_a_no_form(invoke, flag):
    base = TESTS if flag in ("--stop-existing", "--allow-parallel") else SUITE
    for words in ((flag,), (f"--no-{flag[2:]}",)):
        args = (*base, *words) if flag == "--dry-run" else (*base, *words, "--dry-run")
        if words == ("--no-dry-run",):
            continue  # a real run: not for the unit layer
        assert invoke(*args).exit_code == 0, words


MISSING_ARGUMENT = ["--suite-id", "--timeout", "--tests", "--execution-type"]


@pytest.mark.parametrize("flag", MISSING_ARGUMENT)
def test_an_option_without_its_value_is_a_usage_error(invoke, flag):
    result = invoke("run", flag)
    assert result.exit_code == 2
    assert flag in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""


def test_an_unknown_option_is_a_usage_error(invoke):
    result = invoke("run", "--suite", "1")
    assert result.exit_code == 2 and "--suite" in result.stderr and result.stdout == ""


# -- the other commands' arguments ----------------------------------------------------------------

BAD_IDS = [
    ("wait", ("12", "x"), "execution id 'x'"),
    ("wait", ("0",), "positive"),
    ("status", ("abc",), "positive"),
    ("status", ("0",), "positive"),
    ("stop", ("1.5",), "positive"),
    ("cancel-schedule", ("two words",), "schedule id"),
    ("cancel-schedule", ("  ",), "schedule id"),
]


@pytest.mark.parametrize(("command", "ids", "needle"), BAD_IDS)
def test_a_bad_id_is_one_line_and_exit_2(invoke, command, ids, needle):
    assert needle in invoke(command, *ids).error


@pytest.mark.parametrize("command", ["wait", "status", "stop", "cancel-schedule"])
def test_every_api_command_needs_a_token(invoke, command):
    error = invoke(command, "1001", env={"VIBETESTING_API_TOKEN": ""}).error
    assert "no API token" in error


@pytest.mark.parametrize("command", ["wait", "status", "stop", "cancel-schedule"])
def test_every_api_command_converts_the_global_options(invoke, command):
    assert "http(s) URL" in invoke(command, "1001", "--api-url", "ftp://x/").error
    error = invoke(command, "1001", env={"VIBETESTING_REQUEST_TIMEOUT": "-2"}).error
    assert error.startswith("error: VIBETESTING_REQUEST_TIMEOUT: ")


# -- every option of run is covered above ---------------------------------------------------------

OUTPUT_PATHS = {"--junit-file", "--report-file", "--results-file", "--dotenv-file"}  # precedence
OTHERS = {"--tests-file", "--login-identifier", "--login-password", "--focus-area", "-q", "-v"}
OTHERS |= {"--github-token"}  # a secret like the password: tests/e2e/reports/test_comment_cli.py


def test_every_run_option_is_covered_here():
    flags = {opt for p in cli.commands["run"].params for opt in p.opts if opt.startswith("-")}
    flags -= {"--quiet", "--verbose"}
    covered = (
        {f for f, *_ in GOOD_BODY}
        | {f for f, _ in ACCEPTED}
        | {f for f, *_ in BAD}
        | set(BOOLEAN_FLAGS)
        | OUTPUT_PATHS
        | OTHERS
    )
    assert flags - covered == set(), "add the new option's conversions to this module"
