"""Secrets outside the CLI's output: reprs of settings, the API client and its session, and
the requests it prepares, never show the token or the login password. (The outputs and files
of every fault scenario are checked in ``test_reliability_matrix.py``.)"""

from __future__ import annotations

from tests.support.cli import PASSWORD, TOKEN, assert_no_secret
from vibetesting_ci.config import settings, sources
from vibetesting_ci.service.client import ApiClient

ENV = {
    "VIBETESTING_API_TOKEN": TOKEN,
    "VIBETESTING_API_URL": "http://127.0.0.1:9/api/external/",
    "VIBETESTING_TESTS": "[{name: a, steps: b}]",
    "VIBETESTING_LOGIN_IDENTIFIER": "qa@example.com",
    "VIBETESTING_LOGIN_PASSWORD": PASSWORD,
}


def test_settings_reprs_hide_secrets():
    raw = sources.Raw({}, ENV)
    api = settings.api_settings(raw)
    run = settings.run_settings(raw)
    assert api.api_token == TOKEN and run.body["login"]["password"] == PASSWORD
    assert_no_secret(repr(api), str(api), repr(run), str(run), repr(run.redacted_body()))


def test_client_and_session_reprs_hide_the_token():
    client = ApiClient("http://127.0.0.1:9/api/external/", TOKEN)
    session = client.session
    assert_no_secret(
        repr(client),
        repr(session.headers),
        repr(session.auth),
        repr(vars(client)),  # what a debugger or a careless log line would show
        repr(vars(session.auth)),
    )
    # The token is still sent: on each prepared request, not in the session's headers.
    prepared = session.prepare_request(
        __import__("requests").Request("POST", client.base_url + "execution-status/", json={})
    )
    assert prepared.headers["Authorization"] == f"api-key {TOKEN}"
    assert_no_secret(repr(prepared))
