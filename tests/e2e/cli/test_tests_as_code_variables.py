"""Tests as code end to end (issue 23): ``${NAME}`` variables, plain and secret. The real CLI
against the real emulator; the request bodies say what the service got, and every output is read
for the secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli.tac_support import dry_body, input_error, only_body, write
from tests.support.cli import all_files_text
from tests.support.forge_standin import Forge, ForgeServer

EVERY_FIELD = """\
target_url: https://${HOST}/
general_instructions: Order ${ORDER} is waiting; the coupon is ${COUPON}.
focus_areas:
  - checkout of ${ORDER}
  - $${LITERAL} stays
login:
  identifier: ${USER}@example.com
variables:
  HOST: shop.example
  ORDER: from-the-file
  COUPON: SPRING
  USER: qa-bot
tests:
  - name: pay for $${ORDER}
    steps:
      - Open order ${ORDER}.
      - Pay with ${COUPON}; the price shows $5 and $${NOT_A_VARIABLE}.
  - name: second
    steps: Check ${ORDER} again.
"""


def test_every_field_is_filled_in_and_the_names_are_literal(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    write(tmp_path, "t.yml", EVERY_FIELD)
    result = cli(
        "run", "--tests-file", "t.yml", env={"VIBETESTING_LOGIN_PASSWORD": "pw-of-the-bot"}
    )
    assert result.returncode == 0, result.output
    body = only_body(emulator)
    assert body["tests"] == [
        {
            "name": "pay for ${ORDER}",
            "steps": [
                "Open order from-the-file.",
                "Pay with SPRING; the price shows $5 and ${NOT_A_VARIABLE}.",
            ],
        },
        {"name": "second", "steps": "Check from-the-file again."},
    ]
    assert body["general_instructions"] == (
        "Test the application at https://shop.example/.\n\n"
        "Order from-the-file is waiting; the coupon is SPRING."
    )
    assert body["focus_areas"] == ["checkout of from-the-file", "${LITERAL} stays"]
    assert body["login"] == {
        "login_needed": True,
        "identifier": "qa-bot@example.com",
        "password": "pw-of-the-bot",
    }


def test_option_over_variable_lines_over_file(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(
        tmp_path,
        "t.yml",
        "variables: {A: file, B: file, C: file}\ntests: [{name: t, steps: '${A} ${B} ${C}'}]\n",
    )
    result = cli(
        "run",
        "--tests-file",
        "t.yml",
        "--var",
        "A=option",
        "--var",
        "A=option again",  # the later one wins
        env={"VIBETESTING_VARS": "# comment\nA=lines\n\nB = lines with spaces \n"},
    )
    assert result.returncode == 0, result.output
    assert only_body(emulator)["tests"][0]["steps"] == "option again lines with spaces file"


def test_values_are_inserted_as_they_are(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "t.yml", "tests: [{name: t, steps: 'x=${X}'}]\n")
    result = cli("run", "--tests-file", "t.yml", "--var", "X=${Y} $(whoami) `id` ${")
    assert result.returncode == 0, result.output
    assert only_body(emulator)["tests"][0]["steps"] == "x=${Y} $(whoami) `id` ${"


@pytest.mark.parametrize(
    ("steps", "args", "expected"),
    [
        (
            "Open ${ORDR}.",
            ["--var", "ORDER=1"],
            "t.yml:3: tests[1] ('t').steps: unknown variable ${ORDR}; did you mean 'ORDER'?",
        ),
        (
            "Open ${order}.",
            ["--var", "ORDER=1"],
            "t.yml:3: tests[1] ('t').steps: unknown variable ${order}; did you mean 'ORDER'?",
        ),
        (
            "Open ${NOPE}.",
            [],
            "t.yml:3: tests[1] ('t').steps: unknown variable ${NOPE} (define it with --var "
            "NOPE=VALUE, a VIBETESTING_VARS line or the tests file's variables; a secret with "
            "VIBETESTING_SECRET_NOPE)",
        ),
        (
            "Open ${1X}.",
            [],
            "t.yml:3: tests[1] ('t').steps: '${1X}' is not a variable name (letters, digits and "
            "_, not starting with a digit); write $${ for a literal ${",
        ),
        (
            "Costs ${ and more",
            [],
            "t.yml:3: tests[1] ('t').steps: '${ and more' is not closed with '}'; write $${ "
            "for a literal ${",
        ),
    ],
)
def test_an_unknown_or_malformed_placeholder_names_file_line_and_name(
    cli: Any, emulator: Any, tmp_path: Path, steps: str, args: list[str], expected: str
) -> None:
    write(tmp_path, "t.yml", f"tests:\n  - name: t\n    steps: '{steps}'\n")
    assert input_error(cli("run", "--tests-file", "t.yml", *args), emulator) == expected


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ["--general-instructions", "Use ${NOPE}."],
            {},
            "--general-instructions: unknown variable ${NOPE}",
        ),
        (
            [],
            {"VIBETESTING_FOCUS_AREAS": "a\n${NOPE}"},
            "VIBETESTING_FOCUS_AREAS: unknown variable",
        ),
        (["--focus-area", "${NOPE}"], {}, "--focus-area: unknown variable ${NOPE}"),
        (
            ["--login-identifier", "${NOPE}"],
            {"VIBETESTING_LOGIN_PASSWORD": "pw"},
            "--login-identifier: unknown variable ${NOPE}",
        ),
        (["--target-url", "https://${NOPE}/"], {}, "--target-url: unknown variable ${NOPE}"),
        (["--var", "A"], {}, "--var 'A': expected NAME=VALUE"),
        (["--var", "1A=x"], {}, "--var '1A=x': '1A' is not a variable name"),
        (
            [],
            {"VIBETESTING_VARS": "A=1\njust words"},
            "VIBETESTING_VARS line 2: expected NAME=VALUE",
        ),
        (
            [],
            {"VIBETESTING_SECRET_VARS": "PIN=1234\nthis line holds s3cr3t-words"},
            "VIBETESTING_SECRET_VARS line 2: expected NAME=VALUE (the line is not shown: it may "
            "hold a secret)",
        ),
        (
            ["--var", "TOKEN=plain"],
            {"VIBETESTING_SECRET_TOKEN": "Secret-Value-1"},
            "variable TOKEN is defined as a secret (VIBETESTING_SECRET_TOKEN) and as a plain "
            "variable (--var); a name is one or the other: rename one",
        ),
        (
            [],
            {"VIBETESTING_SECRET_X": "two\nlines"},
            "VIBETESTING_SECRET_X: a secret variable must be one line",
        ),
    ],
)
def test_bad_variables_anywhere_are_one_line_exit_2_nothing_sent(
    cli: Any, emulator: Any, tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    write(tmp_path, "t.yml", "tests: [{name: t, steps: x}]\n")
    message = input_error(cli("run", "--tests-file", "t.yml", *args, env=env), emulator)
    assert message.startswith(expected), message
    assert "s3cr3t" not in message and "Secret-Value-1" not in message


def test_a_placeholder_in_a_test_name_is_an_input_error(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    write(tmp_path, "t.yml", "tests:\n  - name: order ${ORDER}\n    steps: x\n")
    message = input_error(cli("run", "--tests-file", "t.yml", "--var", "ORDER=1"), emulator)
    assert message == (
        "t.yml:2: tests[1].name: test names take no variables (they are the test's identity in "
        "CI history), found '${ORDER}'; write $${ for a literal ${"
    )
    inline = cli("run", "--tests", "[{name: 'a ${X}', steps: x}]", "--var", "X=1")
    assert input_error(inline, emulator).startswith("--tests:1: tests[1].name: test names take no")


def test_an_empty_secret_says_it_is_empty(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "t.yml", "tests: [{name: t, steps: 'sign in with ${PASSWORD}'}]\n")
    message = input_error(
        cli("run", "--tests-file", "t.yml", env={"VIBETESTING_SECRET_PASSWORD": ""}), emulator
    )
    assert message == (
        "t.yml:1: tests[1] ('t').steps: unknown variable ${PASSWORD} "
        "(VIBETESTING_SECRET_PASSWORD is set but empty: is the secret available?)"
    )


# -- secrets: in the request, nowhere else --------------------------------------------------------

SECRET = "Hunter2-Order-Pass"
LINE_SECRET = "Line-Secret-9f8e7d"
SHORT = "pw"
FORGE_TOKEN = "ghs-Forge-TacTests-0a1b2c"
SECRET_FILE = """\
target_url: https://qa:${URL_PASSWORD}@shop.example/
general_instructions: The admin password is ${PASSWORD}.
focus_areas: ['account ${PASSWORD}']
login:
  identifier: ${PASSWORD}@example.com
tests:
  - name: sign in
    steps:
      - Sign in with ${PASSWORD} and ${FROM_LINES}.
  - name: pay [fail]
    steps: Pay with the PIN ${PIN}.
"""


def github_env(tmp_path: Path, forge_url: str) -> dict[str, str]:
    event = write(tmp_path, "event.json", json.dumps({"pull_request": {"number": 7}}))
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": forge_url,
        "GITHUB_REPOSITORY": "octo/shop",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKFLOW": "e2e",
        "GITHUB_JOB": "vibetesting",
        "GITHUB_RUN_ID": "99",
        "GITHUB_OUTPUT": str(tmp_path / "out.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "VIBETESTING_COMMENT": "true",
        "VIBETESTING_GITHUB_TOKEN": FORGE_TOKEN,
        "VIBETESTING_DOTENV_FILE": "vibetesting.env",
        "VIBETESTING_LOGIN_PASSWORD": "login-Passw0rd-xyz",
        "VIBETESTING_SECRET_PASSWORD": SECRET,
        "VIBETESTING_SECRET_URL_PASSWORD": SECRET + "-url",
        "VIBETESTING_SECRET_VARS": f"FROM_LINES={LINE_SECRET}\nPIN={SHORT}",
    }


def test_secrets_go_only_into_the_request_even_when_the_service_echoes_them(
    cli: Any, emulator: Any, tmp_path: Path
) -> None:
    write(tmp_path, "t.yml", SECRET_FILE)
    echoed = json.dumps({"detailed_status": f"1 failed: pay; seen {SECRET} and {LINE_SECRET}"})
    emulator.add_fault(f"execution-status:patch:times=0,after=1,fields={echoed}")
    with ForgeServer(Forge(token=FORGE_TOKEN)) as (forge, url):
        result = cli("run", "--tests-file", "t.yml", env=github_env(tmp_path, url))
    assert result.returncode == 1, result.output
    body = only_body(emulator)
    assert body["tests"][0]["steps"] == [f"Sign in with {SECRET} and {LINE_SECRET}."]
    assert body["tests"][1]["steps"] == f"Pay with the PIN {SHORT}."
    assert body["login"]["identifier"] == f"{SECRET}@example.com"
    assert SECRET + "-url" in body["general_instructions"]
    # Masked before anything else is printed.
    first = result.stdout.splitlines()
    masks = [line for line in first if line.startswith("::add-mask::")]
    assert first[: len(masks)] == masks
    for value in (SECRET, SECRET + "-url", LINE_SECRET):
        assert f"::add-mask::{value}" in masks
    # Nowhere else: the log, every file (JUnit, results, dotenv, summary, outputs), the comment.
    log = "\n".join(line for line in result.output.splitlines() if line not in masks)
    comments = [c["body"] for thread in forge.threads.values() for c in thread]
    assert comments, result.output
    for text in (log, all_files_text(tmp_path), *comments):
        for value in (SECRET, LINE_SECRET):
            assert value not in text
    # A secret too short to be scrubbed safely gets a warning (without its value).
    lines = result.output.splitlines()
    warnings = [line for line in lines if "line 2: a secret of fewer than 4" in line]
    assert [line.split("::", 2)[1] for line in warnings] == ["warning title=VibeTesting"]


def test_the_dry_run_shows_secrets_as_stars(cli: Any, emulator: Any, tmp_path: Path) -> None:
    write(tmp_path, "t.yml", SECRET_FILE)
    env = {
        "VIBETESTING_LOGIN_PASSWORD": "login-Passw0rd-xyz",
        "VIBETESTING_SECRET_PASSWORD": SECRET,
        "VIBETESTING_SECRET_URL_PASSWORD": SECRET + "-url",
        "VIBETESTING_SECRET_VARS": f"FROM_LINES={LINE_SECRET}\nPIN={SHORT}",
    }
    result = cli("run", "--tests-file", "t.yml", "--dry-run", env=env)
    body = dry_body(result)
    assert body["tests"] == [
        {"name": "sign in", "steps": ["Sign in with *** and ***."]},
        {"name": "pay [fail]", "steps": "Pay with the PIN ***."},
    ]
    assert body["general_instructions"] == (
        "Test the application at https://qa:***@shop.example/.\n\nThe admin password is ***."
    )
    assert body["focus_areas"] == ["account ***"]
    assert body["login"] == {
        "login_needed": True,
        "identifier": "***@example.com",
        "password": "***",
    }
    for value in (SECRET, LINE_SECRET, SECRET + "-url"):
        assert value not in result.output
    assert emulator.journal == []
    assert not (tmp_path / "vibetesting-results.json").exists()
