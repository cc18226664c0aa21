"""Report download safety, end to end: no credentials to the report host (also after the
redirect), PDF only, failures are warnings unless --require-report, every query value of a
report link hidden wherever a link is shown or written, and the keys of signed links (the
emulator's ``sig``) in no output at all: only the download carries them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from faultkit.common import count_secrets, visible_stdout
from faultkit.run import report_keys
from tests.support.builders import FORGE_TOKEN, github_env
from tests.support.cli import PASSWORD, TOKEN, all_files_text, assert_no_secret
from tests.support.forge_standin import Forge, ForgeServer
from vibetesting_ci.emulator import EmulatorServer


def test_redirect_followed_without_credentials(matrix):
    outcome = matrix["baseline"]
    reports = [r for r in outcome.journal if r.endpoint == "report"]
    assert [(r.path.split("/")[1], r.status) for r in reports] == [("reports", 302), ("files", 200)]
    assert not any(r.has_credentials for r in reports)
    assert not any("cookie" in r.headers for r in reports)
    api = [r for r in outcome.journal if r.endpoint == "execution-status"]
    assert all(r.headers["authorization"] == f"api-key {TOKEN}" for r in api)
    pdf = outcome.files["vibetesting-report.pdf"]
    assert pdf.startswith("%PDF-") and "%%EOF" in pdf[-64:]


@pytest.mark.parametrize(
    ("scenario", "said"),
    [
        ("report-html500", "HTTP 500"),
        ("report-not-pdf", "not a PDF"),
        ("report-drop", "report not downloaded"),
    ],
)
def test_a_report_that_cannot_be_had_is_a_warning(matrix, scenario, said):
    outcome = matrix[scenario]
    assert outcome.returncode == 0, outcome.output
    assert said in outcome.stderr
    assert "vibetesting-report.pdf" not in outcome.files
    assert not [n for n in outcome.files if n.endswith(".tmp")]  # nothing half-written left
    results = outcome.results()
    assert results["result"] == "passed"
    (execution,) = results["executions"]
    assert execution["report_file"] is None and execution["report_error"]
    assert "vibetesting-junit.xml" in outcome.files


def test_require_report_makes_it_exit_3(matrix):
    outcome = matrix["report-required"]
    assert outcome.returncode == 3
    results = outcome.results()
    assert results["result"] == "error" and results["exit_code"] == 3
    assert results["message"].startswith("report required but not downloaded")
    assert "vibetesting-junit.xml" in outcome.files


def test_api_key_in_report_links_is_redacted_everywhere(matrix):
    outcome = matrix["report-link-with-key"]
    assert outcome.returncode == 0, outcome.output
    assert outcome.secrets_found == 0
    (execution,) = outcome.results()["executions"]
    assert execution["report_url"].endswith("&api-key=***")
    assert "api-key=***" in outcome.files["vibetesting-junit.xml"]
    # The link itself still worked (it is the service's own link), and our Authorization
    # header never went with it.
    assert outcome.files["vibetesting-report.pdf"].startswith("%PDF-")
    reports = [r for r in outcome.journal if r.endpoint == "report"]
    assert reports and not any("authorization" in r.headers for r in reports)


def test_status_json_redacts_the_report_link(cli, emulator):
    """`status --json` prints the service's answer, except an api-key in the report link."""
    run = cli("run", "--suite-id", "1", "--report-file", "")
    assert run.returncode == 0, run.output
    emulator.report_link_query = f"api-key={TOKEN}"
    shown = cli("status", "1001", "--json")
    assert shown.returncode == 0, shown.output
    assert TOKEN not in shown.output
    assert "api-key=***" in shown.stdout
    plain = cli("status", "1001")
    assert TOKEN not in plain.output and "api-key=***" in plain.stdout


def test_signed_report_links_keep_their_key_out_of_every_output(
    cli: Any, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """The emulator signs each report link (``?sig=<random>``; a wrong one is 403): the key to
    the report. A passing run, then a failing one whose every status answer also quotes the
    signed link (``echo-status``), both as a GitHub Actions job on a pull request with every
    output there is (summary, outputs, dotenv, results, JUnit, the comment, --verbose), then
    ``status`` and ``status --json``: no ``sig`` value appears in any of them. The reports were
    downloaded all the same, with the whole link."""
    seen: list[str] = []  # stdout and stderr of every command, files after each run
    with ForgeServer(Forge(token=FORGE_TOKEN)) as (forge, url):
        env = {
            **github_env(tmp_path, url),
            "GITHUB_OUTPUT": str(tmp_path / "github-output.txt"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "github-summary.md"),
            "VIBETESTING_COMMENT": "true",
            "VIBETESTING_LOGIN_IDENTIFIER": "qa@example.com",
            "VIBETESTING_LOGIN_PASSWORD": PASSWORD,
        }
        passing = cli(
            "run",
            "--tests",
            json.dumps([{"name": "signup", "steps": "open"}]),
            "--dotenv-file",
            "vibetesting.env",
            "--verbose",
            env=env,
        )
        assert passing.returncode == 0, passing.output
        seen += [visible_stdout(passing.stdout), passing.stderr, all_files_text(tmp_path)]
        emulator.add_fault("execution-status:echo-status:times=0")
        failing = cli(
            "run",
            "--tests",
            json.dumps([{"name": "signup", "steps": "open"}, {"name": "pay [fail]", "steps": "x"}]),
            "--allow-parallel",
            "--dotenv-file",
            "vibetesting.env",
            "--verbose",
            env=env,
        )
        assert failing.returncode == 1, failing.output
        seen += [visible_stdout(failing.stdout), failing.stderr, all_files_text(tmp_path)]
    # (The emulator's echo quotes the last login password too: the job's variables have it.)
    job = {"VIBETESTING_LOGIN_PASSWORD": PASSWORD}
    shown = cli("status", "1003", env=job)
    as_json = cli("status", "1003", "--json", env=job)
    assert shown.returncode == as_json.returncode == 0, shown.output + as_json.output
    seen += [shown.output, as_json.output]
    comments = [w.body["body"] for w in forge.writes()]
    assert len(comments) == 2, forge.writes()

    keys = report_keys(emulator)
    assert len(keys) == 3
    # The downloads (and only they) carried the keys: each report was had, redirect included.
    downloads = [r for r in emulator.journal if r.endpoint == "report"]
    assert {r.query.get("sig") for r in downloads} == set(keys)
    assert all(r.status in (200, 302) for r in downloads)
    for name in ("vibetesting-report-1002.pdf", "vibetesting-report-1003.pdf"):
        assert (tmp_path / name).read_bytes().startswith(b"%PDF-")

    # (GitHub's ::add-mask:: lines hand the token and passwords to the runner; none hands a key.)
    assert_no_secret(*seen, *comments, secrets=(*keys, TOKEN, PASSWORD, FORGE_TOKEN))
    assert count_secrets([passing.stdout, failing.stdout], keys) == 0

    # What is shown instead: the link with its key hidden, the file in the tables.
    results = failing.results()
    for execution in results["executions"]:
        link = f"/reports/{execution['id']}.pdf?sig=***"
        assert execution["report_url"].endswith(link), execution["report_url"]
        assert f"report {emulator.root_url}{link}" in execution["detailed_status"]  # the echo
    summary = (tmp_path / "github-summary.md").read_text(encoding="utf-8")
    assert "| `vibetesting-report-1003.pdf` |" in summary and "[PDF](" not in summary
    assert "| `vibetesting-report-1003.pdf` |" in comments[1] and "[PDF](" not in comments[1]
    assert "?sig=***" in (tmp_path / "github-output.txt").read_text(encoding="utf-8")
    assert "?sig=***" in (tmp_path / "vibetesting.env").read_text(encoding="utf-8")
    assert "?sig=***" in (tmp_path / "vibetesting-junit.xml").read_text(encoding="utf-8")
    assert f"report     {emulator.root_url}/reports/1003.pdf?sig=***" in shown.stdout
    assert json.loads(as_json.stdout)["full_report_link"].endswith("/reports/1003.pdf?sig=***")
