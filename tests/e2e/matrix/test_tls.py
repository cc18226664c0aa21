"""Transport, end to end: TLS verification always on, corporate CAs through REQUESTS_CA_BUNDLE
or SSL_CERT_FILE (for the API and the report download alike), and HTTP(S)_PROXY / NO_PROXY.

The emulator serves HTTPS with a certificate from a throw-away ``trustme`` CA; the machine's
own CA variables are removed from the CLI's environment first (``scripts/faultkit/run.py``).
"""

from __future__ import annotations

import pytest


def test_unknown_ca_is_refused_with_a_clear_message(matrix):
    outcome = matrix["tls-no-ca"]
    assert outcome.returncode == 3 and outcome.runs_created == 0
    assert outcome.journal == []  # the handshake failed: no request reached the service
    message = outcome.results()["message"]
    assert message.startswith("run-tests: could not verify the TLS certificate of https://")
    assert "nothing was started" in message
    assert "REQUESTS_CA_BUNDLE" in message and "SSL_CERT_FILE" in message
    assert outcome.stderr.count("Traceback") == 0


def test_certificate_errors_are_not_retried_by_status_calls(matrix):
    outcome = matrix["tls-no-ca-wait"]
    assert outcome.returncode == 3
    message = outcome.results()["message"]
    assert "could not verify the TLS certificate" in message
    assert "attempt" not in message  # failed at once, not after 10 tries
    assert "retrying" not in outcome.stderr


def test_a_missing_ca_file_is_named(matrix):
    outcome = matrix["tls-missing-ca-file"]
    assert outcome.returncode == 3
    message = outcome.results()["message"]
    assert "missing.pem" in message and "nothing was started" in message


@pytest.mark.parametrize("scenario", ["tls-requests-ca-bundle", "tls-ssl-cert-file"])
def test_test_ca_trusted_through_the_environment(matrix, scenario):
    outcome = matrix[scenario]
    assert outcome.returncode == 0, outcome.output
    assert outcome.results()["result"] == "passed"
    # The report came over HTTPS too, through the separate, credential-free session.
    reports = [r for r in outcome.journal if r.endpoint == "report"]
    assert [r.status for r in reports] == [302, 200]
    assert not any(r.has_credentials for r in reports)
    assert outcome.files["vibetesting-report.pdf"].startswith("%PDF-")
    assert outcome.results()["executions"][0]["report_url"].startswith("https://")


def test_http_proxy_is_used(matrix):
    outcome = matrix["proxy-through"]
    assert outcome.returncode == 0, outcome.output
    seen = outcome.proxy_seen
    assert "POST /api/external/run-tests/" in seen
    assert "POST /api/external/execution-status/" in seen
    assert any(line.startswith("GET /reports/") for line in seen)  # the report session too
    assert any(line.startswith("GET /files/") for line in seen)  # and after the redirect


def test_no_proxy_bypasses_a_dead_proxy(matrix):
    outcome = matrix["proxy-bypass"]
    assert outcome.returncode == 0, outcome.output
    assert outcome.files["vibetesting-report.pdf"].startswith("%PDF-")


def test_report_download_over_tls_needs_the_ca_too(tmp_path, monkeypatch):
    """The report session has its own trust settings from the same variables."""
    import requests

    from faultkit.tls import CA_VARIABLES, make_ca
    from tests.support.cli import TOKEN, wait_until
    from vibetesting_ci.emulator import EmulatorServer
    from vibetesting_ci.errors import ReportError
    from vibetesting_ci.run.reports import download_report

    ca = make_ca(tmp_path / "ca")
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with EmulatorServer(token=TOKEN, test_seconds=0.01, ssl_context=ca.server_context) as srv:
        started = requests.post(
            srv.url + "run-suite/",
            json={"suite_id": 1},
            headers={"Authorization": f"api-key {TOKEN}"},
            verify=str(ca.ca_file),
            timeout=10,
        ).json()
        (execution_id,) = started["execution_ids"]
        wait_until(lambda: srv.executions[execution_id].state == "done", 30)
        url = srv.report_url(execution_id)
        assert url.startswith("https://")
        dest = tmp_path / "report.pdf"
        with pytest.raises(ReportError, match="could not verify the TLS certificate"):
            download_report(url, str(dest), timeout=5, max_bytes=1 << 20, user_agent="t")
        assert not dest.exists()
        monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_file))
        size = download_report(url, str(dest), timeout=5, max_bytes=1 << 20, user_agent="t")
        assert size > 0 and dest.read_bytes().startswith(b"%PDF-")
