"""``--dry-run``: validates everything, prints the exact request, secrets as ***, sends nothing."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import PASSWORD, TOKEN, all_files_text, api_bodies, assert_no_secret


def request_of(stdout: str) -> tuple[str, str, dict]:
    first, auth, body = stdout.split("\n", 2)
    return first, auth, json.loads(body)


FULL = [
    "--tests",
    "[{name: login, steps: [open, sign in]}, {name: search, steps: find a book}]",
    "--login-identifier",
    "qa@example.com",
    "--general-instructions",
    "Be gentle",
    "--focus-area",
    "checkout",
    "--focus-area",
    "search",
    "--send-report",
    "--no-stop-existing",
    "--allow-parallel",
]


def test_dry_run_body_is_exactly_what_a_real_run_sends(cli, emulator, tmp_path):
    env = {"VIBETESTING_LOGIN_PASSWORD": PASSWORD}
    dry = cli("run", *FULL, "--dry-run", env=env)
    assert dry.returncode == 0, dry.output
    assert emulator.journal == []
    first, auth, shown = request_of(dry.stdout)
    assert first == f"POST {emulator.url}run-tests/"
    assert auth == "Authorization: api-key ***"
    assert shown["login"]["password"] == "***"
    assert list(tmp_path.iterdir()) == []  # no files either

    real = cli("run", *FULL, env=env)
    assert real.returncode == 0, real.output
    (sent,) = api_bodies(emulator, "run-tests")
    assert sent["login"]["password"] == PASSWORD
    sent["login"]["password"] = "***"
    assert shown == sent  # same keys, same values, same order of tests
    assert_no_secret(dry.output)


def test_dry_run_of_a_scheduled_suite(cli, emulator):
    result = cli(
        "run",
        "--suite-id",
        "42",
        "--schedule-at",
        "2030-01-01T02:00:00+03:00",
        "--repeat",
        "weekly",
        "--repeat-count",
        "4",
        "--timezone",
        "Europe/Berlin",
        "--dry-run",
    )
    assert result.returncode == 0, result.output
    first, _auth, body = request_of(result.stdout)
    assert first.endswith("/run-suite/")
    assert body == {
        "suite_id": 42,
        "schedule_at": "2030-01-01T02:00:00+03:00",
        "repeat": "weekly",
        "repeat_count": 4,
        "timezone": "Europe/Berlin",
    }
    assert "would be scheduled" in result.stderr
    assert emulator.journal == []


def test_dry_run_from_variables_and_what_would_follow(cli, emulator, tmp_path):
    (tmp_path / "tests.yml").write_text("- name: a\n  steps: x\n", encoding="utf-8")
    result = cli(
        "run",
        env={
            "VIBETESTING_TESTS_FILE": "tests.yml",
            "VIBETESTING_DRY_RUN": "yes",
            "VIBETESTING_TIMEOUT": "1800",
            "VIBETESTING_JUNIT_FILE": "out/junit.xml",
        },
    )
    assert result.returncode == 0, result.output
    assert request_of(result.stdout)[2] == {
        "execution_type": "guided",
        "tests": [{"name": "a", "steps": "x"}],
    }
    assert result.stderr.strip() == (
        "dry run: nothing was sent; a real run would wait up to 30m00s and write "
        "out/junit.xml, vibetesting-report.pdf, vibetesting-results.json"
    )
    assert emulator.journal == []
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--tests", "[{name: a}]"], "'steps' is missing"),
        (["--tests", "[{name: a, steps: x}]", "--poll-interval", "0.01"], "at least 0.1"),
        (["--tests", "[{name: a, steps: x}]", "--timeout", "-5"], "--timeout"),
        (
            [
                "--tests",
                "[{name: a, steps: x}]",
                "--wait",
                "--junit-file",
                "x",
                "--repeat",
                "daily",
            ],
            "only applies to a scheduled run",
        ),
        (["--suite-id", "1", "--allow-parallel"], "cannot be combined"),
        (["--suite-id", "1", "--schedule-at", "2030-13-01T00:00"], "ISO 8601"),
    ],
)
def test_dry_run_still_validates_everything(cli, emulator, args, needle):
    result = cli("run", *args, "--dry-run")
    assert result.returncode == 2, result.output
    assert needle in result.stderr
    assert result.stdout == ""
    assert emulator.journal == []


def test_dry_run_needs_a_token_and_never_shows_one(cli, emulator, tmp_path):
    missing = cli("run", "--suite-id", "1", "--dry-run", env={"VIBETESTING_API_TOKEN": ""})
    assert missing.returncode == 2 and "no API token" in missing.stderr
    given = cli(
        "run",
        "--suite-id",
        "1",
        "--dry-run",
        "--api-token",
        TOKEN + "-cli",
        "--login-password",
        PASSWORD,
        env={"VIBETESTING_API_TOKEN": ""},
    )
    # A login password with --suite-id is an input error: still exit 2, still no secret shown.
    assert given.returncode == 2
    assert_no_secret(
        given.output,
        missing.output,
        all_files_text(tmp_path),
        secrets=(TOKEN, PASSWORD, TOKEN + "-cli"),
    )
    assert emulator.journal == []
