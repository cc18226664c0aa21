"""``vibetesting emulator``: run the VibeTesting API emulator in the foreground."""

from __future__ import annotations

import ipaddress
import json
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import click

from vibetesting_ci.emulator.faults import ANY, ENDPOINTS, KINDS, Fault, coerce_faults, parse_fault
from vibetesting_ci.emulator.model import BUILTIN_SUITES, FAIL, MARKERS, MISSING_SUITE_ID, PACES
from vibetesting_ci.emulator.server import DEFAULT_TOKEN, EmulatorServer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_TEST_SECONDS = 2.0


def _wrapped(words: list[str], first: str, rest: str, width: int = 76) -> list[str]:
    import textwrap

    return textwrap.wrap(
        " ".join(words),
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
    )


def _suite_lines() -> list[str]:
    """One line per built-in suite, from the suites themselves (they cannot drift apart)."""
    lines = []
    for suite_id, suite in BUILTIN_SUITES.items():
        tests = [test for group in suite.executions for test in group]
        text = f'  {suite_id:<6}"{suite.name}": {len(tests)} tests'
        if len(suite.executions) > 1:
            text += f" in {len(suite.executions)} executions"
        failing = sum(test.outcome == FAIL for test in tests)
        flaky = sum(test.flaky > 0 for test in tests)
        text += "".join(
            (
                f", {failing} failing" if failing else "",
                f", {flaky} [flaky]" if flaky else "",
                ", all pass" if not failing and not flaky else "",
            )
        )
        lines.append(text)
    lines.append(f'  {MISSING_SUITE_ID:<6}HTTP 404 "Suite not found"')
    lines.append('  other "Suite <id>": 2 passing tests (--pace realistic: 1-8)')
    return lines


def _epilog() -> str:
    width = max(len(marker) for marker in MARKERS)
    markers = [f"  {marker:<{width}}  {what}" for marker, what in MARKERS.items()]
    kinds = _wrapped(sorted(KINDS), "  kinds: ", "         ")
    endpoints = " ".join((*ENDPOINTS, ANY))
    return "\n".join(
        [
            "\b",
            "Examples:",
            "  vibetesting emulator --port 8765 --token demo",
            "  vibetesting emulator --port 0 --test-seconds 0.2 "
            "--fault execution-status:html500:times=3",
            "  vibetesting emulator --scenario slow-service.yml",
            "",
            "\b",
            "Then, in another shell:",
            "  export VIBETESTING_API_URL=http://127.0.0.1:8765/api/external/ "
            "VIBETESTING_API_TOKEN=demo",
            "  vibetesting run --tests-file examples/tests.yml",
            "",
            "\b",
            "Outcomes are steered by markers in test names (guided runs, any case):",
            *markers,
            "  anything else passes. Exploration runs pass unless general_instructions",
            "  holds [fail], [hang] or [flaky] (then so does the last flow).",
            "",
            "\b",
            "Suites (run-suite, by suite_id):",
            *_suite_lines(),
            "",
            "\b",
            "Faults (--fault ENDPOINT:KIND[:key=value,...], repeatable):",
            f"  endpoints: {endpoints}",
            *kinds,
            "  keys: times (0 = forever, default 1), after, retry_after, seconds,",
            "        status, state, mib, count, target, drop (patch: NAME+NAME),",
            "        fields (patch: a JSON object set in the answer; last)",
            "  e.g. execution-status:html500:times=3   run-tests:429:retry_after=1",
            '       execution-status:patch:times=0,fields={"number_of_tests": null}',
            "",
            "\b",
            "Scenario file (YAML or JSON): host, port, token, test_seconds, seed, pace,",
            "report_host, faults (list of SPEC strings or mappings). Command-line options",
            "and environment variables win over the file.",
            "",
            "See docs/emulator.md for details.",
        ]
    )


_SCENARIO_KEYS = {
    "host",
    "port",
    "token",
    "test_seconds",
    "seed",
    "pace",
    "report_host",
    "faults",
}


def load_scenario(path: str) -> dict[str, Any]:
    """Read a YAML/JSON scenario file into validated settings (faults become Fault objects)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {path}: {exc.strerror or exc}", param_hint="--scenario"
        ) from None
    try:
        if file.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # YAML and JSON errors both say where
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise click.BadParameter(f"{path} is not valid: {first}", param_hint="--scenario") from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise click.BadParameter(f"{path} must hold a mapping of settings", param_hint="--scenario")
    settings = {str(k).replace("-", "_"): v for k, v in data.items()}
    unknown = set(settings) - _SCENARIO_KEYS
    if unknown:
        raise click.BadParameter(
            f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(_SCENARIO_KEYS))}",
            param_hint="--scenario",
        )
    faults = settings.get("faults") or []
    if not isinstance(faults, list):
        raise click.BadParameter(f"{path}: faults must be a list", param_hint="--scenario")
    try:
        settings["faults"] = coerce_faults(faults)
    except (ValueError, TypeError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--scenario") from None
    for key, kind in (("port", int), ("seed", int), ("test_seconds", float)):
        if key in settings:
            value = settings[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise click.BadParameter(f"{path}: {key} must be a number", param_hint="--scenario")
            settings[key] = kind(value)
    for key in ("host", "token", "pace", "report_host"):
        if key in settings and not isinstance(settings[key], str):
            raise click.BadParameter(f"{path}: {key} must be a string", param_hint="--scenario")
    return settings


def _parse_faults(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[Fault]:
    try:
        return [parse_fault(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _explicit(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source in (
        click.core.ParameterSource.COMMANDLINE,
        click.core.ParameterSource.ENVIRONMENT,
    )


@click.command(
    "emulator",
    epilog=_epilog(),
    short_help="Run a local VibeTesting API emulator for trying pipelines.",
)
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    envvar="VIBETESTING_EMULATOR_HOST",
    help="Address to listen on. Keep it on loopback; others get a warning.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    envvar="VIBETESTING_EMULATOR_PORT",
    help="Port to listen on; 0 picks a free one (the URL is printed first).",
)
@click.option(
    "--token",
    default=DEFAULT_TOKEN,
    show_default=True,
    envvar="VIBETESTING_EMULATOR_TOKEN",
    help="API token the emulator accepts (header or ?api-key=).",
)
@click.option(
    "--test-seconds",
    type=click.FloatRange(min=0),
    default=DEFAULT_TEST_SECONDS,
    show_default=True,
    envvar="VIBETESTING_EMULATOR_TEST_SECONDS",
    help="About how long each test takes.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    envvar="VIBETESTING_EMULATOR_SEED",
    help="Seed for the deterministic timing jitter.",
)
@click.option(
    "--pace",
    type=click.Choice(PACES),
    default="steady",
    show_default=True,
    envvar="VIBETESTING_EMULATOR_PACE",
    help="steady: ~test-seconds per test; realistic: 0.5x-2x and varied test counts.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    callback=_parse_faults,
    metavar="SPEC",
    help="Inject a fault, e.g. execution-status:html500:times=3 (repeatable).",
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    envvar="VIBETESTING_EMULATOR_SCENARIO",
    help="YAML/JSON file with the same settings and a list of faults.",
)
@click.option(
    "--report-host",
    default=None,
    envvar="VIBETESTING_EMULATOR_REPORT_HOST",
    help="Host name put in report links (default: the Host the client used).",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not log requests to stderr.")
@click.pass_context
def emulator_command(
    ctx: click.Context,
    host: str,
    port: int,
    token: str,
    test_seconds: float,
    seed: int,
    pace: str,
    faults: list[Fault],
    scenario: str | None,
    report_host: str | None,
    quiet: bool,
) -> None:
    """Run a local emulator of the VibeTesting External API until SIGINT/SIGTERM.

    Point the CLI at it with --api-url (the printed URL) and --api-token (the token).
    Runs are simulated from the clock; nothing leaves this machine.
    """
    settings: dict[str, Any] = {}
    if scenario:
        settings = load_scenario(scenario)
    given = {
        "host": host,
        "port": port,
        "token": token,
        "test_seconds": test_seconds,
        "seed": seed,
        "pace": pace,
        "report_host": report_host,
    }
    for key, value in given.items():
        if key not in settings or _explicit(ctx, key):
            settings[key] = value
    if settings["pace"] not in PACES:
        raise click.BadParameter(f"pace must be one of {', '.join(PACES)}", param_hint="pace")
    if not settings["token"]:
        raise click.BadParameter("the token must not be empty", param_hint="--token")
    all_faults = [*settings.get("faults", []), *faults]

    def log(line: str) -> None:
        click.echo(line, err=True)

    if not _is_loopback(settings["host"]):
        click.echo(
            f"warning: listening on {settings['host']}, not loopback: anyone who can reach "
            "this address can use the emulator",
            err=True,
        )
    try:
        server = EmulatorServer(
            host=settings["host"],
            port=settings["port"],
            token=settings["token"],
            test_seconds=settings["test_seconds"],
            seed=settings["seed"],
            faults=all_faults,
            pace=settings["pace"],
            report_host=settings["report_host"],
            log=None if quiet else log,
        ).start()
    except OSError as exc:
        click.echo(
            f"error: cannot listen on {settings['host']}:{settings['port']}: {exc.strerror or exc}",
            err=True,
        )
        ctx.exit(2)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(2)

    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        click.echo(f"VibeTesting emulator listening on {server.url} (token: {server.token})")
        sys.stdout.flush()
        if not quiet:
            for fault in all_faults:
                log(f"fault: {fault.describe()}")
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not quiet:
        name = signal.Signals(received[0]).name if received else "stop"
        log(f"emulator stopped ({name}); {server.runs_created} executions were created")
