"""The target URL: where the agent should test (a pull request's preview, a review app).

Rules (issue 23, "Target URL"):

* The API has no URL field, so the URL reaches the agent as one fixed sentence,
  :data:`TARGET_SENTENCE` (``"Test the application at {url}."``), put before the run's
  ``general_instructions``, which are kept, separated by a blank line
  (:func:`with_target`). Changing the sentence changes what every run sends: it is documented
  and tested word for word.
* :func:`validate_target_url`: ``http`` or ``https`` (any case), a host, a valid port if any, no
  whitespace or control characters, at most :data:`MAX_URL_CHARS` characters. A path, a query
  and a fragment are allowed (preview links often carry one); so are a user and password, which
  then should come from a secret variable (``https://ci:${PREVIEW_PASSWORD}@...``), since the
  URL is shown in the dry run, the summary and the reports. Surrounding whitespace is stripped.
* Validation applies to the URL after ``${NAME}`` expansion; pass ``shown`` (the
  ``expand_shown`` form) so an error never quotes a secret. A password in the URL is shown as
  ``***`` in errors either way.

Pure: no network, no printing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from vibetesting_ci.errors import InputError
from vibetesting_ci.safety.redact import redact_credentials
from vibetesting_ci.safety.text import one_line

TARGET_SENTENCE = "Test the application at {url}."
MAX_URL_CHARS = 2048


def target_sentence(url: str) -> str:
    """The one sentence that tells the agent where to test."""
    return TARGET_SENTENCE.format(url=url)


def with_target(url: str | None, general_instructions: str | None) -> str | None:
    """The ``general_instructions`` to send: the target sentence, a blank line and the run's own
    instructions (either alone when the other is missing; None when both are)."""
    if url is None:
        return general_instructions
    sentence = target_sentence(url)
    if general_instructions is None or not general_instructions.strip():
        return sentence
    return f"{sentence}\n\n{general_instructions}"


def validate_target_url(text: str, where: str, *, shown: str | None = None) -> str:
    """``text`` stripped, if it is an http(s) URL with a host; else an input error naming
    ``where`` and quoting ``shown`` (default ``text``), its password masked."""
    url = text.strip()
    quoted = repr(one_line(redact_credentials((shown if shown is not None else text).strip()), 100))

    def fail(problem: str) -> InputError:
        return InputError(f"{where}: {problem}: {quoted}")

    if not url:
        raise InputError(f"{where}: is empty (expected an http(s) URL)")
    if len(url) > MAX_URL_CHARS:
        raise InputError(f"{where}: longer than {MAX_URL_CHARS} characters")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise fail("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
        host = parts.hostname
    except ValueError:
        raise fail("not a valid URL (check the host and port)") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise fail("expected an http:// or https:// URL")
    if not host:
        raise fail("the URL names no host")
    return url
