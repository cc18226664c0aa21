"""One scrubber for every sink: secrets the service (or anything else) echoes never get out.

The CLI registers the API token, the login password and a password in ``--api-url`` before
anything is printed (:func:`register`); every place output leaves the process applies
:func:`scrub`: stdout and stderr (``guard.CommandGuard``, which wraps both streams), the files
(``reports.atomic.atomic_write_text``: JUnit, results JSON, dotenv) and GitHub's
``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY``, and the pull request comment
(``publish/comment.py``). So a refusal ``reason`` or a ``detailed_status`` that quotes the token is
cut out wherever it would land, not only where our own text is built.

Each secret is replaced in the forms a sink may hold it in: as given, URL-encoded
(``%XX`` and ``+`` for spaces), JSON-escaped and XML-escaped. Secrets shorter than
:data:`MIN_LENGTH` characters are not scrubbed (replacing every ``1`` would mangle the counts;
such a secret is no secret).

Standard library only; imported early.
"""

from __future__ import annotations

import threading

MASK = "***"
MIN_LENGTH = 4

_forms: tuple[str, ...] = ()
_known: frozenset[str] = frozenset()  # the secrets registered, as given (a repeat is skipped)
_lock = threading.Lock()


def forms_of(secret: str) -> set[str]:
    """``secret`` and the encoded forms it may take in a URL, JSON or XML."""
    import json
    from urllib.parse import quote, quote_plus

    found = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    xml = secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    found.add(xml)
    found.add(xml.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#09;"))
    found.add(xml.replace("'", "&apos;"))
    # Lower-case %xx escapes, which some servers echo.
    found |= {_lower_escapes(f) for f in list(found) if "%" in f}
    return {f for f in found if len(f) >= MIN_LENGTH}


def _lower_escapes(text: str) -> str:
    import re

    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def register(*secrets: str | None) -> None:
    """Scrub these values (and their encoded forms) from everything written from now on.
    Registering a value again costs a set lookup (every status answer registers its report
    link's keys: ``service/client.py``)."""
    global _forms, _known
    fresh = [s for s in secrets if s and len(s.strip()) >= MIN_LENGTH and s not in _known]
    if not fresh:
        return
    with _lock:
        forms = set(_forms)
        for secret in fresh:
            forms |= forms_of(secret)
            if secret.strip() != secret:
                forms |= forms_of(secret.strip())
        _known = _known | frozenset(fresh)
        _forms = tuple(sorted(forms, key=len, reverse=True))  # longest first


def reset() -> None:
    global _forms, _known
    with _lock:
        _forms = ()
        _known = frozenset()


def registered() -> bool:
    return bool(_forms)


def scrub(text: str) -> str:
    """``text`` with every registered secret, in any of its forms, replaced by ``***``."""
    forms = _forms
    if not forms or not text:
        return text
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return text
