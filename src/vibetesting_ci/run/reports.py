"""The PDF reports of a run: each finished execution's report downloaded
(``service/download.py``: no credentials, PDF only, size cap, deadline) and written atomically
to ``--report-file`` (``-<id>`` added with several: ``publish.files.report_path_for``), a few at
a time on the daemon workers of :mod:`vibetesting_ci.run.concurrency`; what is still out on a
cancel is abandoned. The body is streamed to a temporary file in the destination folder and
replaces the destination only once whole (:mod:`vibetesting_ci.publish.atomic`): the old file,
if any, is left untouched by a failed download and no temporary file remains.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from vibetesting_ci.domain.models import ExecutionResult, RunResult
from vibetesting_ci.domain.verdict import with_missing_reports
from vibetesting_ci.errors import ReportError
from vibetesting_ci.publish.atomic import atomic_open
from vibetesting_ci.publish.files import report_path_for
from vibetesting_ci.run.concurrency import DaemonPool, wait_for
from vibetesting_ci.safety.redact import redact_url
from vibetesting_ci.service.download import REPORT_TAG, MiB, report_body, report_session
from vibetesting_ci.service.transport import abort_all

if TYPE_CHECKING:
    import requests

    from vibetesting_ci.config.settings import WaitSettings

REPORTS_AT_ONCE = 4  # reports are fetched a few at a time (1,000 executions: 1,000 PDFs)
ABORT_GRACE = 1.0  # seconds a cut download gets to remove its temporary file


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
    (decoded) body. ``session`` (best from :func:`~vibetesting_ci.service.download.report_session`)
    is used instead of a new one and left open for the next download; any auth,
    ``Authorization`` header or cookies on it are removed first. Raises :class:`ReportError`.
    """
    written = 0
    try:
        with (
            report_body(
                url,
                timeout=timeout,
                max_bytes=max_bytes,
                session=session,
                deadline=deadline,
                user_agent=user_agent,
            ) as chunks,
            atomic_open(dest, "wb", durable=False) as handle,
        ):
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
    except OSError as error:
        # Only local file errors get here (requests' own errors are ReportError by now).
        raise ReportError(
            f"cannot write the report file {dest!r}: {error.strerror or type(error).__name__}"
        ) from None
    return written


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
