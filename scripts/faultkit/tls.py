"""A throw-away certificate authority (trustme) for HTTPS on loopback."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

# Variables through which requests (or OpenSSL) would pick up another CA: removed from the
# CLI's environment before a TLS scenario sets the one it means.
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


@dataclass
class TestCA:
    __test__ = False  # not a pytest test class

    ca_file: Path
    server_context: ssl.SSLContext


def make_ca(folder: Path) -> TestCA:
    """A new CA, its PEM file in ``folder`` and a server context for 127.0.0.1/localhost."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    folder.mkdir(parents=True, exist_ok=True)
    ca_file = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TestCA(ca_file, context)
