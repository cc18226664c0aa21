"""Frozen, typed settings built from options and environment, validated once.

Precedence: command-line option > environment variable > tests file (run settings only) > default.
A variable that is set but empty counts as unset, except for the output paths, where empty means
"write no such file" (as ``--junit-file ''`` does).

**The option table** (``OPTIONS``) is the one place an option is declared; the click options
(``cli.py``), the README tables (``scripts/gen_docs.py``) and the checks of ``action.yml``
(``tests/channels/actions/test_metadata.py``, ``tests/channels/docs/test_readme_sync.py``) are
generated from it or checked against it. Other code reads it through this small public surface:

* ``OPTIONS``: a tuple of :class:`Option` rows, in the order of the README tables (and of the
  request body). Each row has ``.name`` (the Python name, also the tests file's key), ``.kind``
  (a :class:`Kind`), ``.flag`` (``--name-with-dashes``), ``.env`` (``VIBETESTING_NAME``),
  ``.input`` (the action/CI-template input, ``name-with-dashes``), ``.default``,
  ``.default_text`` (the default as an action input writes it: ``""``, ``"true"``, ``"3600"``),
  ``.help``, ``.commands`` (which commands take it), ``.api_field``, ``.choices``, ``.secret``,
  ``.required``, ``.metavar``, and ``.parse(value, where)``.
* ``OPTIONS_BY_NAME`` / :func:`option`: a row by its name.
* ``API_COMMANDS`` / ``WAIT_COMMANDS``: the command groups rows name in ``.commands``.

Flag, variable and input names follow from the option's name; a row spells one out only where
it differs (``focus_areas`` is ``--focus-area``, repeatable). Each kind has one parser, which
both converts and validates (``Option.parse``), so an input error is raised where the value is
read, as an :class:`InputError` naming the flag or variable it came from.

:class:`RunSettings` is what ``run`` sends, typed; its ``body`` is the one place the request
body is built. Nothing here sends a request. Reading the tests file is ``testsfile``'s job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from vibetesting_ci.errors import InputError
from vibetesting_ci.vocabulary import BOOL_WORDS, EXECUTION_TYPES, FALSE_WORDS, REPEATS, TRUE_WORDS

if TYPE_CHECKING:  # pragma: no cover
    from vibetesting_ci.config.testsfile import TestCase

DEFAULT_API_URL = "https://app.vibetesting.me/api/external/"
ENV_PREFIX = "VIBETESTING_"
MIN_POLL_INTERVAL = 0.1
# Upper bounds for durations: a larger value is a typo (1e12 s overflows the clock's waits).
MAX_REQUEST_TIMEOUT = 86_400.0  # a day
MAX_SECONDS = 30 * 86_400.0  # thirty days (--timeout, poll intervals)
MAX_RETRIES = 10  # --retry-failed: each retry is a billed run; more is a typo or a loop
MAX_COUNT = 1_000_000  # --max-failures: more tests than any run holds
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

API_COMMANDS = ("run", "wait", "status", "stop", "cancel-schedule")
WAIT_COMMANDS = ("run", "wait")


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


OPTIONS: tuple[Option, ...] = (
    Option(
        name="api_token",
        kind=Kind.TEXT,
        help="API token from the dashboard's API section (required; prefer the variable).",
        commands=API_COMMANDS,
        secret=True,
        required=True,
        metavar="TOKEN",
    ),
    Option(
        name="api_url",
        kind=Kind.URL,
        default=DEFAULT_API_URL,
        help="Base URL of the External API.",
        commands=API_COMMANDS,
    ),
    Option(
        name="request_timeout",
        kind=Kind.FLOAT,
        default=30.0,
        help="Seconds one HTTP request may take, all of it (connect, send, the whole answer).",
        commands=API_COMMANDS,
        maximum=MAX_REQUEST_TIMEOUT,
    ),
    Option(
        name="allow_insecure_http",
        kind=Kind.BOOL,
        default=False,
        help=(
            "Allow a plain http:// --api-url to a host other than loopback "
            "(token sent unencrypted)."
        ),
        commands=API_COMMANDS,
    ),
    # What the run sends (in the order of the request body).
    Option(
        name="suite_id",
        kind=Kind.INT,
        help="Re-run this suite (POST run-suite/) instead of run-tests/.",
        commands=("run",),
        api_field="suite_id",
    ),
    Option(
        name="execution_type",
        kind=Kind.CHOICE,
        help="guided (your tests) or exploration; guided when tests are given.",
        commands=("run",),
        api_field="execution_type",
        choices=EXECUTION_TYPES,
    ),
    Option(
        name="tests_file",
        kind=Kind.TEXT,
        help=(
            "YAML or JSON file: a list of {name, steps}, or a mapping with tests and run settings."
        ),
        commands=("run",),
        api_field="tests",
        metavar="PATH",
    ),
    Option(
        name="tests",
        kind=Kind.TEXT,
        help="The same as --tests-file, inline (YAML or JSON text).",
        commands=("run",),
        api_field="tests",
    ),
    Option(
        name="login_identifier",
        kind=Kind.TEXT,
        help="User name or e-mail the agents log in with (sent as login.identifier).",
        commands=("run",),
        api_field="login",
    ),
    Option(
        name="login_password",
        kind=Kind.TEXT,
        help="Password the agents log in with (prefer the variable; never printed).",
        commands=("run",),
        api_field="login",
        secret=True,
    ),
    Option(
        name="general_instructions",
        kind=Kind.TEXT,
        help="Global instructions, constraints or known issues for the run.",
        commands=("run",),
        api_field="general_instructions",
    ),
    Option(
        name="focus_areas",
        kind=Kind.LINES,
        help="An area to focus on (repeatable; the variable takes one per line).",
        commands=("run",),
        api_field="focus_areas",
        flag="--focus-area",  # one area per flag
    ),
    Option(
        name="flows_count",
        kind=Kind.INT,
        help="Number of exploration flows.",
        commands=("run",),
        api_field="flows_count",
    ),
    Option(
        name="max_steps_per_flow",
        kind=Kind.INT,
        help="Maximum steps per flow.",
        commands=("run",),
        api_field="max_steps_per_flow",
    ),
    Option(
        name="send_report",
        kind=Kind.BOOL,
        help="Ask the service to e-mail a report when done.",
        commands=("run",),
        api_field="should_send_report",
    ),
    Option(
        name="stop_existing",
        kind=Kind.BOOL,
        help="Stop executions already running before starting.",
        commands=("run",),
        api_field="should_stop_existing",
    ),
    Option(
        name="allow_parallel",
        kind=Kind.BOOL,
        help="Let the service batch the run into parallel executions.",
        commands=("run",),
        api_field="allow_parallel",
    ),
    Option(
        name="schedule_at",
        kind=Kind.DATETIME,
        help="Schedule instead of starting now (ISO 8601, e.g. 2030-04-04T02:00:00+03:00).",
        commands=("run",),
        api_field="schedule_at",
    ),
    Option(
        name="repeat",
        kind=Kind.CHOICE,
        help="Recurrence of a scheduled run.",
        commands=("run",),
        api_field="repeat",
        choices=REPEATS,
    ),
    Option(
        name="repeat_count",
        kind=Kind.INT,
        help="Occurrences of a recurring schedule.",
        commands=("run",),
        api_field="repeat_count",
    ),
    Option(
        name="timezone",
        kind=Kind.TIMEZONE,
        help="IANA time zone for the schedule (the service's own default otherwise).",
        commands=("run",),
        api_field="timezone",
    ),
    Option(
        name="dry_run",
        kind=Kind.BOOL,
        default=False,
        help="Validate, print the request that would be sent (secrets as ***), send nothing.",
        commands=("run",),
    ),
    # Waiting and outputs.
    Option(
        name="wait",
        kind=Kind.BOOL,
        default=True,
        help="Wait for the executions to finish (a scheduled run never waits).",
        commands=("run",),
    ),
    Option(
        name="timeout",
        kind=Kind.FLOAT,
        default=3600.0,
        help="Seconds to wait for all executions before giving up.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="poll_interval",
        kind=Kind.FLOAT,
        default=10.0,
        help="Seconds between status checks as an execution nears its end (>= 0.1).",
        commands=WAIT_COMMANDS,
        minimum=MIN_POLL_INTERVAL,
    ),
    Option(
        name="max_poll_interval",
        kind=Kind.FLOAT,
        default=60.0,
        help="Longest pause between status checks while the end is far.",
        commands=WAIT_COMMANDS,
        minimum=MIN_POLL_INTERVAL,
    ),
    Option(
        name="fail_on_timeout",
        kind=Kind.BOOL,
        default=True,
        help="Exit 4 on timeout (--no-fail-on-timeout: exit 0).",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="allow_empty",
        kind=Kind.BOOL,
        default=False,
        help="Pass an execution the service reports done with no test (default: exit 1).",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="stop_on_timeout",
        kind=Kind.BOOL,
        default=True,
        help="Stop unfinished executions on timeout.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="stop_on_cancel",
        kind=Kind.BOOL,
        default=True,
        help="Stop unfinished executions on SIGINT/SIGTERM (job cancelled).",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="junit_file",
        kind=Kind.PATH,
        default="vibetesting-junit.xml",
        help="JUnit XML to write; empty: none.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="report_file",
        kind=Kind.PATH,
        default="vibetesting-report.pdf",
        help="PDF report to download; empty: none; several executions: NAME-<id>.pdf.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="results_file",
        kind=Kind.PATH,
        default="vibetesting-results.json",
        help="Results JSON to write; empty: none.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="dotenv_file",
        kind=Kind.PATH,
        default="",
        help="GitLab dotenv report to write (artifacts:reports:dotenv); default: none.",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="require_report",
        kind=Kind.BOOL,
        default=False,
        help="Fail (exit 3) when a PDF report cannot be downloaded (default: a warning).",
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="max_report_size",
        kind=Kind.INT,
        default=512,
        help="Largest PDF report to accept, in MiB.",
        commands=WAIT_COMMANDS,
        metavar="MIB",
    ),
    Option(
        name="max_failures",
        kind=Kind.COUNT,
        help=(
            "Pass (exit 0) with at most N tests failed or not done in the final counts; never "
            "turns a timeout, cancel, API error or unreadable answer into a pass."
        ),
        commands=WAIT_COMMANDS,
        maximum=MAX_COUNT,
    ),
    Option(
        name="min_pass_rate",
        kind=Kind.PERCENT,
        help=(
            "Pass (exit 0) when at least P percent of the tests passed in the final counts "
            "(with --max-failures: both must hold)."
        ),
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="retry_failed",
        kind=Kind.COUNT,
        default=0,
        help=(
            f"Retry failed tests up to N times (at most {MAX_RETRIES}), each a new billed run, "
            "within the same --timeout; fails then passes: flaky (exit 0)."
        ),
        commands=("run",),
        maximum=MAX_RETRIES,
    ),
    Option(
        name="retry_failed_whole",
        kind=Kind.BOOL,
        default=False,
        help=(
            "Where failed tests cannot be told apart (a suite, one execution of several tests, "
            "exploration), retry by rerunning the whole run (billed as a full run)."
        ),
        commands=("run",),
    ),
    Option(
        name="comment",
        kind=Kind.BOOL,
        default=False,
        help=(
            "Post the result as one comment on the pull/merge request, edited in place on "
            "later runs (GitHub: github-token; GitLab: GITLAB_TOKEN). Never fails the step."
        ),
        commands=WAIT_COMMANDS,
    ),
    Option(
        name="github_token",
        kind=Kind.TEXT,
        help="GitHub token for --comment (default: GITHUB_TOKEN); needs pull-requests: write.",
        commands=WAIT_COMMANDS,
        secret=True,
        metavar="TOKEN",
        input_default="${{ github.token }}",
    ),
)

OPTIONS_BY_NAME: Mapping[str, Option] = {option.name: option for option in OPTIONS}


def option(name: str) -> Option:
    """The row of the option table called ``name`` (KeyError for an unknown name)."""
    return OPTIONS_BY_NAME[name]


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

    from vibetesting_ci.config.testsfile import nearest

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


# -- options and variables -----------------------------------------------------------------------


def _normalised(value: Any, where: str) -> Any:
    """Option or variable text through the one text normalisation (surrogates)."""
    from vibetesting_ci.safety.text import normalise

    try:
        if isinstance(value, str):
            return normalise(value, from_os=True)
        if isinstance(value, tuple | list):
            return type(value)(
                normalise(v, from_os=True) if isinstance(v, str) else v for v in value
            )
    except ValueError as exc:  # half a surrogate pair, or a byte that is not UTF-8
        raise InputError(f"{where}: {exc}") from None
    return value


class Raw:
    """Resolves each option from the command line, then the environment, with its origin."""

    def __init__(self, cli_values: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.cli = cli_values
        self.environ = environ

    def get(self, name: str) -> tuple[Any, str] | None:
        """The raw value and where it came from (for error messages), or None when unset.
        Text goes through :func:`vibetesting_ci.safety.text.normalise` first (InputError if it
        holds a lone surrogate or a byte that is not UTF-8)."""
        row = OPTIONS_BY_NAME[name]
        value = self.cli.get(name)
        if value is not None and value != ():
            return _normalised(value, row.flag), row.flag
        if row.env in self.environ:
            text = self.environ[row.env]
            if text.strip() or row.kind is Kind.PATH:
                return _normalised(text, row.env), row.env
        return None

    def where(self, name: str) -> str:
        """The flag or variable a set option came from (for error messages)."""
        found = self.get(name)
        return found[1] if found is not None else OPTIONS_BY_NAME[name].flag

    def value(self, name: str) -> Any:
        row = OPTIONS_BY_NAME[name]
        found = self.get(name)
        if found is None:
            return row.default
        raw, where = found
        return row.parse(raw, where)


# -- typed settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiSettings:
    api_url: str
    request_timeout: float
    api_token: str = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"ApiSettings(api_url={self.api_url!r}, request_timeout={self.request_timeout!r}, "
            "api_token='***')"
        )


@dataclass(frozen=True)
class WaitSettings:
    timeout: float
    poll_interval: float
    max_poll_interval: float
    fail_on_timeout: bool
    allow_empty: bool
    stop_on_timeout: bool
    stop_on_cancel: bool
    junit_file: str
    report_file: str
    results_file: str
    dotenv_file: str
    require_report: bool
    max_report_size: int  # MiB
    max_failures: int | None = None  # pass with at most this many tests not passed
    min_pass_rate: float | None = None  # pass with at least this percentage passed
    comment: bool = False
    github_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """What ``run`` sends, typed, and whether it waits. ``body`` builds the request body.

    A suite re-run has ``suite_id`` and none of the fields that describe a new run; a new run
    has an ``execution_type`` (and, guided, its ``tests``)."""

    suite_id: int | None = None
    execution_type: str | None = None
    tests: tuple[TestCase, ...] = ()
    tests_file: str | None = None  # the --tests-file path as given (for the tests' label)
    login_identifier: str | None = None
    login_password: str | None = field(default=None, repr=False)
    general_instructions: str | None = None
    focus_areas: tuple[str, ...] | None = None
    flows_count: int | None = None
    max_steps_per_flow: int | None = None
    send_report: bool | None = None
    stop_existing: bool | None = None
    allow_parallel: bool | None = None
    schedule_at: str | None = None
    repeat: str | None = None
    repeat_count: int | None = None
    timezone: str | None = None
    wait: bool = True
    dry_run: bool = False
    retry_failed: int = 0  # retries of failed tests (retries.py); never sent
    retry_failed_whole: bool = False  # where failures cannot be attributed: rerun the whole run

    @property
    def endpoint(self) -> str:
        """``run-suite`` or ``run-tests``."""
        return "run-suite" if self.suite_id is not None else "run-tests"

    @property
    def test_names(self) -> tuple[str, ...]:
        return tuple(test.name for test in self.tests)

    @property
    def label(self) -> str:
        """The classname of this run's tests in every report (labels.run_label): from the
        suite id, the tests file's path or the kind of run, never from ids or outcomes."""
        import os

        from vibetesting_ci.domain.cases import run_label

        try:
            cwd: str | None = os.getcwd()
        except OSError:  # the working directory was removed: label by the file's name
            cwd = None
        return run_label(
            suite_id=self.suite_id,
            tests_file=self.tests_file,
            guided=self.execution_type == "guided",
            exploration=self.execution_type == "exploration",
            cwd=cwd,
        )

    @property
    def scheduled(self) -> bool:
        return self.schedule_at is not None

    @property
    def body(self) -> dict[str, Any]:
        """The exact JSON body (contains secrets): fields in the option table's order, the
        unset ones left out (the service's defaults apply)."""
        body: dict[str, Any] = {}
        for row in OPTIONS:
            if row.api_field is None or row.api_field in body:
                continue
            value = self._wire_value(row)
            if value is not None:
                body[row.api_field] = list(value) if isinstance(value, tuple) else value
        return body

    def _wire_value(self, row: Option) -> Any:
        if row.api_field == "tests":
            return [test.to_api() for test in self.tests] or None
        if row.api_field == "login":
            if self.login_identifier is None and self.login_password is None:
                return None
            login: dict[str, Any] = {"login_needed": True}
            if self.login_identifier is not None:
                login["identifier"] = self.login_identifier
            if self.login_password is not None:
                login["password"] = self.login_password
            return login
        return getattr(self, row.name)

    def redacted_body(self) -> dict[str, Any]:
        """The body with every secret shown as ``***`` (for --dry-run and logs)."""
        body = self.body
        if "login" in body and "password" in body["login"]:
            body["login"]["password"] = "***"  # noqa: S105 - a mask, not a password
        return body

    def __repr__(self) -> str:
        return (
            f"RunSettings(endpoint={self.endpoint!r}, body={self.redacted_body()!r}, "
            f"wait={self.wait!r}, dry_run={self.dry_run!r}, retry_failed={self.retry_failed!r})"
        )


def api_settings(raw: Raw) -> ApiSettings:
    token = raw.value("api_token")
    if not token:
        raise InputError(
            "no API token: set VIBETESTING_API_TOKEN (or --api-token); find it in the "
            "VibeTesting dashboard's API section"
        )
    api_url = raw.value("api_url")
    allow_insecure = raw.value("allow_insecure_http")  # read (and checked) even when moot
    from urllib.parse import urlsplit

    parts = urlsplit(api_url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or "") and not allow_insecure:
        found = raw.get("api_url")
        where = found[1] if found is not None else "--api-url"
        raise InputError(
            f"{where}: plain http:// to {parts.hostname} would send the API token unencrypted; "
            "use https://, or set --allow-insecure-http (VIBETESTING_ALLOW_INSECURE_HTTP=true) "
            "if you mean it"
        )
    return ApiSettings(
        api_url=api_url,
        request_timeout=raw.value("request_timeout"),
        api_token=token,
    )


def wait_settings(raw: Raw) -> WaitSettings:
    values = {f.name: raw.value(f.name) for f in fields(WaitSettings)}
    if values["max_poll_interval"] < values["poll_interval"]:
        found = raw.get("max_poll_interval")
        if found is None:  # default below a large poll interval: follow the poll interval
            values["max_poll_interval"] = values["poll_interval"]
        else:
            raise InputError(
                f"{found[1]}: must not be below the poll interval "
                f"({plain_number(values['poll_interval'])} seconds)"
            )
    return WaitSettings(**values)


MAX_REQUEST_BYTES = 8 * 1024 * 1024


def _check_body_size(run: RunSettings) -> RunSettings:
    """A trigger request is sent whole: refuse one larger than MAX_REQUEST_BYTES (exit 2)."""
    import json

    size = len(json.dumps(run.body, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > MAX_REQUEST_BYTES:
        raise InputError(
            f"the run's request would be {size} bytes, more than "
            f"{MAX_REQUEST_BYTES // (1024 * 1024)} MiB; send fewer or shorter tests"
        )
    return run


# Options that describe a new run (a suite re-run takes none), and those of a schedule.
_RUN_TESTS_ONLY = (
    "execution_type",
    "tests_file",
    "tests",
    "login_identifier",
    "login_password",
    "general_instructions",
    "focus_areas",
    "flows_count",
    "max_steps_per_flow",
    "stop_existing",
    "allow_parallel",
)
_SCHEDULE_ONLY = ("repeat", "repeat_count", "timezone")
# Every RunSettings field read from an option, in the order they are validated.
_RUN_FIELDS = (
    *(name for name in _RUN_TESTS_ONLY if name not in ("tests_file", "tests")),
    *_SCHEDULE_ONLY,
    "suite_id",
    "send_report",
    "schedule_at",
    "wait",
    "dry_run",
    "retry_failed",
    "retry_failed_whole",
)


def run_settings(raw: Raw) -> RunSettings:
    """Validate every run option, read the tests, and return the typed run. Sends nothing."""
    from vibetesting_ci.config.testsfile import TestsDocument, read_tests

    values = {name: raw.value(name) for name in _RUN_FIELDS}
    if values["schedule_at"] is not None:
        _check_not_past(raw.where("schedule_at"), values["schedule_at"], values["timezone"])

    for name in _SCHEDULE_ONLY:
        if values[name] is not None and values["schedule_at"] is None:
            where = raw.where(name)
            raise InputError(f"{where}: only applies to a scheduled run; add --schedule-at")

    if values["retry_failed"] and (values["schedule_at"] is not None or not values["wait"]):
        why = "--schedule-at" if values["schedule_at"] is not None else "--no-wait"
        raise InputError(
            f"{raw.where('retry_failed')}: retries need a run that is waited for; drop it or {why}"
        )

    if values["suite_id"] is not None:
        given = [found[1] for found in map(raw.get, _RUN_TESTS_ONLY) if found is not None]
        if given:
            raise InputError(
                f"--suite-id re-runs a saved suite and cannot be combined with "
                f"{', '.join(given)} (those describe a new run)"
            )
        return RunSettings(**values)

    document: TestsDocument = read_tests(raw.get("tests_file"), raw.get("tests"))

    # The tests file's run settings sit below options and variables.
    for key, value in document.settings.items():
        if values.get(key) is None:
            values[key] = value

    execution_type = values["execution_type"] or ("guided" if document.tests else None)
    if document.without_tests is not None and execution_type in (None, "guided"):
        raise InputError(
            f"{document.without_tests}: the mapping has no 'tests' key; add 'tests:' with a "
            "list of {name, steps}"
            + (
                ""
                if execution_type
                else " (or execution_type: exploration for a run without tests)"
            )
        )
    if execution_type is None:
        raise InputError(
            "nothing to run: give --tests-file or --tests (a guided run), "
            "--execution-type exploration, or --suite-id"
        )
    if execution_type == "guided" and not document.tests:
        raise InputError(
            "a guided run needs tests: give --tests-file or --tests (a list of {name, steps})"
        )
    if execution_type == "exploration" and document.tests:
        raise InputError(
            "tests only apply to a guided run; drop them or use --execution-type guided"
        )
    values["execution_type"] = execution_type
    _check_login_pair(raw, values)
    found = raw.get("tests_file")
    tests_file = str(found[0]) if found is not None else None
    return _check_body_size(RunSettings(tests=document.tests, tests_file=tests_file, **values))


SCHEDULE_GRACE = timedelta(minutes=1)  # a schedule_at this far in the past is still taken
# A time without an offset is in --timezone, or else in the service's own (unknown) zone: past
# for sure only when it is past even in the westernmost zone, UTC-12.
_WESTERNMOST = timedelta(hours=12)


def _check_not_past(
    where: str, text: str, timezone: str | None, now: datetime | None = None
) -> None:
    """A ``schedule_at`` more than :data:`SCHEDULE_GRACE` in the past is an input error: the
    service would schedule a run that never comes (or start it at once)."""
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    current = now or datetime.now(UTC)
    zone_hint = ""
    if moment.tzinfo is None:
        zone = None
        if timezone:
            import zoneinfo

            try:
                zone = zoneinfo.ZoneInfo(timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # no database: cannot judge
                return
        if zone is not None:
            moment = moment.replace(tzinfo=zone)
            zone_hint = f" in {timezone}"
        else:
            moment = moment.replace(tzinfo=UTC) + _WESTERNMOST
            zone_hint = " in every time zone"
    if moment >= current - SCHEDULE_GRACE:
        return
    raise InputError(
        f"{where}: {text} is in the past{zone_hint} (it is now "
        f"{current.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}); give a future date and time, "
        "or leave it out to start the run now"
    )


def _check_login_pair(raw: Raw, values: Mapping[str, Any]) -> None:
    """A login needs both halves: an identifier without a password (or the reverse) would be
    refused by the service after the run was billed, so it is an input error here."""
    identifier, password = values["login_identifier"], values["login_password"]
    if (identifier is None) == (password is None):
        return
    if password is None:
        found = raw.get("login_identifier")
        where = found[1] if found is not None else "the tests file's login.identifier"
        raise InputError(
            f"{where} is set but no login password: set VIBETESTING_LOGIN_PASSWORD (a CI "
            "secret) or --login-password, or drop the identifier if the app needs no login"
        )
    found = raw.get("login_password")
    where = found[1] if found is not None else "the login password"
    raise InputError(
        f"{where} is set but no login identifier: set VIBETESTING_LOGIN_IDENTIFIER (or "
        "--login-identifier, or login.identifier in the tests file), or drop the password"
    )


def execution_ids(values: tuple[str, ...]) -> tuple[int, ...]:
    """Validate EXECUTION_ID arguments as ``run --no-wait`` prints them: each argument may hold
    several ids separated by commas and/or spaces (``1007,1008``, ``"1007, 1008"``, ``1007
    1008``); each id a positive integer; duplicates dropped, order kept."""
    ids: list[int] = []
    for text in values:
        pieces = [piece for piece in re.split(r"[,\s]+", text) if piece]
        if not pieces:
            raise InputError(
                f"execution id {text!r}: expected a positive whole number "
                "(ids separated by commas or spaces, as run --no-wait prints them)"
            )
        for piece in pieces:
            number = parse_positive_int(piece, f"execution id {piece!r}")
            if number not in ids:
                ids.append(number)
    return tuple(ids)


def execution_id(text: str) -> int:
    """The one EXECUTION_ID argument of ``status`` and ``stop`` (a positive integer)."""
    pieces = [piece for piece in re.split(r"[,\s]+", text) if piece]
    if len(pieces) > 1:
        raise InputError(
            f"execution id {text!r}: this command takes one execution id; "
            "run it once per id (vibetesting wait takes several)"
        )
    return parse_positive_int(pieces[0] if pieces else text, f"execution id {text!r}")
