"""The HTTP of an execution's PDF report, from its ``full_report_link``.

The link points at some other host (a storage bucket, typically a signed URL), so the download
uses its **own** ``requests.Session`` and sends no credentials at all: no ``Authorization``
header, no cookies from the API session, and no ``~/.netrc`` login (requests would otherwise add
one for a matching host). ``trust_env`` stays on, so proxy variables and CA bundles
(``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``) apply as usual. Redirects (up to
:data:`MAX_REDIRECTS`, http and https only) are followed by hand, so the same rules hold on
every hop. One session may serve many downloads (:func:`report_session`, then ``session=``), so
reports on the same storage host reuse a kept-alive connection instead of a new TLS handshake
each; its credentials and cookies are cleared before every download.

:func:`report_body` gives the body in 256 KiB chunks, each checked before it is given out: the
body must start with ``%PDF-`` (an HTML error page or a JSON answer is refused), must not exceed
``max_bytes``, and must arrive before ``deadline``. Writing them (atomically, so the old file is
replaced only by a whole report) and fetching many at a time are ``run/reports.py``'s job. Any
failure raises :class:`ReportError` whose message shows the link with every query value hidden
(``safety.redact.redact_url``: the signature is the key to the report) and never the text of the
underlying exception (which can contain the full URL), nor a redirect's target.

``requests`` is imported inside the functions, not at module import.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from vibetesting_ci.errors import ReportError
from vibetesting_ci.safety.redact import redact_url
from vibetesting_ci.service.transport import (
    CA_HINT,
    Watchdog,
    bounded_adapter,
    ca_bundle,
    certificate_problem,
    is_certificate_error,
)

if TYPE_CHECKING:
    import requests

__all__ = [
    "CHUNK_SIZE",
    "MAX_REDIRECTS",
    "REPORT_TAG",
    "MiB",
    "report_body",
    "report_session",
]

MiB = 1024 * 1024
CHUNK_SIZE = 256 * 1024  # measured: less CPU per MiB than 64 KiB or 1 MiB (docs/performance.md)
MAX_REDIRECTS = 10
PDF_MAGIC = b"%PDF-"
REPORT_TAG = "report"  # the Watchdog tag of report downloads (transport.abort_all cuts them)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _Abort(Exception):
    """A failed check or request, turned into ReportError by :func:`report_body` (raised out of
    the caller's ``with`` body, it also drops the caller's temporary file)."""


def _remaining(deadline: float | None, timeout: float) -> float:
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Abort("no time left before the deadline")
    return min(timeout, left)


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _Abort("the link is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise _Abort("the link is not an http(s) URL")


class _NoAuth:
    """Truthy auth that adds nothing, so requests does not fall back to ~/.netrc."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers.pop("Authorization", None)
        return r


def _strip(session: requests.Session) -> requests.Session:
    """No auth, ``Authorization`` header or cookies on ``session``, whoever made it."""
    session.auth = _NoAuth()
    for name in ("Authorization", "Cookie"):
        session.headers.pop(name, None)
    session.cookies.clear()
    return session


def report_session() -> requests.Session:
    """A session for :func:`report_body` that sends no credentials. The caller closes it."""
    import requests

    session = requests.Session()
    # Connections that obey a wall-clock Watchdog (the run's deadline, or a cancel).
    for prefix in ("http://", "https://"):
        session.mount(prefix, bounded_adapter())
    session.verify = ca_bundle()  # SSL_CERT_FILE / SSL_CERT_DIR, which requests ignores itself
    return _strip(session)


@contextmanager
def report_body(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    session: requests.Session | None = None,
    deadline: float | None = None,
    user_agent: str,
) -> Iterator[Iterator[bytes]]:
    """Open the PDF at ``url`` and give its checked chunks (the caller writes them; nothing
    here opens a file). The answer is had before the ``with`` body runs, so a file the caller
    opens there is opened only for a report that is coming.

    ``timeout`` bounds each connect and each read (seconds); ``deadline`` is an optional
    ``time.monotonic()`` value by which the whole download (every hop, the body and whatever
    the caller does with it) must be over: past it, or on a cancel (``transport.abort_all``),
    the connection is cut, however slowly the server drips. ``max_bytes`` caps the (decoded)
    body. ``session`` (best from :func:`report_session`) is used instead of a new one and left
    open for the next download; any auth, ``Authorization`` header or cookies on it are removed
    first. Raises :class:`ReportError` (the link redacted), also out of the ``with`` body when
    a chunk fails its checks; an ``OSError`` of the caller's goes through as it is.
    """
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    shown = redact_url(url)
    if not url:
        raise ReportError("no report link to download")
    bound = None if deadline is None else max(0.0, deadline - time.monotonic())
    dog = Watchdog(bound, REPORT_TAG)
    try:
        with dog:
            try:
                if session is not None:
                    # Nothing one report's host set (or a careless caller left) goes to the next.
                    with _answer(
                        _strip(session), url, timeout, max_bytes, deadline, user_agent
                    ) as response:
                        yield _chunks(response, max_bytes, deadline)
                    return
                with (
                    report_session() as own,
                    _answer(own, url, timeout, max_bytes, deadline, user_agent) as response,
                ):
                    yield _chunks(response, max_bytes, deadline)
            except _Abort:
                if dog.expired:
                    raise _Abort(_cut_reason(dog)) from None
                raise
    except _Abort as error:
        raise ReportError(f"report download from {shown} failed: {error}") from None


def _cut_reason(dog: Watchdog) -> str:
    if dog.aborted:
        return "cancelled (the connection was cut)"
    return "no time left before the deadline (the connection was cut)"


@contextmanager
def _answer(
    session: requests.Session,
    url: str,
    timeout: float,
    max_bytes: int,
    deadline: float | None,
    user_agent: str,
) -> Iterator[requests.Response]:
    """The report's answer (redirects followed by hand, the status and the declared size
    checked), open while the caller reads it."""
    import requests

    headers = {"User-Agent": user_agent, "Accept": "application/pdf"}
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        _check_url(current)
        try:
            response = session.get(
                current,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=_remaining(deadline, timeout),
            )
        except requests.exceptions.Timeout:
            raise _Abort("timed out") from None
        except requests.exceptions.SSLError as error:
            if is_certificate_error(error):
                raise _Abort(
                    f"could not verify the TLS certificate ({certificate_problem(error)}); "
                    + CA_HINT
                ) from None
            raise _Abort("TLS error (handshake)") from None
        except requests.exceptions.ConnectionError:
            raise _Abort("could not connect") from None
        except requests.exceptions.RequestException as error:
            raise _Abort(f"request failed ({type(error).__name__})") from None
        with response:
            location = response.headers.get("Location")
            if response.status_code in _REDIRECTS and location:
                current = urljoin(current, location)
                continue
            if response.status_code != 200:
                reason = (response.reason or "").strip()
                raise _Abort(f"HTTP {response.status_code} {reason}".rstrip())
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _Abort(
                    f"the report is {int(declared)} bytes, over the limit of {max_bytes} bytes"
                )
            yield response
            return
    raise _Abort(f"more than {MAX_REDIRECTS} redirects")


def _chunks(response: requests.Response, max_bytes: int, deadline: float | None) -> Iterator[bytes]:
    """The body in :data:`CHUNK_SIZE` chunks, each checked before it is given out: the body
    starts with ``%PDF-``, stays within ``max_bytes`` and arrives before ``deadline``."""
    import requests

    written = 0
    head = b""
    try:
        for chunk in response.iter_content(CHUNK_SIZE):
            if not chunk:
                continue
            if len(head) < len(PDF_MAGIC):
                head += chunk[: len(PDF_MAGIC) - len(head)]
                if not PDF_MAGIC.startswith(head[: len(PDF_MAGIC)]):
                    raise _Abort("the answer is not a PDF (it does not start with %PDF-)")
            written += len(chunk)
            if written > max_bytes:
                raise _Abort(f"the report is larger than the limit of {max_bytes} bytes")
            if deadline is not None and time.monotonic() > deadline:
                raise _Abort("no time left before the deadline")
            yield chunk
        if head != PDF_MAGIC:
            raise _Abort("the answer is not a PDF (it does not start with %PDF-)")
    except requests.exceptions.Timeout:
        raise _Abort("timed out while reading") from None
    except requests.exceptions.RequestException:
        raise _Abort("the connection broke while reading") from None
