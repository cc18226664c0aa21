"""The kinds of option value and their parsers: one parser per kind, which both converts and
validates, so an input error is raised where the value is read, as an :class:`InputError` naming
the flag or variable it came from.

:class:`Option` is one row of the option table (``config/options.py``): how a setting is named on
each surface (flag, variable, action input, metavar, all derived from its name unless a row spells
one out) and which parser reads it (``Option.parse``). It lives here, beside the parsers, so that
the table and the parsers import one way only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from vibetesting_ci.errors import InputError
from vibetesting_ci.vocabulary import BOOL_WORDS, FALSE_WORDS, TRUE_WORDS

ENV_PREFIX = "VIBETESTING_"
# Upper bounds for durations: a larger value is a typo (1e12 s overflows the clock's waits).
MAX_REQUEST_TIMEOUT = 86_400.0  # a day
MAX_SECONDS = 30 * 86_400.0  # thirty days (--timeout, poll intervals)
MAX_RETRIES = 10  # --retry-failed: each retry is a billed run; more is a typo or a loop
MAX_COUNT = 1_000_000  # --max-failures: more tests than any run holds
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class Kind(StrEnum):
    """What an option's value is: picks its parser, its click option and its README cell.

    A ``StrEnum``, so ``Kind.BOOL == "bool"`` (the values are the old kind names)."""

    TEXT = "str"  # free text (a secret one is stripped and must be one line)
    URL = "url"  # http(s) base URL, normalised to end in "/"
    INT = "int"  # a positive whole number
    FLOAT = "float"  # a positive number (seconds), at least the row's ``minimum``
    BOOL = "bool"  # --x/--no-x; true/false/1/0/yes/no in a variable
    CHOICE = "choice"  # one of the row's ``choices``
    LINES = "lines"  # repeatable option; one per line in a variable
    DATETIME = "datetime"  # ISO 8601 date and time, passed on as written
    TIMEZONE = "timezone"  # IANA time zone name
    PATH = "path"  # an output file; empty means "write none"
    COUNT = "count"  # a whole number >= 0, at most the row's ``maximum`` (when set)
    PERCENT = "percent"  # a number from 0 to 100 (a percentage)

    @property
    def metavar(self) -> str | None:
        """The placeholder in ``--help`` and the README unless the row names its own."""
        return _METAVARS.get(self)


_METAVARS = {
    Kind.TEXT: "TEXT",
    Kind.URL: "URL",
    Kind.INT: "INT",
    Kind.FLOAT: "SECONDS",
    Kind.LINES: "TEXT",
    Kind.DATETIME: "ISO8601",
    Kind.TIMEZONE: "IANA",
    Kind.PATH: "PATH",
    Kind.COUNT: "N",
    Kind.PERCENT: "PERCENT",
}


@dataclass(frozen=True, kw_only=True)
class Option:
    """One row of the option table: how a setting is named on each surface, and its parser.

    ``flag``, ``env`` and ``input`` are derived from ``name`` unless given; ``metavar`` from the
    kind unless given."""

    name: str  # Python name; also the key a tests file uses for its run settings
    kind: Kind
    help: str
    commands: tuple[str, ...]
    default: Any = None
    api_field: str | None = None  # the request body field it fills (run options)
    choices: tuple[str, ...] = ()
    secret: bool = False
    required: bool = False  # the commands that take it fail without it (an input is required)
    minimum: float = 0.0  # Kind.FLOAT: the smallest value accepted
    maximum: float = 0.0  # Kind.FLOAT: the largest (0: MAX_SECONDS); Kind.COUNT (0: no cap)
    metavar: str | None = None
    flag: str = ""
    env: str = ""
    input: str = ""
    input_default: str | None = None  # the action input's default, where it differs
    cli: bool = True  # False: no command-line option, the variable (and input) only

    def __post_init__(self) -> None:
        dashed = self.name.replace("_", "-")
        derived = {
            "flag": f"--{dashed}",
            "env": ENV_PREFIX + self.name.upper(),
            "input": dashed,
            "metavar": self.kind.metavar,
        }
        for attr, value in derived.items():
            if not getattr(self, attr):
                object.__setattr__(self, attr, value)

    @property
    def default_text(self) -> str:
        """The default as an action or CI-template input writes it (``""`` when none)."""
        if self.input_default is not None:
            return self.input_default
        value = self.default
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def parse(self, value: Any, where: str) -> Any:
        """Convert and validate a raw option or variable value, or raise InputError."""
        return _PARSERS[self.kind](self, value, where)


# -- one parser per kind -------------------------------------------------------------------------


def parse_bool(text: str, where: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InputError(f"{where}: expected {BOOL_WORDS}, got {text!r}")


def parse_positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise InputError(f"{where}: expected a positive whole number, got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise InputError(f"{where}: expected a positive whole number, got {text!r}")
        number = int(text)
    if number < 1:
        raise InputError(f"{where}: must be a positive whole number, got {number}")
    return number


def plain_number(value: float) -> str:
    """A number as people write it: ``30``, ``0.1``, ``2592000`` (never ``2.592e+06``)."""
    if not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def human_seconds(seconds: float) -> str:
    """A limit in seconds as people say it: ``30 days``, ``1 day``, ``2 hours``, ``90 seconds``
    (a whole number of the largest unit that divides it)."""
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size and float(seconds / size).is_integer():
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{plain_number(seconds)} second{'' if seconds == 1 else 's'}"


def _positive_float(
    value: Any, where: str, minimum: float = 0.0, maximum: float = MAX_SECONDS
) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise InputError(f"{where}: expected a number of seconds, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise InputError(f"{where}: must be a positive number, got {value!r}")
    if number < minimum:
        raise InputError(f"{where}: must be at least {human_seconds(minimum)}, got {value!r}")
    if number > maximum:
        limit = human_seconds(maximum)
        if not limit.endswith("seconds"):
            limit += f" ({plain_number(maximum)} seconds)"
        raise InputError(f"{where}: must be at most {limit}, got {value!r}")
    return number


def _datetime(value: str, where: str) -> str:
    text = value.strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise InputError(
            f"{where}: not an ISO 8601 date and time: {text!r} (example: 2030-04-04T02:00:00+03:00)"
        ) from None
    if "T" not in text and " " not in text:
        raise InputError(
            f"{where}: needs a time as well as a date: {text!r} "
            "(example: 2030-04-04T02:00:00+03:00)"
        )
    return text


def _timezone(value: str, where: str) -> str:
    import zoneinfo

    name = value.strip()
    if not re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", name) or ".." in name:
        raise InputError(
            f"{where}: not an IANA time zone name: {name!r}{_zone_hint(name, 'Europe/Berlin')}"
        )
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        if not zoneinfo.available_timezones():  # no database here: cannot judge, let it through
            return name
        raise InputError(
            f"{where}: unknown IANA time zone {name!r}{_zone_hint(name, 'America/New_York')}"
        ) from None
    return name


def _zone_hint(name: str, example: str) -> str:
    """``; did you mean 'Europe/Berlin'?`` for a misspelt zone (the tests file's "did you
    mean", over the IANA names; a city alone finds its zone), else an example."""
    import zoneinfo

    from vibetesting_ci.config.yaml_nodes import nearest

    zones = sorted(zoneinfo.available_timezones())
    offset = re.fullmatch(r"(?:UTC|GMT)([+-])(\d{1,2})(?::?00)?", name.strip(), re.IGNORECASE)
    if offset:  # "UTC+3" is Etc/GMT-3: the POSIX sign is reversed
        etc = f"Etc/GMT{'-' if offset.group(1) == '+' else '+'}{int(offset.group(2))}"
        if etc in zones:
            return f"; did you mean {etc!r} (its sign is reversed)?"
    close = nearest(name, zones)
    if close is None and "/" not in name:  # "Berlin", "new york": by the zone's last part
        cities: dict[str, str] = {}
        for zone in zones:
            cities.setdefault(zone.rsplit("/", 1)[-1], zone)
        city = nearest(name, list(cities))
        close = cities[city] if city else None
    return f"; did you mean {close!r}?" if close else f" (example: {example})"


def _url(value: str, where: str) -> str:
    from urllib.parse import urlsplit

    from vibetesting_ci.safety.redact import redact_url

    text = value.strip()
    shown = redact_url(text)
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError out of range or not a number
        host = parts.hostname
    except ValueError as exc:
        raise InputError(f"{where}: not a valid URL ({exc}): {shown!r}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{where}: expected an http(s) URL, got {shown!r}")
    if not host:
        raise InputError(f"{where}: the URL names no host: {shown!r}")
    if port == 0:
        raise InputError(f"{where}: port 0 is not a port to connect to: {shown!r}")
    if any(c.isspace() or not c.isprintable() for c in text):
        raise InputError(f"{where}: must not contain spaces or control characters")
    if parts.query or parts.fragment:
        raise InputError(
            f"{where}: must not carry a query or fragment (put the token in VIBETESTING_API_TOKEN)"
        )
    return text if text.endswith("/") else text + "/"


def is_loopback(host: str) -> bool:
    """True for localhost names and loopback addresses (127.0.0.0/8, ::1)."""
    import ipaddress

    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _text(option: Option, value: Any, where: str) -> str:
    text = str(value)
    if option.secret:
        text = text.strip()
        if "\n" in text or "\r" in text:
            raise InputError(f"{where}: must be one line")
    if option.name == "api_token" and not all(" " < c < "\x7f" for c in text):
        # It goes in an HTTP header: printable ASCII only (a '€' cannot be sent at all).
        raise InputError(
            f"{where}: must be printable ASCII without spaces (check the copied value; the "
            "dashboard's tokens are plain letters, digits and punctuation)"
        )
    return text


def _choice(option: Option, value: Any, where: str) -> str:
    text = str(value).strip()
    if text not in option.choices:
        raise InputError(f"{where}: must be one of {', '.join(option.choices)}, got {text!r}")
    return text


def _lines(_option: Option, value: Any, _where: str) -> tuple[str, ...] | None:
    items = list(value) if isinstance(value, tuple | list) else str(value).splitlines()
    cleaned = tuple(item.strip() for item in items if item.strip())
    return cleaned or None


def _count(option: Option, value: Any, where: str) -> int:
    """A whole number >= 0 (``0``, ``12``, ``"3"``), at most the row's ``maximum`` if set."""
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\+?\d+", text):
        raise InputError(f"{where}: expected a whole number (0 or more), got {text!r}")
    shown = text if len(text) <= 20 else text[:20] + "..."
    if option.maximum and (len(text) > 15 or int(text) > option.maximum):
        raise InputError(f"{where}: must be at most {plain_number(option.maximum)}, got {shown}")
    if len(text) > 15:
        raise InputError(f"{where}: must be a whole number of sensible size, got {shown}")
    return int(text)


def _percent(_option: Option, value: Any, where: str) -> float:
    """A percentage from 0 to 100 (``80``, ``99.5``; a trailing ``%`` is accepted)."""
    text = str(value).strip().removesuffix("%").strip()
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"{where}: expected a percentage from 0 to 100, got {value!r}") from None
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise InputError(f"{where}: must be a percentage from 0 to 100, got {value!r}")
    return number


_PARSERS: Mapping[Kind, Callable[[Option, Any, str], Any]] = {
    Kind.TEXT: _text,
    Kind.URL: lambda _o, value, where: _url(str(value), where),
    Kind.INT: lambda _o, value, where: parse_positive_int(value, where),
    Kind.FLOAT: lambda o, value, where: _positive_float(
        value, where, o.minimum, o.maximum or MAX_SECONDS
    ),
    Kind.BOOL: lambda _o, value, where: (
        value if isinstance(value, bool) else parse_bool(str(value), where)
    ),
    Kind.CHOICE: _choice,
    Kind.LINES: _lines,
    Kind.DATETIME: lambda _o, value, where: _datetime(str(value), where),
    Kind.TIMEZONE: lambda _o, value, where: _timezone(str(value), where),
    Kind.PATH: lambda _o, value, _where: str(value).strip(),
    Kind.COUNT: _count,
    Kind.PERCENT: _percent,
}
