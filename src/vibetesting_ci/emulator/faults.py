"""Injectable faults: what the emulator does wrong on purpose, and the ``--fault SPEC`` syntax."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vibetesting_ci.vocabulary import Endpoint

ENDPOINTS = (*(endpoint.value for endpoint in Endpoint), "report")
API_ENDPOINTS = frozenset(ENDPOINTS[:4])
ANY = "*"

# Faults applied before the request is handled (nothing happens on the service side).
# Hostile answers (issue 17): ``drip`` sends the whole answer, status line first, one byte per
# ``seconds`` (default 1; ``drip-body``: the headers at once, then the body dripped);
# ``redirect`` answers ``status`` (default 307) pointing at ``target``
# (``self``: the same URL; ``other-host``: the same path on ``localhost``, another host name);
# ``big`` is a JSON answer of ``mib`` MiB (default 200); ``gzip-bomb`` is ``mib`` MiB of zeros
# (default 1024) gzipped to about a thousandth; ``echo-refusal`` refuses with a reason that
# quotes the token and the login password (raw and URL-encoded).
PRE_KINDS = frozenset(
    {
        "html500",
        "429",
        "drop",
        "garbage",
        "stall",
        "not-found",
        "drip",
        "drip-body",
        "redirect",
        "big",
        "gzip-bomb",
        "echo-refusal",
    }
)
# Faults applied after the request was handled successfully (the side effects happened).
# ``echo-status``: the status answer's detailed status and suite name quote the secrets (and
# the signed report link, once there is one);
# ``huge-failure``: the execution is done with ``count`` (default 1000) failed tests and a
# detailed status of ``mib`` MiB (default 2).
POST_KINDS = frozenset(
    {
        "create-then-500",
        "create-then-drop",
        "odd-state",
        "null-counts",
        "odd-counts",
        "echo-status",
        "huge-failure",
        "patch",
    }
)
KINDS = PRE_KINDS | POST_KINDS

_KIND_ALIASES = {
    "500": "html500",
    "html": "html500",
    "rate-limit": "429",
    "ratelimit": "429",
    "close": "drop",
    "slow": "stall",
    "notfound": "not-found",
    "404": "not-found",
}
_ENDPOINT_ALIASES = {
    "all": ANY,
    "any": ANY,
    "status": Endpoint.EXECUTION_STATUS.value,
    "stop": Endpoint.STOP_EXECUTION.value,
    "reports": "report",
    "files": "report",
}

# Which endpoints each kind can affect.
_APPLIES: dict[str, frozenset[str]] = {
    "html500": frozenset(ENDPOINTS),
    "429": frozenset(ENDPOINTS),
    "drop": frozenset(ENDPOINTS),
    "garbage": frozenset(ENDPOINTS),
    "stall": frozenset(ENDPOINTS),
    "not-found": frozenset({"execution-status", "stop-execution", "report"}),
    "create-then-500": API_ENDPOINTS,
    "create-then-drop": API_ENDPOINTS,
    "odd-state": frozenset({"execution-status"}),
    "null-counts": frozenset({"execution-status"}),
    "odd-counts": frozenset({"execution-status"}),
    "drip": frozenset(ENDPOINTS),
    "drip-body": frozenset(ENDPOINTS),
    "redirect": frozenset(ENDPOINTS),
    "big": API_ENDPOINTS,
    "gzip-bomb": API_ENDPOINTS,
    "echo-refusal": API_ENDPOINTS,
    "echo-status": frozenset({"execution-status"}),
    "huge-failure": frozenset({"execution-status"}),
    "patch": API_ENDPOINTS,
}


@dataclass
class Fault:
    """One fault rule.

    ``endpoint``: ``run-tests``, ``run-suite``, ``execution-status``, ``stop-execution``,
    ``report`` (report redirects and file downloads) or ``*`` (all of them).
    ``kind``: see :data:`KINDS`. ``times``: how many requests it affects (``0``/``None``:
    all of them). ``after``: let the first ``after`` matching requests through untouched.
    ``retry_after`` (``429``, default 1), ``seconds`` (``stall``, default 5), ``status``
    (``html500``, default 500), ``state`` (``odd-state``, default ``"queued"``).
    ``patch`` answers as the service would, with ``fields`` (a JSON object) set in the answer
    and the names in ``drop`` removed from it: any odd body the vendor page does not rule out,
    e.g. ``execution-status:patch:times=0,fields={"number_of_failed_tests": 1.5}``.
    """

    endpoint: str = ANY
    kind: str = "html500"
    times: int | None = 1
    after: int = 0
    retry_after: float | None = None
    seconds: float | None = None
    status: int | None = None
    state: str | None = None
    mib: int | None = None
    count: int | None = None
    target: str | None = None
    fields: dict[str, Any] | None = None
    drop: tuple[str, ...] = ()
    seen: int = field(default=0, compare=False, repr=False)
    applied: int = field(default=0, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.endpoint = _ENDPOINT_ALIASES.get(self.endpoint.strip().lower(), self.endpoint)
        self.endpoint = self.endpoint.strip().lower().strip("/")
        if self.endpoint not in (*ENDPOINTS, ANY):
            raise ValueError(
                f"unknown fault endpoint {self.endpoint!r}; use one of "
                f"{', '.join((*ENDPOINTS, ANY))}"
            )
        kind = str(self.kind).strip().lower()
        self.kind = _KIND_ALIASES.get(kind, kind)
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown fault kind {self.kind!r}; use one of {', '.join(sorted(KINDS))}"
            )
        if self.endpoint != ANY and self.endpoint not in _APPLIES[self.kind]:
            raise ValueError(f"fault kind {self.kind!r} does not apply to {self.endpoint!r}")
        if self.times is not None and (isinstance(self.times, bool) or self.times < 0):
            raise ValueError("fault times must be 0 (forever) or a positive count")
        if isinstance(self.after, bool) or self.after < 0:
            raise ValueError("fault after must be 0 or more")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("fault retry_after must be 0 or more")
        if self.seconds is not None and self.seconds < 0:
            raise ValueError("fault seconds must be 0 or more")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("fault status must be an HTTP status code")
        if self.mib is not None and not 0 < self.mib <= 4096:
            raise ValueError("fault mib must be 1 to 4096")
        if self.count is not None and self.count < 0:
            raise ValueError("fault count must be 0 or more")
        if self.target is not None and self.target not in ("self", "other-host"):
            raise ValueError("fault target must be self or other-host")
        if self.fields is not None and not isinstance(self.fields, dict):
            raise ValueError("fault fields must be a JSON object")
        self.drop = tuple(self.drop)
        if self.kind == "patch" and not (self.fields or self.drop):
            raise ValueError("a patch fault needs fields={...} or drop=NAME+NAME")

    def apply_patch(self, body: dict[str, Any]) -> None:
        """``patch``: set ``fields`` in an answer body and remove the ``drop`` names."""
        for name in self.drop:
            body.pop(name, None)
        body.update(json.loads(json.dumps(self.fields or {})))  # a copy per answer

    @property
    def pre(self) -> bool:
        return self.kind in PRE_KINDS

    @property
    def exhausted(self) -> bool:
        return bool(self.times) and self.applied >= (self.times or 0)

    def applies_to(self, endpoint: str) -> bool:
        return (self.endpoint in (ANY, endpoint)) and endpoint in _APPLIES[self.kind]

    def observe(self, endpoint: str) -> bool:
        """Count one request this fault could affect; True if it is due to fire on it.

        Every fault sees every matching request (so ``after`` counts them all), but only a
        fault that actually fires uses up one of its ``times`` (see :meth:`consume`).
        """
        if not self.applies_to(endpoint):
            return False
        with self._lock:
            self.seen += 1
            return self.seen > self.after and not self.exhausted

    def consume(self) -> None:
        with self._lock:
            self.applied += 1

    @property
    def http_status(self) -> int:
        if self.kind == "429":
            return 429
        if self.kind == "not-found":
            return 404
        if self.kind in ("html500", "create-then-500"):
            return self.status or 500
        if self.kind == "redirect":
            return self.status or 307
        if self.kind == "echo-refusal":
            return self.status or 400
        return self.status or 200

    def retry_after_header(self) -> str:
        value = 1.0 if self.retry_after is None else float(self.retry_after)
        return str(int(value)) if value.is_integer() else f"{value:g}"

    def describe(self) -> str:
        return spec_of(self)


_INT_PARAMS = {"times", "after", "status", "mib", "count"}
_FLOAT_PARAMS = {"retry_after", "seconds"}
_STR_PARAMS = {"state", "target"}
_NUMBER_PARAMS = _INT_PARAMS | _FLOAT_PARAMS
_PARAMS = _NUMBER_PARAMS | _STR_PARAMS | {"fields", "drop"}
# ``fields={...}`` holds JSON (with its own ':' and ','), so it comes last in a spec.
_FIELDS_TAIL = re.compile(r"(?:^|[:,])\s*fields\s*=")


def fault_from_mapping(data: Mapping[str, Any]) -> Fault:
    """Build a Fault from a scenario-file mapping (same keys as the constructor)."""
    known = {"endpoint", "kind"} | _PARAMS
    extra = set(data) - known - {"retry-after"}
    if extra:
        raise ValueError(f"unknown fault setting(s): {', '.join(sorted(map(str, extra)))}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = "retry_after" if key == "retry-after" else key
        values[name] = _convert(name, value)
    if "kind" not in values:
        raise ValueError("a fault needs a kind")
    return Fault(**values)


def _convert(name: str, value: Any) -> Any:
    if name in ("endpoint", "kind"):
        return str(value)
    if name == "fields":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError(f"fault fields must be a JSON object ({exc})") from None
        if not isinstance(value, dict):
            raise ValueError("fault fields must be a JSON object")
        return value
    if name == "drop":
        items = value.split("+") if isinstance(value, str) else list(value)
        return tuple(str(item).strip() for item in items if str(item).strip())
    if value is None:
        return None
    if name not in _NUMBER_PARAMS:
        return str(value)
    if isinstance(value, bool):
        raise ValueError(f"fault {name} must be a number")
    whole = name in _INT_PARAMS
    try:
        return int(value) if whole else float(value)
    except (TypeError, ValueError):
        noun = "a whole number" if whole else "a number"
        raise ValueError(f"fault {name} must be {noun}, not {value!r}") from None


def parse_fault(spec: str) -> Fault:
    """Parse ``ENDPOINT:KIND[:key=value[,key=value]...]``.

    Examples: ``execution-status:html500:times=3``, ``run-tests:429:retry_after=1``,
    ``execution-status:stall:seconds=5``, ``*:drop:after=2,times=0``,
    ``run-tests:patch:drop=schedule_id,fields={"execution_ids": [0]}`` (``fields`` last).
    """
    text = spec.strip()
    fields_json: str | None = None
    tail = _FIELDS_TAIL.search(text)
    if tail is not None and text[: tail.start()].count(":") >= 1:
        text, fields_json = text[: tail.start()], text[tail.end() :]
    parts = [p.strip() for p in text.split(":")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ValueError(
            f"fault {spec!r} is not ENDPOINT:KIND[:key=value,...] "
            "(e.g. execution-status:html500:times=3)"
        )
    values: dict[str, Any] = {"endpoint": parts[0], "kind": parts[1]}
    for chunk in parts[2:]:
        for item in chunk.split(","):
            item = item.strip()
            if not item:
                continue
            key, sep, value = item.partition("=")
            key = key.strip().replace("-", "_")
            if not sep:
                raise ValueError(f"fault {spec!r}: {item!r} is not key=value")
            if key not in _PARAMS:
                raise ValueError(f"fault {spec!r}: unknown setting {key!r}")
            values[key] = _convert(key, value.strip())
    if fields_json is not None:
        values["fields"] = _convert("fields", fields_json)
    return Fault(**values)


def spec_of(fault: Fault) -> str:
    """The ``--fault`` text for a Fault (round-trips through :func:`parse_fault`)."""
    params = [f"times={fault.times or 0}"]
    if fault.after:
        params.append(f"after={fault.after}")
    for name in ("retry_after", "seconds", "status", "state", "mib", "count", "target"):
        value = getattr(fault, name)
        if value is not None:
            params.append(f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}")
    if fault.drop:
        params.append(f"drop={'+'.join(fault.drop)}")
    if fault.fields is not None:
        params.append(f"fields={json.dumps(fault.fields, separators=(',', ':'))}")
    return f"{fault.endpoint}:{fault.kind}:{','.join(params)}"


def coerce_faults(items: Iterable[Fault | str | Mapping[str, Any]]) -> list[Fault]:
    result: list[Fault] = []
    for item in items:
        if isinstance(item, Fault):
            result.append(item)
        elif isinstance(item, str):
            result.append(parse_fault(item))
        elif isinstance(item, Mapping):
            result.append(fault_from_mapping(item))
        else:
            raise ValueError(f"a fault must be a SPEC string or a mapping, not {item!r}")
    return result
