"""Frozen, typed settings built from options and environment, validated once.

Precedence: command-line option > environment variable > tests file (run settings only) > default.
Every option has a variable (``OPTIONS`` below is the single table the CLI, the README and the
action are checked against). A variable that is set but empty counts as unset, except for the
output paths, where empty means "write no such file" (as ``--junit-file ''`` does).

Nothing here sends a request: every input error is raised here, as an :class:`InputError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from vibetesting_ci.errors import InputError

DEFAULT_API_URL = "https://app.vibetesting.me/api/external/"
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})
REPEATS = ("once", "daily", "weekly")
EXECUTION_TYPES = ("guided", "exploration")
MIN_POLL_INTERVAL = 0.1
# Upper bounds for durations: a larger value is a typo (1e12 s overflows the clock's waits).
MAX_REQUEST_TIMEOUT = 86_400.0  # a day
MAX_SECONDS = 30 * 86_400.0  # thirty days (--timeout, poll intervals)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True)
class Option:
    """One row of the option table: how a setting is named on each surface."""

    name: str  # python name
    flag: str  # primary command-line flag
    env: str
    kind: str  # str, int, float, bool, path, lines, choice, tests
    default: Any
    help: str
    commands: tuple[str, ...]
    api_field: str | None = None
    choices: tuple[str, ...] = ()
    secret: bool = False
    metavar: str | None = None


_API = ("run", "wait", "status", "stop", "cancel-schedule")
_WAIT = ("run", "wait")

OPTIONS: tuple[Option, ...] = (
    Option(
        "api_token",
        "--api-token",
        "VIBETESTING_API_TOKEN",
        "str",
        None,
        "API token from the dashboard's API section (required; prefer the variable).",
        _API,
        secret=True,
        metavar="TOKEN",
    ),
    Option(
        "api_url",
        "--api-url",
        "VIBETESTING_API_URL",
        "url",
        DEFAULT_API_URL,
        "Base URL of the External API.",
        _API,
        metavar="URL",
    ),
    Option(
        "request_timeout",
        "--request-timeout",
        "VIBETESTING_REQUEST_TIMEOUT",
        "float",
        30.0,
        "Seconds one HTTP request may take, all of it (connect, send, the whole answer).",
        _API,
        metavar="SECONDS",
    ),
    Option(
        "allow_insecure_http",
        "--allow-insecure-http",
        "VIBETESTING_ALLOW_INSECURE_HTTP",
        "bool",
        False,
        "Allow a plain http:// --api-url to a host other than loopback (token sent unencrypted).",
        _API,
    ),
    # What the run sends.
    Option(
        "suite_id",
        "--suite-id",
        "VIBETESTING_SUITE_ID",
        "int",
        None,
        "Re-run this suite (POST run-suite/) instead of run-tests/.",
        ("run",),
        "suite_id",
        metavar="INT",
    ),
    Option(
        "execution_type",
        "--execution-type",
        "VIBETESTING_EXECUTION_TYPE",
        "choice",
        None,
        "guided (your tests) or exploration; guided when tests are given.",
        ("run",),
        "execution_type",
        choices=EXECUTION_TYPES,
    ),
    Option(
        "tests_file",
        "--tests-file",
        "VIBETESTING_TESTS_FILE",
        "str",
        None,
        "YAML or JSON file: a list of {name, steps}, or a mapping with tests and run settings.",
        ("run",),
        "tests",
        metavar="PATH",
    ),
    Option(
        "tests",
        "--tests",
        "VIBETESTING_TESTS",
        "str",
        None,
        "The same as --tests-file, inline (YAML or JSON text).",
        ("run",),
        "tests",
        metavar="TEXT",
    ),
    Option(
        "login_identifier",
        "--login-identifier",
        "VIBETESTING_LOGIN_IDENTIFIER",
        "str",
        None,
        "User name or e-mail the agents log in with (sent as login.identifier).",
        ("run",),
        "login",
        metavar="TEXT",
    ),
    Option(
        "login_password",
        "--login-password",
        "VIBETESTING_LOGIN_PASSWORD",
        "str",
        None,
        "Password the agents log in with (prefer the variable; never printed).",
        ("run",),
        "login",
        secret=True,
        metavar="TEXT",
    ),
    Option(
        "general_instructions",
        "--general-instructions",
        "VIBETESTING_GENERAL_INSTRUCTIONS",
        "str",
        None,
        "Global instructions, constraints or known issues for the run.",
        ("run",),
        "general_instructions",
        metavar="TEXT",
    ),
    Option(
        "focus_areas",
        "--focus-area",
        "VIBETESTING_FOCUS_AREAS",
        "lines",
        None,
        "An area to focus on (repeatable; the variable takes one per line).",
        ("run",),
        "focus_areas",
        metavar="TEXT",
    ),
    Option(
        "flows_count",
        "--flows-count",
        "VIBETESTING_FLOWS_COUNT",
        "int",
        None,
        "Number of exploration flows.",
        ("run",),
        "flows_count",
        metavar="INT",
    ),
    Option(
        "max_steps_per_flow",
        "--max-steps-per-flow",
        "VIBETESTING_MAX_STEPS_PER_FLOW",
        "int",
        None,
        "Maximum steps per flow.",
        ("run",),
        "max_steps_per_flow",
        metavar="INT",
    ),
    Option(
        "send_report",
        "--send-report",
        "VIBETESTING_SEND_REPORT",
        "bool",
        None,
        "Ask the service to e-mail a report when done.",
        ("run",),
        "should_send_report",
    ),
    Option(
        "stop_existing",
        "--stop-existing",
        "VIBETESTING_STOP_EXISTING",
        "bool",
        None,
        "Stop executions already running before starting.",
        ("run",),
        "should_stop_existing",
    ),
    Option(
        "allow_parallel",
        "--allow-parallel",
        "VIBETESTING_ALLOW_PARALLEL",
        "bool",
        None,
        "Let the service batch the run into parallel executions.",
        ("run",),
        "allow_parallel",
    ),
    Option(
        "schedule_at",
        "--schedule-at",
        "VIBETESTING_SCHEDULE_AT",
        "datetime",
        None,
        "Schedule instead of starting now (ISO 8601, e.g. 2026-04-04T02:00:00+03:00).",
        ("run",),
        "schedule_at",
        metavar="ISO8601",
    ),
    Option(
        "repeat",
        "--repeat",
        "VIBETESTING_REPEAT",
        "choice",
        None,
        "Recurrence of a scheduled run.",
        ("run",),
        "repeat",
        choices=REPEATS,
    ),
    Option(
        "repeat_count",
        "--repeat-count",
        "VIBETESTING_REPEAT_COUNT",
        "int",
        None,
        "Occurrences of a recurring schedule.",
        ("run",),
        "repeat_count",
        metavar="INT",
    ),
    Option(
        "timezone",
        "--timezone",
        "VIBETESTING_TIMEZONE",
        "timezone",
        None,
        "IANA time zone for the schedule (the service's own default otherwise).",
        ("run",),
        "timezone",
        metavar="IANA",
    ),
    Option(
        "dry_run",
        "--dry-run",
        "VIBETESTING_DRY_RUN",
        "bool",
        False,
        "Validate, print the request that would be sent (secrets as ***), send nothing.",
        ("run",),
    ),
    # Waiting and outputs.
    Option(
        "wait",
        "--wait",
        "VIBETESTING_WAIT",
        "bool",
        True,
        "Wait for the executions to finish (a scheduled run never waits).",
        ("run",),
    ),
    Option(
        "timeout",
        "--timeout",
        "VIBETESTING_TIMEOUT",
        "float",
        3600.0,
        "Seconds to wait for all executions before giving up.",
        _WAIT,
        metavar="SECONDS",
    ),
    Option(
        "poll_interval",
        "--poll-interval",
        "VIBETESTING_POLL_INTERVAL",
        "float",
        10.0,
        "Seconds between status checks as an execution nears its end (>= 0.1).",
        _WAIT,
        metavar="SECONDS",
    ),
    Option(
        "max_poll_interval",
        "--max-poll-interval",
        "VIBETESTING_MAX_POLL_INTERVAL",
        "float",
        60.0,
        "Longest pause between status checks while the end is far.",
        _WAIT,
        metavar="SECONDS",
    ),
    Option(
        "fail_on_timeout",
        "--fail-on-timeout",
        "VIBETESTING_FAIL_ON_TIMEOUT",
        "bool",
        True,
        "Exit 4 on timeout (--no-fail-on-timeout: exit 0).",
        _WAIT,
    ),
    Option(
        "stop_on_timeout",
        "--stop-on-timeout",
        "VIBETESTING_STOP_ON_TIMEOUT",
        "bool",
        True,
        "Stop unfinished executions on timeout.",
        _WAIT,
    ),
    Option(
        "stop_on_cancel",
        "--stop-on-cancel",
        "VIBETESTING_STOP_ON_CANCEL",
        "bool",
        True,
        "Stop unfinished executions on SIGINT/SIGTERM (job cancelled).",
        _WAIT,
    ),
    Option(
        "junit_file",
        "--junit-file",
        "VIBETESTING_JUNIT_FILE",
        "path",
        "vibetesting-junit.xml",
        "JUnit XML to write; empty: none.",
        _WAIT,
        metavar="PATH",
    ),
    Option(
        "report_file",
        "--report-file",
        "VIBETESTING_REPORT_FILE",
        "path",
        "vibetesting-report.pdf",
        "PDF report to download; empty: none; several executions: NAME-<id>.pdf.",
        _WAIT,
        metavar="PATH",
    ),
    Option(
        "results_file",
        "--results-file",
        "VIBETESTING_RESULTS_FILE",
        "path",
        "vibetesting-results.json",
        "Results JSON to write; empty: none.",
        _WAIT,
        metavar="PATH",
    ),
    Option(
        "dotenv_file",
        "--dotenv-file",
        "VIBETESTING_DOTENV_FILE",
        "path",
        "",
        "GitLab dotenv report to write (artifacts:reports:dotenv); default: none.",
        _WAIT,
        metavar="PATH",
    ),
    Option(
        "require_report",
        "--require-report",
        "VIBETESTING_REQUIRE_REPORT",
        "bool",
        False,
        "Fail (exit 3) when a PDF report cannot be downloaded (default: a warning).",
        _WAIT,
    ),
    Option(
        "max_report_size",
        "--max-report-size",
        "VIBETESTING_MAX_REPORT_SIZE",
        "int",
        512,
        "Largest PDF report to accept, in MiB.",
        _WAIT,
        metavar="MIB",
    ),
)

OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}


def parse_bool(text: str, where: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InputError(f"{where}: expected true/false/1/0/yes/no, got {text!r}")


def _positive_int(value: Any, where: str) -> int:
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
        raise InputError(f"{where}: must be at least {minimum:g}, got {value!r}")
    if number > maximum:
        raise InputError(f"{where}: must be at most {maximum:g} seconds, got {value!r}")
    return number


def _datetime(value: str, where: str) -> str:
    text = value.strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise InputError(
            f"{where}: not an ISO 8601 date and time: {text!r} (example: 2026-04-04T02:00:00+03:00)"
        ) from None
    if "T" not in text and " " not in text:
        raise InputError(
            f"{where}: needs a time as well as a date: {text!r} "
            "(example: 2026-04-04T02:00:00+03:00)"
        )
    return text


def _timezone(value: str, where: str) -> str:
    import zoneinfo

    name = value.strip()
    if not re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", name) or ".." in name:
        raise InputError(f"{where}: not an IANA time zone name: {name!r} (example: Europe/Berlin)")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        if not zoneinfo.available_timezones():  # no database here: cannot judge, let it through
            return name
        raise InputError(
            f"{where}: unknown IANA time zone {name!r} (example: America/New_York)"
        ) from None
    return name


def _url(value: str, where: str) -> str:
    from urllib.parse import urlsplit

    from vibetesting_ci.reports.redact import redact_url

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


def convert(option: Option, value: Any, where: str) -> Any:
    """Turn a raw option or variable value into the option's type, or raise InputError."""
    kind = option.kind
    if kind == "bool":
        return value if isinstance(value, bool) else parse_bool(str(value), where)
    if kind == "int":
        return _positive_int(value, where)
    if kind == "float":
        minimum = MIN_POLL_INTERVAL if option.name in ("poll_interval", "max_poll_interval") else 0
        maximum = MAX_REQUEST_TIMEOUT if option.name == "request_timeout" else MAX_SECONDS
        return _positive_float(value, where, minimum, maximum)
    if kind == "choice":
        text = str(value).strip()
        if text not in option.choices:
            raise InputError(f"{where}: must be one of {', '.join(option.choices)}, got {text!r}")
        return text
    if kind == "lines":
        items = list(value) if isinstance(value, tuple | list) else str(value).splitlines()
        cleaned = tuple(item.strip() for item in items if item.strip())
        return cleaned or None
    if kind == "datetime":
        return _datetime(str(value), where)
    if kind == "timezone":
        return _timezone(str(value), where)
    if kind == "url":
        return _url(str(value), where)
    if kind == "path":
        return str(value).strip()
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


class Raw:
    """Resolves each option from the command line, then the environment, with its origin."""

    def __init__(self, cli_values: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.cli = cli_values
        self.environ = environ

    def get(self, name: str) -> tuple[Any, str] | None:
        """The raw value and where it came from (for error messages), or None when unset."""
        option = OPTIONS_BY_NAME[name]
        value = self.cli.get(name)
        if value is not None and value != ():
            return value, option.flag
        if option.env in self.environ:
            text = self.environ[option.env]
            if text.strip() or option.kind == "path":
                return text, option.env
        return None

    def value(self, name: str) -> Any:
        option = OPTIONS_BY_NAME[name]
        found = self.get(name)
        if found is None:
            return option.default
        raw, where = found
        return convert(option, raw, where)


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
    stop_on_timeout: bool
    stop_on_cancel: bool
    junit_file: str
    report_file: str
    results_file: str
    dotenv_file: str
    require_report: bool
    max_report_size: int  # MiB


@dataclass(frozen=True)
class RunSettings:
    """What ``run`` sends and whether it waits."""

    body: dict[str, Any] = field(repr=False)  # the exact JSON body (contains secrets)
    endpoint: str  # "run-tests" or "run-suite"
    test_names: tuple[str, ...]
    wait: bool
    dry_run: bool

    @property
    def scheduled(self) -> bool:
        return "schedule_at" in self.body

    def redacted_body(self) -> dict[str, Any]:
        """The body with every secret shown as ``***`` (for --dry-run and logs)."""
        body = dict(self.body)
        if "login" in body and isinstance(body["login"], dict):
            login = dict(body["login"])
            if "password" in login:
                login["password"] = "***"  # noqa: S105 - a mask, not a password
            body["login"] = login
        return body

    def __repr__(self) -> str:
        return (
            f"RunSettings(endpoint={self.endpoint!r}, body={self.redacted_body()!r}, "
            f"wait={self.wait!r}, dry_run={self.dry_run!r})"
        )


def api_settings(raw: Raw) -> ApiSettings:
    token = raw.value("api_token")
    if not token:
        raise InputError(
            "no API token: set VIBETESTING_API_TOKEN (or --api-token); find it in the "
            "VibeTesting dashboard's API section"
        )
    api_url = raw.value("api_url")
    from urllib.parse import urlsplit

    parts = urlsplit(api_url)
    if (
        parts.scheme == "http"
        and not is_loopback(parts.hostname or "")
        and not raw.value("allow_insecure_http")
    ):
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
                f"{found[1]}: must not be below the poll interval ({values['poll_interval']:g} s)"
            )
    _distinct_outputs(raw, values)
    return WaitSettings(**values)


def _distinct_outputs(raw: Raw, values: Mapping[str, Any]) -> None:
    """Two outputs in one file would overwrite each other: an input error (exit 2)."""
    import os

    seen: dict[str, str] = {}
    names = ("junit_file", "report_file", "results_file", "dotenv_file")
    paths: list[tuple[str, str]] = [
        ((raw.get(n) or (None, OPTIONS_BY_NAME[n].flag))[1], values[n])
        for n in names
        if values.get(n)
    ]
    if raw.environ.get("GITHUB_ACTIONS", "").lower() == "true":
        for variable in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            if raw.environ.get(variable):
                paths.append((variable, raw.environ[variable]))
    for label, path in paths:
        key = os.path.normcase(os.path.realpath(path))
        if key in seen:
            raise InputError(
                f"{label} and {seen[key]} name the same file ({path!r}); give each output its own"
            )
        seen[key] = label


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


def run_settings(raw: Raw) -> RunSettings:
    """Validate every run option and build the exact request body. Sends nothing."""
    from vibetesting_ci.testsfile import TestsDocument, load_tests_file, parse_tests

    values = {name: raw.value(name) for name in (*_RUN_TESTS_ONLY, *_SCHEDULE_ONLY)}
    for name in ("suite_id", "send_report", "schedule_at", "wait", "dry_run"):
        values[name] = raw.value(name)

    for name in _SCHEDULE_ONLY:
        if values[name] is not None and values["schedule_at"] is None:
            where = raw.get(name)
            assert where is not None
            raise InputError(f"{where[1]}: only applies to a scheduled run; add --schedule-at")

    if values["suite_id"] is not None:
        mixed = [raw.get(name) for name in _RUN_TESTS_ONLY]
        given = [found[1] for found in mixed if found is not None]
        if given:
            raise InputError(
                f"--suite-id re-runs a saved suite and cannot be combined with "
                f"{', '.join(given)} (those describe a new run)"
            )
        body: dict[str, Any] = {"suite_id": values["suite_id"]}
        _optional(body, values, "send_report", "schedule_at", *_SCHEDULE_ONLY)
        return RunSettings(
            body=body,
            endpoint="run-suite",
            test_names=(),
            wait=values["wait"],
            dry_run=values["dry_run"],
        )

    if values["tests_file"] is not None and values["tests"] is not None:
        raise InputError("--tests-file and --tests both given: use one")
    document = TestsDocument()
    if values["tests_file"] is not None:
        if not values["tests_file"].strip():
            raise InputError(f"{raw.get('tests_file')[1]}: is empty")  # type: ignore[index]
        document = load_tests_file(values["tests_file"])
    elif values["tests"] is not None:
        found = raw.get("tests")
        assert found is not None
        document = parse_tests(values["tests"], found[1])

    # The tests file's run settings sit below options and variables.
    for key, value in document.settings.items():
        if values.get(key) is None:
            values[key] = value

    execution_type = values["execution_type"] or ("guided" if document.tests else None)
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

    body = {"execution_type": execution_type}
    if document.tests:
        body["tests"] = [test.to_api() for test in document.tests]
    if values["login_identifier"] is not None or values["login_password"] is not None:
        login: dict[str, Any] = {"login_needed": True}
        if values["login_identifier"] is not None:
            login["identifier"] = values["login_identifier"]
        if values["login_password"] is not None:
            login["password"] = values["login_password"]
        body["login"] = login
    _optional(
        body,
        values,
        "general_instructions",
        "focus_areas",
        "flows_count",
        "max_steps_per_flow",
        "send_report",
        "stop_existing",
        "allow_parallel",
        "schedule_at",
        *_SCHEDULE_ONLY,
    )
    _check_body_size(body)
    return RunSettings(
        body=body,
        endpoint="run-tests",
        test_names=tuple(test.name for test in document.tests),
        wait=values["wait"],
        dry_run=values["dry_run"],
    )


MAX_REQUEST_BYTES = 8 * 1024 * 1024


def _check_body_size(body: Mapping[str, Any]) -> None:
    """A trigger request is sent whole: refuse one larger than MAX_REQUEST_BYTES (exit 2)."""
    import json

    size = len(json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > MAX_REQUEST_BYTES:
        raise InputError(
            f"the run's request would be {size} bytes, more than "
            f"{MAX_REQUEST_BYTES // (1024 * 1024)} MiB; send fewer or shorter tests"
        )


def _optional(body: dict[str, Any], values: Mapping[str, Any], *names: str) -> None:
    for name in names:
        value = values.get(name)
        if value is None:
            continue
        api_field = OPTIONS_BY_NAME[name].api_field
        assert api_field is not None
        body[api_field] = list(value) if isinstance(value, tuple) else value


def execution_ids(values: tuple[str, ...]) -> tuple[int, ...]:
    """Validate EXECUTION_ID arguments (positive integers, duplicates dropped, order kept)."""
    ids: list[int] = []
    for text in values:
        number = _positive_int(text, f"execution id {text!r}")
        if number not in ids:
            ids.append(number)
    return tuple(ids)
