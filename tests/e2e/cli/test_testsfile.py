"""The tests file through the real CLI: a broken file is one line and exit 2; the file's
settings yield to options and variables."""

from __future__ import annotations

import json

from tests.support.cli import TOKEN, run_cli


def test_broken_file_through_the_cli_exits_2_with_one_line(tmp_path):
    (tmp_path / "tests.yml").write_text(
        "tests:\n  - name: login\n    steps: log in\n  - name: checkout\n", encoding="utf-8"
    )
    result = run_cli(
        ["run", "--tests-file", "tests.yml"],
        cwd=tmp_path,
        env={"VIBETESTING_API_TOKEN": TOKEN, "VIBETESTING_API_URL": "http://127.0.0.1:9/"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: tests.yml:4: tests[2] ('checkout'): 'steps' is missing "
        "(a string, or a list of strings, one per step)"
    ]


def test_file_settings_yield_to_options_and_variables(tmp_path):
    (tmp_path / "tests.yml").write_text(
        "general_instructions: from the file\nflows_count: 2\nlogin: {identifier: file@x}\n"
        "tests: [{name: a, steps: x}]\n",
        encoding="utf-8",
    )
    result = run_cli(
        ["run", "--tests-file", "tests.yml", "--dry-run", "--general-instructions", "from the CLI"],
        cwd=tmp_path,
        env={
            "VIBETESTING_API_TOKEN": TOKEN,
            "VIBETESTING_LOGIN_IDENTIFIER": "env@x",
            "VIBETESTING_LOGIN_PASSWORD": "pw",
        },
    )
    assert result.returncode == 0, result.output
    body = json.loads(result.stdout.split("\n", 2)[2])
    assert body["general_instructions"] == "from the CLI"
    assert body["login"] == {"login_needed": True, "identifier": "env@x", "password": "***"}
    assert body["flows_count"] == 2
