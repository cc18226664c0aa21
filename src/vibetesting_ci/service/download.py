"""Download an execution's PDF report from its ``full_report_link``.

The link points at some other host (a storage bucket, typically a signed URL), so the download
uses its **own** ``requests.Session`` and sends no credentials at all: no ``Authorization``
header, no cookies from the API session, and no ``~/.netrc`` login (requests would otherwise add
one for a matching host). ``trust_env`` stays on, so proxy variables and CA bundles
(``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``) apply as usual. Redirects (up to
:data:`MAX_REDIRECTS`, http and https only) are followed by hand, so the same rules hold on
every hop. One session may serve many downloads (:func:`report_session`, then ``session=``), so
reports on the same storage host reuse a kept-alive connection instead of a new TLS handshake
each; its credentials and cookies are cleared before every download. :func:`download_all`
fetches many reports a few at a time (one session per worker), on the daemon workers of
:mod:`vibetesting_ci.run.concurrency`, and abandons what is still out on cancel.

The body is streamed in 256 KiB chunks to a temporary file in the destination folder and must
start with ``%PDF-`` (an HTML error page or a JSON answer is refused), must not exceed
``max_bytes``, and must arrive before ``deadline``; only then does it replace the destination
(:mod:`vibetesting_ci.publish.atomic`). Any failure raises :class:`ReportError` whose message
shows the link with secrets redacted and never the text of the underlying exception (which can
contain the full URL); the old file, if any, is left untouched and no temporary file remains.

``requests`` is imported inside :func:`download_report`, not at module import.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from vibetesting_ci.domain.models import ExecutionResult, RunResult
from vibetesting_ci.errors import ReportError
from vibetesting_ci.publish.atomic import atomic_open
from vibetesting_ci.run.concurrency import DaemonPool, wait_for
from vibetesting_ci.safety.redact import redact_url
from vibetesting_ci.service.transport import (
    CA_HINT,
    Watchdog,
    abort_all,
    bounded_adapter,
    ca_bundle,
    certificate_problem,
    is_certificate_error,
)

if TYPE_CHECKING:
    import requests

    from vibetesting_ci.config.settings import WaitSettings

__all__ = [
    "CHUNK_SIZE",
    "MAX_REDIRECTS",
    "REPORTS_AT_ONCE",
    "Download",
    "Fetched",
    "ReportError",
    "download_all",
    "download_report",
    "fetch_reports",
    "report_path_for",
    "report_session",
]

MiB = 1024 * 1024
CHUNK_SIZE = 256 * 1024  # measured: less CPU per MiB than 64 KiB or 1 MiB (docs/performance.md)
MAX_REDIRECTS = 10
PDF_MAGIC = b"%PDF-"
REPORTS_AT_ONCE = 4  # reports are fetched a few at a time (1,000 executions: 1,000 PDFs)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def report_path_for(base: str, execution_id: int, several: bool) -> str:
    """Where one execution's report goes.

    With one execution, ``base`` itself. With several, ``-<id>`` goes before the suffix of the
    file name: ``out/vibetesting-report.pdf`` -> ``out/vibetesting-report-123.pdf``; a name
    without a suffix gets ``-123`` appended.
    """
    if not several:
        return base
    stem, suffix = os.path.splitext(base)
    return f"{stem}-{execution_id}{suffix}"


class _Abort(Exception):
    """Raised inside the atomic write to drop the temporary file, then turned into ReportError."""


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
    """A session for :func:`download_report` that sends no credentials. The caller closes it."""
    import requests

    session = requests.Session()
    # Connections that obey a wall-clock Watchdog (the run's deadline, or a cancel).
    for prefix in ("http://", "https://"):
        session.mount(prefix, bounded_adapter())
    session.verify = ca_bundle()  # SSL_CERT_FILE / SSL_CERT_DIR, which requests ignores itself
    return _strip(session)


def download_report(
    url: str,
    dest: str,
    *,
    timeout: float,
    max_bytes: int,
    session: requests.Session | None = None,
    deadline: float | None = None,
    user_agent: str,
) -> int:
    """Download the PDF at ``url`` to ``dest``; return the number of bytes written.

    ``timeout`` bounds each connect and each read (seconds); ``deadline`` is an optional
    ``time.monotonic()`` value by which the whole download must be over. ``max_bytes`` caps the
    (decoded) body. ``session`` (best from :func:`report_session`) is used instead of a new
    one and left open for the next download; any auth, ``Authorization`` header or cookies on
    it are removed first. Raises :class:`ReportError`.
    """
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    shown = redact_url(url)
    if not url:
        raise ReportError("no report link to download")
    bound = None if deadline is None else max(0.0, deadline - time.monotonic())
    dog = Watchdog(bound, REPORT_TAG)
    try:
        # The whole download (every hop and the body) within the deadline: past it, or on a
        # cancel (transport.abort_all), the connection is cut, however slowly the server drips.
        with dog:
            try:
                if session is not None:
                    # Nothing one report's host set (or a careless caller left) goes to the next.
                    return _download(
                        _strip(session), url, dest, timeout, max_bytes, deadline, user_agent
                    )
                with report_session() as own:
                    return _download(own, url, dest, timeout, max_bytes, deadline, user_agent)
            except _Abort:
                if dog.expired:
                    raise _Abort(_cut_reason(dog)) from None
                raise
    except _Abort as error:
        raise ReportError(f"report download from {shown} failed: {error}") from None
    except OSError as error:
        # Only local file errors get here (requests' own errors are handled in _download).
        raise ReportError(
            f"cannot write the report file {dest!r}: {error.strerror or type(error).__name__}"
        ) from None


REPORT_TAG = "report"
ABORT_GRACE = 1.0  # seconds a cut download gets to remove its temporary file


def _cut_reason(dog: Watchdog) -> str:
    if dog.aborted:
        return "cancelled (the connection was cut)"
    return "no time left before the deadline (the connection was cut)"


@dataclass(frozen=True)
class Download:
    """One report to fetch: ``key`` (an execution id) names it in :func:`download_all`'s
    answer."""

    key: int
    url: str
    path: str


@dataclass(frozen=True)
class Fetched:
    """What became of one :class:`Download`: ``size`` bytes written, or ``error`` (one line,
    no secret); ``abandoned`` when a cancel came first (``error`` is then ``"cancelled"``)."""

    size: int | None = None
    error: str | None = None
    abandoned: bool = False


def download_all(
    downloads: Sequence[Download],
    *,
    timeout: float,
    deadline: float | None,
    max_bytes: int,
    user_agent: str,
    cancel: threading.Event | None = None,
    at_once: int = REPORTS_AT_ONCE,
    log: Callable[[str], None] | None = None,
) -> dict[int, Fetched]:
    """Fetch every report, ``at_once`` at a time, each as :func:`download_report` does.

    Returns a :class:`Fetched` for every key. When ``cancel`` is set the downloads still out
    are abandoned at once (their temporary files never replace anything) and the ones not
    started are not started. Each worker thread keeps its own session, so reports on one
    storage host reuse its kept-alive connection."""
    results: dict[int, Fetched] = {}
    if not downloads:
        return results
    local = threading.local()
    sessions: list[requests.Session] = []
    lock = threading.Lock()

    def fetch(item: Download) -> Fetched:
        if cancel is not None and cancel.is_set():
            return Fetched(error="cancelled", abandoned=True)
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = report_session()
            with lock:
                sessions.append(session)
        try:
            size = download_report(
                item.url,
                item.path,
                timeout=timeout,
                deadline=deadline,
                max_bytes=max_bytes,
                session=session,
                user_agent=user_agent,
            )
        except ReportError as exc:
            return Fetched(error=str(exc))
        if log is not None:
            log(f"report {redact_url(item.url)} -> {item.path} ({size} bytes)")
        return Fetched(size=size)

    pool = DaemonPool(min(at_once, len(downloads)), "vibetesting-report")
    futures = {pool.submit(fetch, item): item.key for item in downloads}
    try:
        abandoned = wait_for(futures, cancel=cancel)
        if abandoned:
            # Cancelled: cut the connections of the downloads still out, so each fails at
            # once and removes its temporary file, and give them a moment to do so (they are
            # still abandoned: their results are not read).
            abort_all(REPORT_TAG)
            wait_for(abandoned, deadline=time.monotonic() + ABORT_GRACE)
    finally:
        pool.shutdown()
    for future, key in futures.items():
        if future in abandoned or future.cancelled():
            results[key] = Fetched(error="cancelled", abandoned=True)
        else:
            results[key] = future.result()
    if not abandoned:
        for session in sessions:
            session.close()
    return results


def fetch_reports(
    executions: Sequence[ExecutionResult],
    report_file: str,
    *,
    timeout: float,
    deadline: float | None,
    max_bytes: int,
    user_agent: str,
    cancel: threading.Event | None = None,
    log: Callable[[str], None] | None = None,
) -> tuple[tuple[ExecutionResult, ...], list[str]]:
    """Every finished execution's report to ``report_file`` (``-<id>`` added with several,
    :func:`report_path_for`) with :func:`download_all`. Returns the executions with
    ``report_file`` or ``report_error`` set, and a line for each report that could not be had
    (one abandoned on cancel is not one of them)."""
    several = len(executions) > 1
    missing: list[str] = []
    downloads: list[Download] = []
    for e in executions:
        if not e.finished or e.status is None:
            continue
        if not e.status.report_url:
            if e.status.is_done:  # an ended (failed, stopped...) execution may have none
                missing.append(f"execution {e.execution_id}: the service gave no report link")
            continue
        path = report_path_for(report_file, e.execution_id, several)
        downloads.append(Download(e.execution_id, e.status.report_url, path))
    fetched = download_all(
        downloads,
        timeout=timeout,
        deadline=deadline,
        max_bytes=max_bytes,
        user_agent=user_agent,
        cancel=cancel,
        log=log,
    )
    paths = {d.key: d.path for d in downloads}
    updated: list[ExecutionResult] = []
    for e in executions:
        got = fetched.get(e.execution_id)
        if got is not None and got.error is None:
            e = replace(e, report_file=paths[e.execution_id])
        elif got is not None:
            e = replace(e, report_error=got.error)
            if not got.abandoned:
                missing.append(f"execution {e.execution_id}: {got.error}")
        updated.append(e)
    return tuple(updated), missing


def _download(
    session: requests.Session,
    url: str,
    dest: str,
    timeout: float,
    max_bytes: int,
    deadline: float | None,
    user_agent: str,
) -> int:
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
            return _stream(response, dest, max_bytes, deadline)
    raise _Abort(f"more than {MAX_REDIRECTS} redirects")


def _stream(
    response: requests.Response,
    dest: str,
    max_bytes: int,
    deadline: float | None,
) -> int:
    import requests

    written = 0
    head = b""
    try:
        with atomic_open(dest, "wb", durable=False) as handle:
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
                handle.write(chunk)
            if head != PDF_MAGIC:
                raise _Abort("the answer is not a PDF (it does not start with %PDF-)")
    except requests.exceptions.Timeout:
        raise _Abort("timed out while reading") from None
    except requests.exceptions.RequestException:
        raise _Abort("the connection broke while reading") from None
    return written


def reports_for(
    result: RunResult,
    wait: WaitSettings,
    *,
    timeout: float,
    deadline: float,
    user_agent: str,
    cancel: threading.Event | None = None,
    log: Callable[[str], None] | None = None,
    warn: Callable[[str], None] = lambda _message: None,
) -> RunResult:
    """Fetch each finished execution's PDF (:func:`fetch_reports`: no credentials, PDF only,
    size cap, atomic; abandoned on a cancel). ``timeout`` bounds each connect and read,
    ``deadline`` (monotonic) the whole lot. A report that cannot be had is a warning, or
    exit 3 with ``--require-report`` (``verdict.with_missing_reports``)."""
    if not wait.report_file:
        return result
    from vibetesting_ci.domain.verdict import with_missing_reports

    executions, missing = fetch_reports(
        result.executions,
        wait.report_file,
        timeout=timeout,
        deadline=deadline,
        max_bytes=wait.max_report_size * MiB,
        user_agent=user_agent,
        cancel=cancel,
        log=log,
    )
    result = replace(result, executions=executions)
    required = with_missing_reports(result, missing, require_report=wait.require_report)
    if required is result:  # not the verdict: a warning each
        for message in missing:
            warn(f"report not downloaded: {message}")
    return required
