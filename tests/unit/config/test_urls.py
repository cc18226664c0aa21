"""API URLs: loopback is recognised; --allow-insecure-http lets a plain http URL through."""

from __future__ import annotations

import pytest


def test_loopback_is_recognised():
    from vibetesting_ci.config.kinds import is_loopback

    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "api.localhost"):
        assert is_loopback(host), host
    for host in ("10.0.0.1", "example.com", "localhost.example.com", "::2", ""):
        assert not is_loopback(host), host


def test_allow_insecure_http_lets_the_url_through(monkeypatch):
    from vibetesting_ci.config.settings import api_settings
    from vibetesting_ci.config.sources import Raw
    from vibetesting_ci.errors import InputError

    env = {"VIBETESTING_API_TOKEN": "tok-abcdef", "VIBETESTING_API_URL": "http://ci.example/api/"}
    with pytest.raises(InputError, match="--allow-insecure-http"):
        api_settings(Raw({}, env))
    allowed = api_settings(Raw({}, {**env, "VIBETESTING_ALLOW_INSECURE_HTTP": "true"}))
    assert allowed.api_url == "http://ci.example/api/"
