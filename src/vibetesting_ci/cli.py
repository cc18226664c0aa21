"""The thin click layer: options in, exit code out. The work happens in ``runner``.

Options are generated from ``config.options.OPTIONS`` (the single table of names, variables and
defaults), so the CLI, the README and ``action.yml`` cannot drift apart unnoticed. Heavy modules
(requests, YAML, the emulator) are imported only by the commands that use them, so ``--help``,
``--version`` and input errors stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar, NoReturn

import click

from vibetesting_ci import __version__
from vibetesting_ci.config.kinds import Kind, Option, plain_number
from vibetesting_ci.config.options import OPTIONS
from vibetesting_ci.config.sources import Raw
from vibetesting_ci.errors import ExitCode, VibetestingError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _help_for(option: Option) -> str:
    default = option.default
    if option.kind is Kind.BOOL and default is None:
        shown = "the service's default"
    elif default is None:
        shown = ""
    elif option.kind is Kind.BOOL:
        shown = "yes" if default else "no"
    elif default == "":
        shown = "none"
    else:
        shown = plain_number(default) if isinstance(default, float) else str(default)
    tail = f" [env: {option.env}" + (f"; default: {shown}]" if shown else "]")
    return option.help + tail


def _click_option(option: Option) -> Callable[[Any], Any]:
    flag = option.flag
    if option.kind is Kind.BOOL:
        name = flag[2:]
        return click.option(
            f"--{name}/--no-{name}", option.name, default=None, help=_help_for(option)
        )
    kwargs: dict[str, Any] = {"default": None, "help": _help_for(option), "metavar": option.metavar}
    if option.kind is Kind.CHOICE:
        kwargs["metavar"] = "[" + "|".join(option.choices) + "]"
        kwargs["shell_complete"] = _complete_choices(option.choices)
    elif option.metavar == "PATH":
        kwargs["shell_complete"] = _complete_files
    if option.kind is Kind.LINES:
        kwargs["multiple"] = True
    return click.option(flag, option.name, type=str, **kwargs)


def _complete_choices(
    choices: tuple[str, ...],
) -> Callable[[click.Context, click.Parameter, str], list[Any]]:
    def complete(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        return [CompletionItem(c) for c in choices if c.startswith(incomplete)]

    return complete


def _complete_files(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[Any]:
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]


def options_for(command: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed([o for o in OPTIONS if command in o.commands and o.cli]):
            func = _click_option(option)(func)
        return func

    return decorate


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("-v", "--verbose", is_flag=True, help="Log each request (never secrets).")(
        func
    )
    return click.option("-q", "--quiet", is_flag=True, help="Print only errors and the result.")(
        func
    )


def _context(quiet: bool, verbose: bool, values: dict[str, Any]) -> Any:
    """Detect the CI system and mask the secrets before anything else is printed."""
    from vibetesting_ci.publish.ci import detect
    from vibetesting_ci.run.context import Context
    from vibetesting_ci.safety import scrub
    from vibetesting_ci.safety.guard import guard_std_streams

    guard_std_streams()  # no line of service text can pose as a workflow command
    adapter = detect(os.environ)
    raw = Raw(values, os.environ)
    secrets: list[str] = []
    for name in (o.name for o in OPTIONS if o.secret and o.kind is not Kind.LINES):
        try:
            found = raw.get(name)
        except VibetestingError:  # not valid text: refused (without the value) in the command
            continue
        if found is not None and str(found[0]).strip():
            secrets.append(str(found[0]))
            adapter.mask(str(found[0]).strip())
    for url_password in (_url_password(raw, "api_url"), _url_password(raw, "target_url")):
        if url_password:
            secrets.append(url_password)
            adapter.mask(url_password)
    # Secret variables (VIBETESTING_SECRET_<NAME>, VIBETESTING_SECRET_VARS): every value,
    # read leniently; a malformed line is the run's input error, said without its text.
    from vibetesting_ci.config.variables import secret_values

    for value in secret_values(os.environ):
        secrets.append(value)
        adapter.mask(value)
    # From here on, whatever is printed (the CommandGuard on stdout and stderr) or written to a
    # file is scrubbed of these values, whoever wrote them: the service may echo a secret in a
    # reason or a detailed status.
    scrub.reset()
    scrub.register(*secrets)
    return Context(adapter=adapter, quiet=quiet, verbose=verbose and not quiet)


def _url_password(raw: Raw, name: str) -> str | None:
    """The password in ``--api-url https://user:pass@host/`` (a secret like the token), or
    in the target URL given as an option or variable (not a ``${NAME}``: that is a secret
    variable's, masked as such)."""
    try:
        found = raw.get(name)
    except VibetestingError:
        return None
    if found is None or "@" not in str(found[0]):
        return None
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(str(found[0]).strip()).password
    except ValueError:
        return None
    if not password or "${" in password:
        return None
    return unquote(password)


def _guard(ctx: Any, work: Callable[[], int]) -> int:
    """Run a command; an expected failure becomes one line and its exit code."""
    try:
        return work()
    except VibetestingError as exc:
        ctx.adapter.error(str(exc))
        return int(exc.exit_code)
    except KeyboardInterrupt:
        ctx.adapter.error("interrupted")
        return int(ExitCode.SIGINT)


def _execute(
    quiet: bool, verbose: bool, values: dict[str, Any], work: Callable[[Any, Raw], int]
) -> NoReturn:
    """Mask secrets, run ``work(context, raw_values)`` under the guard, exit with its code."""
    ctx = _context(quiet, verbose, values)
    raise SystemExit(_guard(ctx, lambda: work(ctx, Raw(values, os.environ))))


class LazyGroup(click.Group):
    """Imports the emulator command only when it is run, not when help lists it."""

    lazy: ClassVar[dict[str, tuple[str, str, str]]] = {
        "emulator": (
            "vibetesting_ci.emulator.command",
            "emulator_command",
            "Serve a local VibeTesting API emulator on loopback.",
        )
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:  # for listings: a stand-in with the short help only
            return click.Command(cmd_name, help=self.lazy[cmd_name][2])
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in self.lazy:
            import importlib

            module, attr, _ = self.lazy[args[0]]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return args[0], command, args[1:]
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="vibetesting")
def cli() -> None:
    """Run VibeTesting AI test runs from CI: trigger, wait, write JUnit and the PDF report,
    and exit with the verdict.

    \b
    Quick start (token from the dashboard's API section):
      export VIBETESTING_API_TOKEN=...
      vibetesting run --tests-file tests.yml

    \b
    Try it without the service (a local emulator):
      vibetesting emulator --port 8765 --token demo &
      VIBETESTING_API_URL=http://127.0.0.1:8765/api/external/ VIBETESTING_API_TOKEN=demo \\
        vibetesting run --tests "[{name: smoke, steps: open the home page}]"

    Exit codes: 0 passed / triggered / scheduled, 1 failed tests, 2 bad input (nothing sent),
    3 API refused or unreachable, 4 timed out, 130/143 cancelled by SIGINT/SIGTERM.
    Every option has a VIBETESTING_* variable; options win over variables. See
    'vibetesting COMMAND --help' for each command's options and examples.

    \b
    Shell completion (bash; zsh and fish: zsh_source, fish_source):
      eval "$(_VIBETESTING_COMPLETE=bash_source vibetesting)"
    """


@cli.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  vibetesting run --tests-file examples/tests.yml
  vibetesting run --suite-id 42 --timeout 1800
  vibetesting run --tests-file tests.yml --schedule-at 2030-04-04T02:00:00+03:00 --repeat weekly
  vibetesting run --execution-type exploration --flows-count 3 --no-wait
  vibetesting run --tests-file tests.yml --dry-run
  vibetesting run --tests-file tests.yml --grep signup --target-url https://pr-7.example.com/
  vibetesting run --tests-file examples/ --tag smoke --var ORDER=A-17 --shard 1/2

\b
Secret variables for ${NAME} come from the environment only: VIBETESTING_SECRET_<NAME>, or
VIBETESTING_SECRET_VARS with NAME=VALUE lines (masked, sent only where they are used).""",
)
@options_for("run")
@output_options
def run(quiet: bool, verbose: bool, **values: Any) -> None:
    """Start a run (or a saved suite), wait until it is done, write the results."""

    def work(ctx: Any, raw: Raw) -> int:
        from vibetesting_ci.config import settings

        api = settings.api_settings(raw)
        run_settings = settings.run_settings(raw)
        wait = settings.wait_settings(raw)
        from vibetesting_ci.run import runner  # after the checks: an input error stays light

        return runner.run_command(ctx, api, run_settings, wait)

    _execute(quiet, verbose, values, work)


@cli.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  vibetesting wait 123 124 --timeout 1800
  vibetesting wait 123,124
  vibetesting wait 123 --junit-file out/junit.xml --report-file out/report.pdf""",
)
@click.argument("execution_ids", nargs=-1, required=True, metavar="EXECUTION_ID...")
@options_for("wait")
@output_options
def wait(execution_ids: tuple[str, ...], quiet: bool, verbose: bool, **values: Any) -> None:
    """Wait for executions started elsewhere; same files and exit codes as run.

    EXECUTION_ID...: one or more ids, separated by spaces or commas (as run --no-wait prints
    them: execution_ids=123,124).
    """

    def work(ctx: Any, raw: Raw) -> int:
        from vibetesting_ci.config import settings

        ids = settings.execution_ids(execution_ids)
        api = settings.api_settings(raw)
        wait_settings = settings.wait_settings(raw)
        from vibetesting_ci.run import runner  # after the checks: an input error stays light

        return runner.wait_command(ctx, api, ids, wait_settings)

    _execute(quiet, verbose, values, work)


@cli.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  vibetesting status 123
  vibetesting status 123 --json | jq .execution_state""",
)
@click.argument("execution_id", metavar="EXECUTION_ID")
@click.option("--json", "as_json", is_flag=True, help="Print the service's answer as it came.")
@options_for("status")
@output_options
def status(execution_id: str, as_json: bool, quiet: bool, verbose: bool, **values: Any) -> None:
    """Show an execution's state and counts (one status call)."""

    def work(ctx: Any, raw: Raw) -> int:
        from vibetesting_ci.config import settings

        number = settings.execution_id(execution_id)
        api = settings.api_settings(raw)
        from vibetesting_ci.run import runner  # after the checks: an input error stays light

        return runner.status_command(ctx, api, number, as_json)

    _execute(quiet, verbose, values, work)


@cli.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExample:\n  vibetesting stop 123",
)
@click.argument("execution_id", metavar="EXECUTION_ID")
@options_for("stop")
@output_options
def stop(execution_id: str, quiet: bool, verbose: bool, **values: Any) -> None:
    """Stop a running execution."""

    def work(ctx: Any, raw: Raw) -> int:
        from vibetesting_ci.config import settings

        number = settings.execution_id(execution_id)
        api = settings.api_settings(raw)
        from vibetesting_ci.run import runner  # after the checks: an input error stays light

        return runner.stop_command(ctx, api, number)

    _execute(quiet, verbose, values, work)


@cli.command(
    "cancel-schedule",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExample:\n  vibetesting cancel-schedule 3f2b9c1e-0d7a-4c55-9a43-1b2c3d4e5f60",
)
@click.argument("schedule_id", metavar="SCHEDULE_ID")
@options_for("cancel-schedule")
@output_options
def cancel_schedule(schedule_id: str, quiet: bool, verbose: bool, **values: Any) -> None:
    """Cancel a scheduled run and its pending executions."""

    def work(ctx: Any, raw: Raw) -> int:
        from vibetesting_ci.config import settings
        from vibetesting_ci.errors import InputError

        if not schedule_id.strip() or any(c.isspace() for c in schedule_id.strip()):
            raise InputError(
                f"schedule id {schedule_id!r}: expected the id printed by a scheduled run"
            )
        api = settings.api_settings(raw)
        from vibetesting_ci.run import runner  # after the checks: an input error stays light

        return runner.cancel_schedule_command(ctx, api, schedule_id.strip())

    _execute(quiet, verbose, values, work)


SCHEMA_FILE = "tests-file.schema.json"


def schema_text() -> str:
    """The JSON Schema of the tests file, as shipped in the package."""
    from importlib.resources import files

    return files("vibetesting_ci").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@cli.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  vibetesting schema > .vibetesting/tests-file.schema.json
  vibetesting schema --path

\b
Then, for editors with yaml-language-server (VS Code's YAML extension, and others),
put this first line in the tests file:
  # yaml-language-server: $schema=./tests-file.schema.json
or check a file in CI:  check-jsonschema --schemafile tests-file.schema.json tests.yml""",
)
@click.option("--path", "show_path", is_flag=True, help="Print where the schema file is instead.")
def schema(show_path: bool) -> None:
    """Print the JSON Schema of the tests file, for editors and checks."""
    if show_path:
        from importlib.resources import as_file, files

        with as_file(files("vibetesting_ci").joinpath(SCHEMA_FILE)) as path:
            click.echo(str(path))
        return
    click.echo(schema_text(), nl=False)


def main() -> None:
    """Console-script entry point. A call abandoned after a cancel or timeout cannot delay the
    exit: it runs on a daemon thread, which the interpreter does not wait for (concurrency.py)."""
    cli.main(prog_name="vibetesting")
