"""Which CA bundle the transport uses: the option, then the variables, in order."""

from __future__ import annotations

from vibetesting_ci.service.transport import ca_bundle


def test_ca_bundle_precedence():
    assert ca_bundle({}) is True
    assert ca_bundle({"SSL_CERT_FILE": "/ca.pem"}) == "/ca.pem"
    assert ca_bundle({"SSL_CERT_DIR": "/certs"}) == "/certs"
    assert ca_bundle({"SSL_CERT_FILE": "/ca.pem", "SSL_CERT_DIR": "/certs"}) == "/ca.pem"
    # requests reads these itself, per request, and they win over the session's value.
    assert ca_bundle({"REQUESTS_CA_BUNDLE": "/r.pem", "SSL_CERT_FILE": "/ca.pem"}) is True
    assert ca_bundle({"CURL_CA_BUNDLE": "/c.pem", "SSL_CERT_FILE": "/ca.pem"}) is True
    # Never False: there is no way to turn verification off.
    assert ca_bundle({"SSL_CERT_FILE": ""}) is True
