"""Hide secrets that may sit in URLs before they are printed or written anywhere."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

REDACTED = "***"

# Query parameters whose values are secrets (compared case-insensitively, after decoding).
SECRET_PARAMS = frozenset(
    {"api-key", "api_key", "apikey", "token", "access_token", "auth_token", "password"}
)


def _redact_query(query: str) -> str:
    parts = []
    for part in query.split("&"):
        name, sep, _value = part.partition("=")
        if sep and unquote(name).strip().lower() in SECRET_PARAMS:
            part = f"{name}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


def redact_url(url: str) -> str:
    """``url`` with the values of secret query parameters and any password replaced by ``***``.

    Everything else is kept byte for byte (other parameters are not re-encoded, so a signed
    link stays recognisable). Text that does not parse as a URL is returned unchanged.
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        if colon:
            netloc = f"{user}:{REDACTED}@{hostport}"
    query = _redact_query(parts.query) if parts.query else parts.query
    fragment = _redact_query(parts.fragment) if "=" in parts.fragment else parts.fragment
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))
