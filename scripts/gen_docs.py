"""Generate the README's reference tables from the code, so they cannot drift.

Sources: ``options.OPTIONS`` (every option, its variable, default and API field), the click
commands themselves (arguments, extra options, the emulator's options), and ``action.yml``
(inputs, their variables via ``runs.env``, outputs). Each table sits between markers::

    <!-- generated:NAME -->
    ...
    <!-- /generated:NAME -->

Usage::

    python scripts/gen_docs.py           # rewrite README.md in place
    python scripts/gen_docs.py --check   # exit 1 and name the stale tables when not current
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ACTION = ROOT / "action.yml"
sys.path.insert(0, str(ROOT / "src"))

from vibetesting_ci.cli import cli  # noqa: E402
from vibetesting_ci.config import kinds, options  # noqa: E402

MARKER = re.compile(
    r"(<!-- generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)",
    re.S,
)
COMMAND_ORDER = ("run", "wait", "status", "stop", "cancel-schedule", "emulator", "schema")


def cell(text: str) -> str:
    """Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def code(text: str) -> str:
    return f"`{text}`" if text else ""


# -- the CLI's own options ---------------------------------------------------------------------


def flag_of(option: kinds.Option) -> str:
    if not option.cli:
        return "(environment only)"
    if option.kind is kinds.Kind.BOOL:
        name = option.flag[2:]
        return f"`--{name}` / `--no-{name}`"
    if option.kind is kinds.Kind.CHOICE:
        return f"`{option.flag} {'|'.join(option.choices)}`"
    metavar = f" {option.metavar}" if option.metavar else ""
    return f"`{option.flag}{metavar}`"


def default_of(option: kinds.Option) -> str:
    value = option.default
    if option.required:
        return "required"
    if option.kind is kinds.Kind.BOOL and value is None:
        return "the service's"
    if value is None:
        return "—"
    if option.kind is kinds.Kind.BOOL:
        return "`true`" if value else "`false`"
    if value == "":
        return "none"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def commands_of(option: kinds.Option) -> str:
    return ", ".join(c for c in COMMAND_ORDER if c in option.commands)


def options_connection() -> str:
    rows = [
        [flag_of(o), code(o.env), default_of(o), o.help]
        for o in options.OPTIONS
        if set(o.commands) == set(options.API_COMMANDS)
    ]
    return table(["option", "variable", "default", "description"], rows)


def options_run() -> str:
    rows = [
        [flag_of(o), code(o.env), code(o.api_field or ""), o.help]
        for o in options.OPTIONS
        if o.api_field is not None
    ]
    return table(["option", "variable", "API field", "description"], rows)


def options_tests() -> str:
    rows = [
        [flag_of(o), code(o.env), o.help]
        for o in options.OPTIONS
        if o.name in options.TESTS_AS_CODE
    ]
    return table(["option", "variable", "description"], rows)


def options_wait() -> str:
    rows = [
        [flag_of(o), code(o.env), default_of(o), commands_of(o), o.help]
        for o in options.OPTIONS
        if o.api_field is None
        and set(o.commands) != set(options.API_COMMANDS)
        and o.name not in options.TESTS_AS_CODE
    ]
    return table(["option", "variable", "default", "commands", "description"], rows)


def _command(name: str) -> click.Command:
    ctx = click.Context(cli, info_name="vibetesting")
    _, command, _ = cli.resolve_command(ctx, [name])
    assert command is not None
    return command


def _purpose(command: click.Command) -> str:
    return (command.help or "").strip().split("\n\n")[0].replace("\n", " ")


def commands_table() -> str:
    rows = []
    for name in COMMAND_ORDER:
        command = _command(name)
        args = " ".join(
            (p.metavar or p.name or "").upper() if p.metavar is None else p.metavar
            for p in command.params
            if isinstance(p, click.Argument)
        )
        usage = f"`vibetesting {name}{' ' + args if args else ''}`"
        rows.append([usage, _purpose(command)])
    return table(["command", "what it does"], rows)


def _metavar(param: click.Option) -> str:
    if param.is_flag or param.count:
        return ""
    if param.metavar:
        return " " + param.metavar
    kind = param.type
    if isinstance(kind, click.Choice):
        return " " + "|".join(str(c) for c in kind.choices)
    names = {"integer": "INT", "integer range": "INT", "float": "NUMBER", "float range": "NUMBER"}
    return " " + names.get(kind.name, kind.name.upper())


def _opt_names(param: click.Option) -> str:
    names = sorted(param.opts, key=len) + list(param.secondary_opts)
    metavar = _metavar(param)
    return " / ".join(f"`{n}{metavar if i == len(names) - 1 else ''}`" for i, n in enumerate(names))


def _env_of(param: click.Option) -> str:
    env = param.envvar
    if isinstance(env, list | tuple):
        env = env[0] if env else None
    return code(str(env)) if env else "—"


def _default_of_param(param: click.Option) -> str:
    if param.is_flag:
        return "off"
    value = param.default
    if param.multiple or not isinstance(value, str | int | float) or isinstance(value, bool):
        return "—"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def other_options() -> str:
    """Options that are not in options.OPTIONS: output switches and per-command extras."""
    known = {o.name for o in options.OPTIONS}
    rows: dict[tuple[str, str, str, str], list[str]] = {}
    for name in COMMAND_ORDER:
        for param in _command(name).params:
            if not isinstance(param, click.Option) or param.name in known or param.name == "help":
                continue
            key = (_opt_names(param), _env_of(param), _default_of_param(param), param.help or "")
            rows.setdefault(key, []).append(name)
    return table(
        ["option", "commands", "variable", "default", "description"],
        [[key[0], ", ".join(commands), *key[1:]] for key, commands in rows.items()],
    )


# -- action.yml --------------------------------------------------------------------------------


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def action_inputs() -> str:
    action = _action()
    env = action.get("runs", {}).get("env", {}) or {}
    by_input = {}
    for variable, value in env.items():
        found = re.fullmatch(r"\$\{\{\s*inputs\.([a-z0-9-]+)\s*\}\}", str(value).strip())
        if found:
            by_input[found.group(1)] = variable
    rows = []
    for name, spec in (action.get("inputs") or {}).items():
        spec = spec or {}
        default = str(spec.get("default", ""))
        shown = "required" if spec.get("required") else (f"`{default}`" if default else "—")
        rows.append([f"`{name}`", code(by_input.get(name, "")), shown, spec.get("description", "")])
    return table(["input", "variable", "default", "description"], rows)


def action_outputs() -> str:
    rows = [
        [f"`{name}`", (spec or {}).get("description", "")]
        for name, spec in (_action().get("outputs") or {}).items()
    ]
    return table(["output", "description"], rows)


# -- the GitLab component and the Jenkins step (scripts/gen_component.py) --------------------


def _ci_generator() -> Any:
    import gen_component  # beside this script (its folder is on sys.path)

    return gen_component


def component_inputs() -> str:
    generator = _ci_generator()
    header, _ = generator.load()
    variables = {generator.option_input(o)[0]: o.env for o in generator.option_rows()}
    rows = []
    for name, spec in header["spec"]["inputs"].items():
        kind = spec.get("type", "string")
        default = spec.get("default")
        if isinstance(default, bool):
            shown = f"`{'true' if default else 'false'}`"
        elif default in (None, ""):
            shown = "—"
        else:
            shown = f"`{default}`"
        allowed = ""
        if "options" in spec:
            allowed = " / ".join(f"`{o}`" if o else "empty" for o in spec["options"])
        elif "regex" in spec:
            allowed = f"`{spec['regex']}`"
        rows.append(
            [
                f"`{name}`",
                kind,
                code(variables.get(name, "")),
                shown,
                allowed,
                spec.get("description", ""),
            ]
        )
    return table(["input", "type", "variable", "default", "allowed", "description"], rows)


def jenkins_arguments() -> str:
    generator = _ci_generator()
    rows = [
        [f"`{generator.jenkins_name(o)}`", code(o.env), default_of(o), o.help]
        for o in generator.option_rows()
    ]
    return table(["argument", "variable", "default", "description"], rows)


GENERATORS: dict[str, Callable[[], str]] = {
    "commands": commands_table,
    "options-connection": options_connection,
    "options-run": options_run,
    "options-tests": options_tests,
    "options-wait": options_wait,
    "options-other": other_options,
    "action-inputs": action_inputs,
    "action-outputs": action_outputs,
    "component-inputs": component_inputs,
    "jenkins-arguments": jenkins_arguments,
}


def render(text: str) -> tuple[str, list[str]]:
    """README text with every generated table refreshed, and the names of those that changed."""
    changed: list[str] = []
    seen: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in GENERATORS:
            raise SystemExit(f"README.md: unknown generated section {name!r}")
        seen.add(name)
        body = GENERATORS[name]()
        if body != match.group("body"):
            changed.append(name)
        return match.group(1) + body + match.group(4)

    result = MARKER.sub(replace, text)
    missing = sorted(set(GENERATORS) - seen)
    if missing:
        raise SystemExit(f"README.md: no markers for {', '.join(missing)}")
    return result, changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    new, changed = render(text)
    if args.check:
        if changed:
            print(
                f"README.md is out of date ({', '.join(changed)}): run python scripts/gen_docs.py",
                file=sys.stderr,
            )
            return 1
        print("README.md tables are current")
        return 0
    if new != text:
        tmp = README.with_suffix(".md.tmp")
        tmp.write_text(new, encoding="utf-8")
        tmp.replace(README)
        print(f"README.md: updated {', '.join(changed)}")
    else:
        print("README.md: already current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
