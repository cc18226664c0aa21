"""Hide the secrets that sit in URLs before they are printed or written anywhere.

One policy for every URL we show (a report link, the API's base URL in an error or a
``--verbose`` line, a redirect's target): **every** query parameter's value and every fragment
value becomes ``***``, the names kept, and a password in the user info becomes ``***``.

Why every value, not the values of parameters with secret-sounding names: a report link is
signed, and its signature is the key to the report. Services name it in many ways (S3
``X-Amz-Signature``/``X-Amz-Credential``/``X-Amz-Security-Token``, GCS ``X-Goog-Signature``,
Azure SAS ``sig``, CloudFront ``Signature``/``Policy``/``Key-Pair-Id``, a plain ``token``,
``key`` or ``code``, the emulator's ``sig``), so no list of names can be complete. A link shown
this way no longer opens the report; vibetesting-ci downloads it instead (the download is the
one request that uses the link whole).

The values themselves are also handed to the scrubber as soon as a status answer is read
(:func:`link_keys`, ``service/client.py``), so a service that echoes its link elsewhere (a
detailed status) is scrubbed too.

One URL is not shown that way: the **target URL** (``--target-url``, ``config/target.py``), the
address of the application under test that the user wrote and that is sent to the service as it
is, inside the instructions. Its query (``?lang=en``, a preview's branch) is what people need to
read in the summary and the reports, and a secret in it comes from a secret variable, already
shown as ``***``; :func:`redact_credentials` hides only a password and the values of
parameters named like credentials there.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote, unquote_plus

REDACTED = "***"

# A query value is handed to the scrubber only when it is at least this long and not plain
# digits: the scrubber replaces a value wherever it appears, and the short or numeric values
# of a signed link are not keys (``X-Amz-SignedHeaders=host``, ``X-Amz-Expires=3600``, an
# execution id) but words and numbers every output holds. Signatures, credentials and tokens
# are longer. The link itself hides every value, whatever its length.
MIN_KEY_LENGTH = 8


def _hide_values(text: str) -> str:
    """``a=1&b=2`` as ``a=***&b=***``: each ``&``-separated item's value hidden, its name kept
    byte for byte; an item without ``=`` is all value; an empty value stays empty."""
    items = []
    for item in text.split("&"):
        name, sep, value = item.partition("=")
        if sep:
            items.append(f"{name}={REDACTED}" if value else item)
        else:
            items.append(REDACTED if item else item)
    return "&".join(items)


def _split(url: str) -> tuple[str, str | None, str | None]:
    """``url`` as (scheme, authority and path; query or None; fragment or None), split by hand
    so that the parts are kept byte for byte, whether or not ``urlsplit`` would take it."""
    rest, hash_mark, fragment = url.partition("#")
    head, question_mark, query = rest.partition("?")
    return head, (query if question_mark else None), (fragment if hash_mark else None)


def _userinfo(head: str) -> tuple[str, str | None]:
    """``head`` (scheme, authority and path) with a password in its user info as ``***``, and
    that password (None when there is none)."""
    scheme, sep, rest = head.partition("://")
    if not sep:
        return head, None
    end = len(rest)
    for stop in "/\\":
        at = rest.find(stop)
        if at >= 0:
            end = min(end, at)
    authority, path = rest[:end], rest[end:]
    if "@" not in authority:
        return head, None
    userinfo, _, hostport = authority.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not colon:
        return head, None
    return f"{scheme}://{user}:{REDACTED}@{hostport}{path}", password


# Query parameters whose values :func:`redact_credentials` hides (compared case-insensitively,
# after decoding). Only for URLs the user wrote; a URL from the service hides every value.
CREDENTIAL_PARAMS = frozenset(
    {"api-key", "api_key", "apikey", "token", "access_token", "auth_token", "password"}
)


def _hide_credentials(text: str) -> str:
    items = []
    for item in text.split("&"):
        name, sep, _value = item.partition("=")
        if sep and unquote(name).strip().lower() in CREDENTIAL_PARAMS:
            item = f"{name}={REDACTED}"
        items.append(item)
    return "&".join(items)


def _redact(url: str, hide: Callable[[str], str]) -> str:
    """``url`` with a password in its user info as ``***`` and its query and fragment through
    ``hide``; everything else kept byte for byte."""
    if not url:
        return url
    head, query, fragment = _split(url)
    shown, _password = _userinfo(head)
    if query is not None:
        shown += "?" + hide(query)
    if fragment is not None:
        shown += "#" + hide(fragment)
    return shown


def redact_credentials(url: str) -> str:
    """A URL the user wrote, as people may read it (the target URL): a password in the user
    info and the values of :data:`CREDENTIAL_PARAMS` (in the query, and in a fragment of
    ``name=value`` items) as ``***``; everything else kept byte for byte."""
    return _redact(url, _hide_credentials)


def redact_url(url: str) -> str:
    """``url`` with every query value, every fragment value and any password replaced by
    ``***`` (see the module docstring). Names, the host and the path are kept byte for byte
    (nothing is re-encoded); text without ``?``, ``#`` or a password comes back unchanged,
    whether or not it parses as a URL."""
    return _redact(url, _hide_values)


def link_keys(url: str) -> tuple[str, ...]:
    """The values :func:`redact_url` hides in ``url`` that may be keys, for the scrubber: each
    query and fragment value (as given and percent-decoded) of at least
    :data:`MIN_KEY_LENGTH` characters that is not plain digits, and a password in the user
    info (as given and decoded, whatever its length: the scrubber has its own minimum)."""
    if not url:
        return ()
    head, query, fragment = _split(url)
    keys: list[str] = []
    _shown, password = _userinfo(head)
    if password:
        keys += [password, unquote(password)]
    for text in (query, fragment):
        for item in (text or "").split("&"):
            name, sep, value = item.partition("=")
            value = value if sep else name
            for form in (value, unquote(value), unquote_plus(value)):
                if len(form.strip()) >= MIN_KEY_LENGTH and not form.strip().isdigit():
                    keys.append(form)
    return tuple(dict.fromkeys(keys))
