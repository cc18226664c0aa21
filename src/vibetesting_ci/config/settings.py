"""Frozen, typed settings built from options and environment, validated once.

Precedence: command-line option > environment variable > tests file (run settings only) > default
(``config/sources.py``). The options themselves are declared in the option table
(``config/options.py``) and parsed by their kind (``config/kinds.py``).

:class:`RunSettings` is what ``run`` sends, typed; its ``body`` is the one place the request
body is built. Nothing here sends a request. Reading the tests files, and the rest of tests
as code (variables, selection, shards, the target URL), is ``config/assemble.py``'s job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from vibetesting_ci.config.kinds import Option, is_loopback, parse_positive_int, plain_number
from vibetesting_ci.config.labels import ROOT, file_label, run_label
from vibetesting_ci.config.options import OPTIONS, TESTS_AS_CODE
from vibetesting_ci.config.sources import Raw
from vibetesting_ci.errors import InputError
from vibetesting_ci.vocabulary import Endpoint, ExecutionType

if TYPE_CHECKING:  # pragma: no cover
    from vibetesting_ci.config.assemble import Assembled
    from vibetesting_ci.config.merge import SourcedTest


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
    tests: tuple[SourcedTest, ...] = ()  # steps filled in (config/assemble.py)
    login_identifier: str | None = None
    login_password: str | None = field(default=None, repr=False)
    target_url: str | None = None  # sent as a sentence before the general instructions
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
    retry_failed: int = 0  # retries of failed tests (run/retries.py); never sent
    retry_failed_whole: bool = False  # where failures cannot be attributed: rerun the whole run
    # The classname of this run's tests in every report (config.labels.run_label), computed
    # once by run_settings(): from the suite id, the tests file's path or the kind of run,
    # never from ids or outcomes. Never sent. A test from a tests file has its own file's
    # classname (``SourcedTest.classname``); this one names the cases that name no test.
    label: str = ""
    # Tests as code, for people (never sent): the texts with secret variables as *** and a
    # password in the target URL as ***; what the run says about its tests before it starts
    # (files, selection, shard, target URL), and the dry run's longer form; warnings about the
    # input; and, when the shard holds no test, the line that says so (nothing is sent).
    shown: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    dry_run_notes: tuple[str, ...] = ()
    input_warnings: tuple[str, ...] = ()
    empty_shard: str | None = None

    @property
    def endpoint(self) -> Endpoint:
        """``run-suite`` or ``run-tests``."""
        return Endpoint.RUN_SUITE if self.suite_id is not None else Endpoint.RUN_TESTS

    @property
    def test_names(self) -> tuple[str, ...]:
        return tuple(test.name for test in self.tests)

    @property
    def classnames(self) -> dict[str, str]:
        """Test name -> its JUnit classname, for the tests whose classname is not the run's
        label (a run from several files: each test's from its own file). Names are unique."""
        return {t.name: t.classname for t in self.tests if t.classname not in ("", self.label)}

    @property
    def target_url_shown(self) -> str | None:
        """The target URL as every output shows it (secret variables and a password as ***)."""
        if self.target_url is None:
            return None
        shown = self.shown.get("target_url")
        if shown is not None:
            return str(shown)
        from vibetesting_ci.safety.redact import redact_credentials

        return redact_credentials(self.target_url)

    @property
    def scheduled(self) -> bool:
        return self.schedule_at is not None

    @property
    def body(self) -> dict[str, Any]:
        """The exact JSON body (contains secrets): fields in the option table's order, the
        unset ones left out (the service's defaults apply)."""
        return self._body(shown=False)

    def _body(self, *, shown: bool) -> dict[str, Any]:
        run = self._shown() if shown else self
        body: dict[str, Any] = {}
        for row in OPTIONS:
            if row.api_field is None or row.api_field in body:
                continue
            value = run._wire_value(row, shown=shown)
            if value is not None:
                body[row.api_field] = list(value) if isinstance(value, tuple) else value
        return body

    def _shown(self) -> RunSettings:
        """This run with its texts as people may see them (``shown``)."""
        texts = {k: v for k, v in self.shown.items() if getattr(self, k, None) is not None}
        return replace(self, **texts) if texts else self

    def _wire_value(self, row: Option, *, shown: bool = False) -> Any:
        if row.api_field == "tests":
            return [test.to_api(shown=shown) for test in self.tests] or None
        if row.api_field == "general_instructions":
            from vibetesting_ci.config.target import with_target

            return with_target(self.target_url, self.general_instructions)
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
        """The body with every secret shown as ``***`` (for --dry-run and logs): the login
        password, and the secret variables in the texts they fill."""
        body = self._body(shown=True)
        if "login" in body and "password" in body["login"]:
            body["login"]["password"] = "***"  # noqa: S105 - a mask, not a password
        return body

    def __repr__(self) -> str:
        return (
            f"RunSettings(endpoint={self.endpoint.value!r}, body={self.redacted_body()!r}, "
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
    "target_url",
    *(name for name in TESTS_AS_CODE if name != "secret_vars"),
)
_SCHEDULE_ONLY = ("repeat", "repeat_count", "timezone")
# Every RunSettings field read from an option, in the order they are validated.
_RUN_FIELDS = (
    *(name for name in _RUN_TESTS_ONLY if name not in ("tests_file", "tests", *TESTS_AS_CODE)),
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
    from vibetesting_ci.config.assemble import assemble

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
        return RunSettings(**values, label=_label(values["suite_id"], None, None))

    assembled = assemble(raw)
    # The tests files' run settings sit below options and variables (assemble leaves out those
    # an option sets); the texts are filled in, the options' own as well.
    for key, value in assembled.settings.items():
        if values.get(key) is None:
            values[key] = value
    values.update(assembled.texts)

    tests = assembled.tests
    sent_tests = bool(tests) or assembled.empty_shard is not None
    execution_type = values["execution_type"] or (
        ExecutionType.GUIDED.value if sent_tests else None
    )
    if assembled.without_tests is not None and execution_type in (None, ExecutionType.GUIDED):
        raise InputError(
            f"{assembled.without_tests}: the mapping has no 'tests' key; add 'tests:' with a "
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
    if execution_type == ExecutionType.GUIDED and not sent_tests:
        raise InputError(
            "a guided run needs tests: give --tests-file or --tests (a list of {name, steps})"
        )
    if execution_type == ExecutionType.EXPLORATION and sent_tests:
        raise InputError(
            "tests only apply to a guided run; drop them or use --execution-type guided"
        )
    values["execution_type"] = execution_type
    _check_login_pair(raw, values)
    label, tests = _labels(assembled, tests, execution_type)
    return _check_body_size(
        RunSettings(
            tests=tests,
            label=label,
            shown=dict(assembled.shown),
            notes=assembled.lines(),
            dry_run_notes=assembled.lines(dry_run=True),
            input_warnings=assembled.warnings,
            empty_shard=assembled.empty_shard,
            **values,
        )
    )


def _cwd() -> str | None:
    import os

    try:
        return os.getcwd()
    except OSError:  # the working directory was removed: label by the file's name
        return None


def _labels(
    assembled: Assembled, tests: tuple[SourcedTest, ...], execution_type: str
) -> tuple[str, tuple[SourcedTest, ...]]:
    """The run's label and its tests, each with its own file's classname: one file labels the
    run as before; several label the cases that name no test by their common folder."""
    from vibetesting_ci.config.assemble import common_folder

    cwd = _cwd()
    files = assembled.files
    if len(files) > 1:
        folder = common_folder(files)
        label = f"{ROOT}.{file_label(folder, cwd)}" if folder else f"{ROOT}.tests"
    else:
        label = _label(None, files[0] if files else None, execution_type)
    named = tuple(
        replace(t, classname=f"{ROOT}.{file_label(t.file, cwd)}" if t.file else label)
        for t in tests
    )
    return label, named


def _label(suite_id: int | None, tests_file: str | None, execution_type: str | None) -> str:
    """The run's label (config.labels.run_label), relative to the working folder."""
    cwd = _cwd()
    return run_label(
        suite_id=suite_id,
        tests_file=tests_file,
        guided=execution_type == ExecutionType.GUIDED,
        exploration=execution_type == ExecutionType.EXPLORATION,
        cwd=cwd,
    )


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
