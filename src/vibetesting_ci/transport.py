"""Transport settings shared by the API session and the report session: TLS trust and proxies.

TLS verification is always on; nothing in vibetesting-ci can turn it off. Which certificate
authorities are trusted (see docs/network.md):

1. ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` (requests reads these itself, per request);
2. otherwise ``SSL_CERT_FILE`` (a PEM bundle) or ``SSL_CERT_DIR`` (a hashed folder), the
   OpenSSL variables that many corporate images set; requests ignores them on its own, so
   :func:`ca_bundle` hands them to the session as ``verify``;
3. otherwise certifi's bundle (requests' default).

Proxies come from ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY`` through
requests' ``trust_env``, which both sessions keep on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

CA_HINT = (
    "if your network inspects TLS with its own certificate authority, point REQUESTS_CA_BUNDLE "
    "or SSL_CERT_FILE at that CA's PEM file (see docs/network.md)"
)


def ca_bundle(environ: Mapping[str, str] | None = None) -> str | bool:
    """The ``verify`` value for a requests session: a CA path from the environment, or True.

    ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` are left to requests (they win over the
    session's value), so this only looks at ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``. Never False.
    """
    env = os.environ if environ is None else environ
    if env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE"):
        return True
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        value = (env.get(name) or "").strip()
        if value:
            return value
    return True


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (causes, contexts, urllib3 reasons, exception args)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack and len(seen) < 32:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        for nxt in (
            item.__cause__,
            item.__context__,
            getattr(item, "reason", None),
            *(a for a in item.args if isinstance(a, BaseException)),
        ):
            if isinstance(nxt, BaseException):
                stack.append(nxt)


def is_certificate_error(exc: BaseException) -> bool:
    """True if a certificate could not be verified anywhere in ``exc``'s chain.

    Such an error happens during the TLS handshake, before any byte of a request is sent, and
    repeating it cannot help.
    """
    import ssl  # here, not at the top: input errors and --help never need it

    return any(
        isinstance(i, ssl.SSLCertVerificationError | ssl.CertificateError)
        for i in exception_chain(exc)
    )


def certificate_problem(exc: BaseException) -> str:
    """One short line on why a certificate was refused (no URL, no secrets)."""
    import ssl

    for item in exception_chain(exc):
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {item.verify_message or item.reason or 'unknown'}"
        if isinstance(item, ssl.CertificateError):
            return str(item).splitlines()[0][:200] if str(item) else "certificate mismatch"
    return "certificate verify failed"
