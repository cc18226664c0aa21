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

import contextlib
import heapq
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from vibetesting_ci.errors import AnswerTooLarge

if TYPE_CHECKING:  # pragma: no cover
    import requests
    import requests.adapters

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


# -- wall-clock bounds: abort the connection, not just check between reads ---------------------
#
# requests/urllib3 timeouts are per socket operation: a server that sends one byte a second
# (status line, headers or body) never trips them. A :class:`Watchdog` bounds everything done
# on one thread while it is active by wall-clock time: the connection pools made by
# :func:`bounded_adapter` register every connection they hand out with the thread's watchdog,
# and when its time is up (or :func:`abort_all` is called on a cancel) the watchdog shuts those
# sockets down. The blocked read then fails at once, whatever the server is doing, and the
# caller sees ``watchdog.expired``.

_local = threading.local()
_LIVE: set[Watchdog] = set()
_LIVE_LOCK = threading.Lock()
_ABORTED_TAGS: set[str | None] = set()  # abort_all(tag) also cuts watchdogs started later


def _shutdown(sock: Any) -> None:
    if sock is None:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        # socket.socket's own shutdown, also for an SSLSocket: the fd is cut without touching
        # the TLS object a reading thread is using (that read then fails at once).
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _abort_connection(conn: Any) -> None:
    _shutdown(getattr(conn, "sock", None))
    _shutdown(getattr(conn, "_vt_raw_sock", None))


class Watchdog:
    """Cut the connections used on this thread once ``seconds`` of wall-clock time pass.

    Use as a context manager around a request (and the reading of its body)::

        with Watchdog(30) as dog:
            try:
                response = session.post(...)
            except requests.RequestException:
                if dog.expired: ...  # no complete answer within 30 s
    """

    def __init__(self, seconds: float | None, tag: str = "") -> None:
        self.seconds = seconds
        self.tag = tag
        self.expired = False
        self.aborted = False  # by abort_all (a cancel), not by the clock
        # What the connections under this watchdog did (see :attr:`nothing_sent`): a connect
        # (TCP, proxy tunnel, TLS handshake) that failed, and whether any request byte was
        # handed to a socket.
        self.connect_failed = False
        self.sent = False
        self._conns: list[Any] = []
        self._lock = threading.Lock()
        self._done = False
        self._outer: Watchdog | None = None

    def watch(self, conn: Any) -> None:
        with self._lock:
            conn._vt_watchdog = self
            if self.expired:
                _abort_connection(conn)
            else:
                self._conns.append(conn)

    def fire(self, *, aborted: bool = False) -> None:
        with self._lock:
            if self._done or self.expired:
                return
            self.expired = True
            self.aborted = aborted
            conns, self._conns = self._conns, []
        for conn in conns:
            # Only a connection still ours: one back in the pool (or taken by another
            # thread's request since) is left alone.
            if getattr(conn, "_vt_watchdog", None) is self:
                _abort_connection(conn)

    def __enter__(self) -> Watchdog:
        self._outer = getattr(_local, "watchdog", None)
        _local.watchdog = self
        with _LIVE_LOCK:
            _LIVE.add(self)
            cut = None in _ABORTED_TAGS or self.tag in _ABORTED_TAGS
        if cut:
            self.fire(aborted=True)
        elif self.seconds is not None:
            _reaper().add(time.monotonic() + max(0.0, self.seconds), self)
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._done = True
            self._conns = []
        with _LIVE_LOCK:
            _LIVE.discard(self)
        _local.watchdog = self._outer

    @property
    def done(self) -> bool:
        return self._done

    @property
    def nothing_sent(self) -> bool:
        """True when a connect failed and no byte of any request left on a connection under
        this watchdog: whatever failed, the service cannot have acted on the request. False
        whenever in doubt (a request byte written, or no connect failed)."""
        return self.connect_failed and not self.sent


def current_watchdog() -> Watchdog | None:
    dog: Watchdog | None = getattr(_local, "watchdog", None)
    return dog


def abort_all(tag: str | None = None) -> int:
    """Cut every connection in flight under a live watchdog (with ``tag``, only those); for a
    cancel. Returns how many watchdogs fired."""
    with _LIVE_LOCK:
        _ABORTED_TAGS.add(tag)
        dogs = [d for d in _LIVE if tag is None or d.tag == tag]
    for dog in dogs:
        dog.fire(aborted=True)
    return len(dogs)


def reset_aborts() -> None:
    """Forget earlier :func:`abort_all` calls (for in-process tests)."""
    with _LIVE_LOCK:
        _ABORTED_TAGS.clear()


class _Reaper:
    """One daemon thread firing watchdogs at their times (a heap; no thread per request)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watchdog]] = []
        self._count = 0
        self._thread: threading.Thread | None = None

    def add(self, when: float, dog: Watchdog) -> None:
        with self._cond:
            self._count += 1
            heapq.heappush(self._heap, (when, self._count, dog))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="vibetesting-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            due: Watchdog | None = None
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                when = self._heap[0][0]
                left = when - time.monotonic()
                if left > 0:
                    self._cond.wait(min(left, 3600.0))
                    continue
                due = heapq.heappop(self._heap)[2]
            due.fire()


_REAPER: list[_Reaper] = []
_REAPER_LOCK = threading.Lock()


def _reaper() -> _Reaper:
    with _REAPER_LOCK:
        if not _REAPER:
            _REAPER.append(_Reaper())
        return _REAPER[0]


def _pool_classes() -> dict[str, type[Any]]:
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def new_conn(base: Any, self: Any) -> socket.socket:
        sock = base._new_conn(self)
        self._vt_raw_sock = sock
        dog = getattr(self, "_vt_watchdog", None)
        if dog is not None and dog.expired:  # the time ran out while connecting
            _shutdown(sock)
        return sock  # type: ignore[no-any-return]

    def connect(base: Any, self: Any) -> None:
        # TCP connect, proxy tunnel, TLS handshake: the request itself is written later, by
        # send(). A connect that raises never carried it.
        try:
            base.connect(self)
        except BaseException:
            dog = getattr(self, "_vt_watchdog", None)
            if dog is not None:
                dog.connect_failed = True
            raise

    def send(base: Any, self: Any, data: Any) -> None:
        # Marked before the first byte is written (and before http.client's lazy connect of a
        # plain-http connection): in doubt, something was sent. A proxy's CONNECT goes this way
        # too, which only makes the mark come early.
        dog = getattr(self, "_vt_watchdog", None)
        if dog is not None:
            dog.sent = True
        base.send(self, data)

    class BoundedConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return new_conn(HTTPConnection, self)

        def connect(self) -> None:
            connect(HTTPConnection, self)

        def send(self, data: Any) -> None:
            send(HTTPConnection, self, data)

    class BoundedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return new_conn(HTTPSConnection, self)

        def connect(self) -> None:
            connect(HTTPSConnection, self)

        def send(self, data: Any) -> None:
            send(HTTPSConnection, self, data)

    def get_conn(base: Any, self: Any, timeout: float | None) -> Any:
        conn = base._get_conn(self, timeout)
        dog = current_watchdog()
        if dog is not None:
            dog.watch(conn)
        else:
            conn._vt_watchdog = None
        return conn

    def put_conn(base: Any, self: Any, conn: Any) -> None:
        if conn is not None:
            conn._vt_watchdog = None  # back in the pool: no request's watchdog owns it
        base._put_conn(self, conn)

    class BoundedPool(HTTPConnectionPool):
        ConnectionCls = BoundedConnection

        def _get_conn(self, timeout: float | None = None) -> Any:
            return get_conn(HTTPConnectionPool, self, timeout)

        def _put_conn(self, conn: Any) -> None:
            put_conn(HTTPConnectionPool, self, conn)

    class BoundedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = BoundedHTTPSConnection

        def _get_conn(self, timeout: float | None = None) -> Any:
            return get_conn(HTTPSConnectionPool, self, timeout)

        def _put_conn(self, conn: Any) -> None:
            put_conn(HTTPSConnectionPool, self, conn)

    return {"http": BoundedPool, "https": BoundedHTTPSPool}


def bounded_adapter(**kwargs: Any) -> requests.adapters.HTTPAdapter:
    """A requests ``HTTPAdapter`` whose connections obey the thread's :class:`Watchdog`."""
    from requests.adapters import HTTPAdapter

    pools = _pool_classes()

    class BoundedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kw: Any) -> None:
            super().init_poolmanager(*args, **kw)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kw: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kw)
            if not proxy.lower().startswith("socks"):
                manager.pool_classes_by_scheme = pools
            return manager

    return BoundedAdapter(**kwargs)


def read_capped(response: requests.Response, limit: int, chunk: int = 64 * 1024) -> bytes:
    """The body of a ``stream=True`` response, decoded, at most ``limit`` bytes.

    Read in ``chunk`` pieces (urllib3 2 inflates gzip/deflate a piece at a time, so a
    compression bomb never expands in memory beyond one piece); raises :class:`AnswerTooLarge`
    past ``limit``, and closes the connection. Sets ``response._content`` so ``.content`` works.
    """
    declared = response.headers.get("Content-Length", "")
    encoded = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if declared.isdigit() and encoded == "identity" and int(declared) > limit:
        response.close()
        raise AnswerTooLarge(f"{int(declared)} bytes announced")
    parts: list[bytes] = []
    total = 0
    for piece in response.iter_content(chunk):
        total += len(piece)
        if total > limit:
            response.close()
            raise AnswerTooLarge(f"more than {limit} bytes")
        parts.append(piece)
    data = b"".join(parts)
    response._content = data
    response._content_consumed = True  # type: ignore[attr-defined]
    return data
