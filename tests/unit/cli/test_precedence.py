"""Option > variable > default, through the CLI in-process (``--dry-run`` shows the outcome)."""

from __future__ import annotations

import pytest

from tests.unit.conftest import DEFAULT_API_URL, DEFAULT_FILES

SUITE = ("run", "--suite-id", "7", "--dry-run")
TESTS = ("run", "--tests", "[{name: a, steps: b}]", "--dry-run")


def test_suite_id_option_beats_variable_beats_nothing(invoke):
    env = {"VIBETESTING_SUITE_ID": "1"}
    assert invoke("run", "--suite-id", "2", "--dry-run", env=env).body == {"suite_id": 2}
    assert invoke("run", "--dry-run", env=env).body == {"suite_id": 1}
    assert "nothing to run" in invoke("run", "--dry-run").error


def test_api_url_option_beats_variable_beats_default(invoke):
    env = {"VIBETESTING_API_URL": "http://127.0.0.1:1/from-env"}
    line, _ = invoke(*SUITE, "--api-url", "http://127.0.0.1:1/from-option/", env=env).request()
    assert line == "POST http://127.0.0.1:1/from-option/run-suite/"
    line, _ = invoke(*SUITE, env=env).request()
    assert line == "POST http://127.0.0.1:1/from-env/run-suite/"  # a slash is added
    line, _ = invoke(*SUITE, env={"VIBETESTING_API_URL": None}).request()
    assert line == f"POST {DEFAULT_API_URL}run-suite/"


def test_api_token_option_or_variable(invoke):
    assert invoke(*SUITE, "--api-token", "t", env={"VIBETESTING_API_TOKEN": None}).exit_code == 0
    assert invoke(*SUITE, env={"VIBETESTING_API_TOKEN": "t"}).exit_code == 0
    error = invoke(*SUITE, env={"VIBETESTING_API_TOKEN": None}).error
    assert "no API token" in error and "VIBETESTING_API_TOKEN" in error


def test_timeout_option_beats_variable_beats_default(invoke):
    env = {"VIBETESTING_TIMEOUT": "120"}
    assert "wait up to 30s" in invoke(*SUITE, "--timeout", "30", env=env).then
    assert "wait up to 2m00s" in invoke(*SUITE, env=env).then
    assert "wait up to 1h00m" in invoke(*SUITE).then


def _written(then: str) -> list[str]:
    return then.split(" and write ", 1)[1].split(", ") if " and write " in then else []


def test_output_paths_option_beats_variable_beats_default(invoke):
    assert _written(invoke(*SUITE).then) == list(DEFAULT_FILES)
    env = {
        "VIBETESTING_JUNIT_FILE": "env.xml",
        "VIBETESTING_REPORT_FILE": "env.pdf",
        "VIBETESTING_RESULTS_FILE": "env.json",
        "VIBETESTING_DOTENV_FILE": "env.env",
    }
    assert _written(invoke(*SUITE, env=env).then) == ["env.xml", "env.pdf", "env.json", "env.env"]
    options = ("--junit-file", "o.xml", "--report-file", "o.pdf", "--results-file", "o.json")
    assert _written(invoke(*SUITE, *options, "--dotenv-file", "o.env", env=env).then) == [
        "o.xml",
        "o.pdf",
        "o.json",
        "o.env",
    ]


def test_an_empty_path_writes_no_such_file(invoke):
    env = {"VIBETESTING_JUNIT_FILE": "", "VIBETESTING_RESULTS_FILE": ""}
    assert _written(invoke(*SUITE, env=env).then) == ["vibetesting-report.pdf"]
    assert _written(invoke(*SUITE, "--report-file", "", env=env).then) == []
    # An option set to empty beats a variable with a path.
    assert _written(
        invoke(*SUITE, "--junit-file", "", env={"VIBETESTING_JUNIT_FILE": "j.xml"}).then
    ) == ["vibetesting-report.pdf", "vibetesting-results.json"]


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_variable_counts_as_unset(invoke, blank):
    # A blank VIBETESTING_SUITE_ID does not clash with --tests; a blank timeout is the default.
    env = {"VIBETESTING_SUITE_ID": blank, "VIBETESTING_TIMEOUT": blank}
    result = invoke(*TESTS, env=env)
    assert "suite_id" not in result.body
    assert "wait up to 1h00m" in result.then


TRUE = ["true", "TRUE", "True", "1", "yes", "YES", " yes "]
FALSE = ["false", "FALSE", "0", "no", "No", " no "]


@pytest.mark.parametrize(("word", "value"), [(w, True) for w in TRUE] + [(w, False) for w in FALSE])
def test_boolean_words_in_variables(invoke, word, value):
    env = {
        "VIBETESTING_SEND_REPORT": word,
        "VIBETESTING_STOP_EXISTING": word,
        "VIBETESTING_ALLOW_PARALLEL": word,
    }
    body = invoke(*TESTS, env=env).body
    assert body["should_send_report"] is value
    assert body["should_stop_existing"] is value
    assert body["allow_parallel"] is value


@pytest.mark.parametrize("word", ["maybe", "on", "off", "y", "n", "2", "truee", "ja"])
def test_other_words_are_an_input_error_naming_the_variable(invoke, word):
    error = invoke(*TESTS, env={"VIBETESTING_SEND_REPORT": word}).error
    assert error.startswith("error: VIBETESTING_SEND_REPORT")
    assert repr(word) in error and "true/false" in error


def test_a_boolean_flag_beats_the_variable(invoke):
    yes = {"VIBETESTING_SEND_REPORT": "yes"}
    no = {"VIBETESTING_SEND_REPORT": "no"}
    assert invoke(*TESTS, "--no-send-report", env=yes).body["should_send_report"] is False
    assert invoke(*TESTS, "--send-report", env=no).body["should_send_report"] is True
    # Unset everywhere: not sent, so the service's own default applies.
    assert "should_send_report" not in invoke(*TESTS).body


def test_dry_run_and_wait_from_variables(invoke):
    result = invoke("run", "--suite-id", "1", env={"VIBETESTING_DRY_RUN": "yes"})
    assert result.body == {"suite_id": 1}
    assert "not wait (--no-wait)" in invoke(*SUITE, env={"VIBETESTING_WAIT": "no"}).then
    assert "wait up to" in invoke(*SUITE, "--wait", env={"VIBETESTING_WAIT": "no"}).then


def test_focus_areas_repeat_the_option_or_take_lines_from_the_variable(invoke):
    exploration = ("run", "--execution-type", "exploration", "--dry-run")
    env = {"VIBETESTING_FOCUS_AREAS": "search\n\n  cart  \n"}
    assert invoke(*exploration, env=env).body["focus_areas"] == ["search", "cart"]
    body = invoke(*exploration, "--focus-area", "a", "--focus-area", "b", env=env).body
    assert body["focus_areas"] == ["a", "b"]


def test_quiet_drops_the_dry_run_line_but_not_the_request(invoke):
    result = invoke(*SUITE, "-q")
    assert result.request()[1] == {"suite_id": 7}
    assert result.stderr == ""
