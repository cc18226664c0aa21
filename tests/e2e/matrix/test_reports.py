"""Report download safety, end to end: no credentials to the report host (also after the
redirect), PDF only, failures are warnings unless --require-report, api-key values in links
redacted wherever a link is shown or written."""

from __future__ import annotations

import pytest

from tests.support.cli import TOKEN


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
