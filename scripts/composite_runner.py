"""A small simulation of GitHub's runner for this repository's two actions.

It runs ``native/action.yml`` (a composite action) step by step as the runner does: inputs
given or defaulted, ``${{ }}`` expressions evaluated (the contexts the actions use: ``inputs``,
``steps.<id>.outputs``, ``runner``, ``github``, ``env``, and ``==``/``!=``/``&&``/``||``/``!``,
``always()``/``success()``/``failure()``), ``if:`` conditions, a fresh ``$GITHUB_OUTPUT`` file
per step read back into ``steps.<id>.outputs``, one ``$GITHUB_STEP_SUMMARY``, ``env:`` per step,
``$GITHUB_ACTION_PATH``, bash steps as ``bash --noprofile --norc -eo pipefail {0}`` in the
workspace, then the action's outputs from ``outputs.<name>.value``. Two ``uses:`` steps are
stood in for: ``actions/setup-python`` (the local Python, ``python-path``) and ``actions/cache``
(a folder of saved paths by key: restored before, saved after a successful run when missed,
as the real post step does), with its ``restore`` and ``save`` halves. A ``run:`` line with a
``${{ }}`` expression is refused: inputs must reach a shell only through ``env:``.

``action.yml`` (the Docker action) runs as ``tests/channels/actions/test_runner.py`` runs it:
every input as ``INPUT_<NAME>`` (hyphens kept), ``runs.env`` evaluated, ``bash entrypoint.sh``
in the workspace with the installed console script on PATH (the container is
``.ci/container-test.sh``'s part).

Usage (the benchmark and the tests import it; from a shell)::

    python scripts/composite_runner.py native/action.yml --with api-token=... \
        --with api-url=http://127.0.0.1:8765/api/external/ --workspace ws --cache .cache
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB_TOKEN = "ghs-CompositeRunner-workflow-token"  # noqa: S105 - a stand-in for ${{ github.token }} stands for
TEMPLATE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.S)
TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.-]*))"
)
ON_WINDOWS = os.name == "nt"

LineHook = Callable[[str, "subprocess.Popen[str]", str], None]


class ExpressionError(ValueError):
    """An expression the simulation does not know (so the test cannot vouch for it)."""


@dataclass
class Step:
    id: str
    outcome: str  # success, failure, skipped
    returncode: int | None
    outputs: dict[str, str]
    seconds: float


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    outputs: dict[str, str]
    summary: str
    steps: list[Step] = field(default_factory=list)
    started: float = 0.0  # time.monotonic() at the action's start

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)


def parse_output_file(text: str) -> dict[str, str]:
    """Read a ``$GITHUB_OUTPUT`` file the way the runner does (``k=v`` and ``k<<DELIM`` forms).

    A delimiter that never closes or a line with neither form is an error, as it is for the
    runner (``tests/support/github_output.py`` re-exports this for the tests)."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, _, delimiter = line.partition("<<")
            value_lines: list[str] = []
            while index < len(lines) and lines[index] != delimiter:
                value_lines.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ValueError(f"output {name!r}: delimiter {delimiter!r} never closes")
            index += 1  # the closing delimiter
            outputs[name] = "\n".join(value_lines)
        else:
            name, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"bad output line {line!r}")
            outputs[name] = value
    return outputs


class Expressions:
    """Evaluates ``${{ }}`` expressions against the contexts of one action run."""

    def __init__(self, contexts: dict[str, Any], status: Callable[[], str]) -> None:
        self.contexts = contexts
        self.status = status

    def template(self, text: str) -> str:
        return TEMPLATE.sub(lambda m: self.text(self.evaluate(m.group(1))), str(text))

    def condition(self, text: str) -> bool:
        expr = str(text).strip()
        match = TEMPLATE.fullmatch(expr)
        expr = match.group(1) if match else expr
        uses_status = re.search(r"\b(always|success|failure|cancelled)\(\)", expr)
        if not uses_status:  # an if: without a status function means success() && (...)
            return self.status() == "success" and self.truthy(self.evaluate(expr))
        return self.truthy(self.evaluate(expr))

    @staticmethod
    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    @staticmethod
    def truthy(value: Any) -> bool:
        return value not in (None, "", False, 0)

    def evaluate(self, expr: str) -> Any:
        tokens = self._tokens(expr)
        value, rest = self._or(tokens)
        if rest:
            raise ExpressionError(f"cannot evaluate {expr!r}: unexpected {rest[0][1]!r}")
        return value

    def _tokens(self, expr: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        while position < len(expr.rstrip()):
            match = TOKEN.match(expr, position)
            if match is None:
                raise ExpressionError(f"cannot evaluate {expr!r} at {expr[position:]!r}")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            position = match.end()
        return tokens

    def _or(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        return self._chain(tokens, "||", self._and, keep_left=True)

    def _and(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        return self._chain(tokens, "&&", self._compare, keep_left=False)

    def _chain(
        self,
        tokens: list[tuple[str, str]],
        op: str,
        operand: Callable[[list[tuple[str, str]]], tuple[Any, list[tuple[str, str]]]],
        *,
        keep_left: bool,
    ) -> tuple[Any, list[tuple[str, str]]]:
        """``a op b op c``: the left value while it is truthy (``||``) or falsy (``&&``)."""
        value, tokens = operand(tokens)
        while tokens and tokens[0] == ("op", op):
            right, tokens = operand(tokens[1:])
            value = value if self.truthy(value) == keep_left else right
        return value, tokens

    def _compare(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        left, tokens = self._unary(tokens)
        if tokens and tokens[0][1] in ("==", "!=") and tokens[0][0] == "op":
            op = tokens[0][1]
            right, tokens = self._unary(tokens[1:])
            same = self.text(left).lower() == self.text(right).lower()
            return (same if op == "==" else not same), tokens
        return left, tokens

    def _unary(self, tokens: list[tuple[str, str]]) -> tuple[Any, list[tuple[str, str]]]:
        if not tokens:
            raise ExpressionError("expression ends too soon")
        kind, text = tokens[0]
        if (kind, text) == ("op", "!"):
            value, rest = self._unary(tokens[1:])
            return not self.truthy(value), rest
        if (kind, text) == ("op", "("):
            value, rest = self._or(tokens[1:])
            if not rest or rest[0] != ("op", ")"):
                raise ExpressionError("unbalanced parentheses")
            return value, rest[1:]
        if kind == "str":
            return text[1:-1].replace("''", "'"), tokens[1:]
        if kind == "name":
            if tokens[1:2] == [("op", "(")]:
                if tokens[2:3] != [("op", ")")]:
                    raise ExpressionError(f"function {text}() with arguments is not simulated")
                return self._function(text), tokens[3:]
            return self._lookup(text), tokens[1:]
        raise ExpressionError(f"unexpected {text!r}")

    def _function(self, name: str) -> bool:
        status = self.status()
        known = {
            "always": True,
            "success": status == "success",
            "failure": status == "failure",
            "cancelled": False,
        }
        if name not in known:
            raise ExpressionError(f"function {name}() is not simulated")
        return known[name]

    def _lookup(self, path: str) -> Any:
        if path in ("true", "false"):
            return path == "true"
        head, *rest = path.split(".")
        if head not in self.contexts:
            raise ExpressionError(f"context {head!r} is not simulated ({path})")
        value: Any = self.contexts[head]
        for part in rest:
            if head == "inputs" and isinstance(value, Mapping) and part not in value:
                raise ExpressionError(f"undeclared input {part!r}")
            value = value.get(part) if isinstance(value, Mapping) else None
        return value


class Runner:
    """One job's worth of runner state: a workspace, a temp folder, a tool cache, a cache."""

    def __init__(
        self,
        workspace: Path,
        *,
        cache: Path | None = None,
        tool_cache: Path | None = None,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.workspace = workspace
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(prefix="runner-", dir=workspace.parent))
        self.temp = self.home / "temp"
        # Hosted runners have one tool cache path on every machine (/opt/hostedtoolcache): give
        # the same folder to the runners of a test, and fresh_machine() between jobs.
        self.tool_cache = tool_cache or (self.home / "toolcache")
        self.temp.mkdir()
        self.tool_cache.mkdir(parents=True, exist_ok=True)
        self.cache = cache or (self.home / "actions-cache")
        self.python = python
        self.base_env = dict(os.environ if env is None else env)

    def fresh_machine(self) -> None:
        """A new hosted machine: the tool cache and the temp folder are empty again."""
        for folder in (self.tool_cache, self.temp):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)

    def job_env(self) -> dict[str, str]:
        env = dict(self.base_env)
        env.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(self.workspace),
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_TOOL_CACHE": str(self.tool_cache),
                "RUNNER_OS": runner_os(),
            }
        )
        return env

    # -- the action -----------------------------------------------------------------------------

    def run(
        self,
        action_file: Path,
        with_: Mapping[str, str],
        *,
        args: tuple[str, ...] = (),
        on_line: LineHook | None = None,
    ) -> ActionRun:
        action: dict[str, Any] = yaml.safe_load(action_file.read_text(encoding="utf-8"))
        inputs = self._inputs(action, with_)
        commands = Path(tempfile.mkdtemp(prefix="commands-", dir=self.home))
        summary = commands / "step_summary"
        summary.touch()
        using = action["runs"]["using"]
        started = time.monotonic()
        if using == "docker":
            result = self._docker(action, action_file.parent, inputs, commands, args, on_line)
        elif using == "composite":
            if args:
                raise ValueError("a composite action takes no arguments")
            result = self._composite(action, action_file.parent, inputs, commands, on_line)
        else:
            raise ValueError(f"runs.using {using!r} is not simulated")
        result.summary = summary.read_text(encoding="utf-8")
        result.started = started
        return result

    def _inputs(self, action: Mapping[str, Any], with_: Mapping[str, str]) -> dict[str, str]:
        declared = action.get("inputs") or {}
        unknown = set(with_) - set(declared)
        if unknown:
            raise ValueError(f"inputs not declared by the action: {sorted(unknown)}")
        github = {"token": GITHUB_TOKEN}
        defaults = Expressions({"github": github}, lambda: "success")
        inputs = {}
        for name, spec in declared.items():
            spec = spec or {}
            if name in with_:
                inputs[name] = str(with_[name])
            else:
                inputs[name] = defaults.template(str(spec.get("default", "")))
        return inputs

    def _contexts(self, action_dir: Path, inputs: dict[str, str], steps: dict[str, Any]) -> Any:
        return {
            "inputs": inputs,
            "steps": steps,
            "runner": {
                "os": runner_os(),
                "arch": "X64",
                "temp": str(self.temp),
                "tool_cache": str(self.tool_cache),
            },
            "github": {
                "token": GITHUB_TOKEN,
                "action_path": str(action_dir),
                "workspace": str(self.workspace),
            },
            "env": self.job_env(),
        }

    def _docker(
        self,
        action: Mapping[str, Any],
        action_dir: Path,
        inputs: dict[str, str],
        commands: Path,
        args: tuple[str, ...],
        on_line: LineHook | None,
    ) -> ActionRun:
        expressions = Expressions(self._contexts(action_dir, inputs, {}), lambda: "success")
        env = self.job_env()
        env.update({f"INPUT_{name.upper()}": value for name, value in inputs.items()})
        for key, template in (action["runs"].get("env") or {}).items():
            env[key] = expressions.template(template)
        run_args = [expressions.template(a) for a in action["runs"].get("args") or []]
        env["GITHUB_OUTPUT"] = str(commands / "set_output")
        env["GITHUB_STEP_SUMMARY"] = str(commands / "step_summary")
        env["PATH"] = f"{console_script_dir()}{os.pathsep}{env.get('PATH', '')}"
        command = ["bash", str(action_dir / "entrypoint.sh"), *run_args, *args]
        rc, stdout, seconds = self._execute("main", command, env, on_line)
        outputs = read_outputs(commands / "set_output")
        step = Step("main", "success" if rc == 0 else "failure", rc, outputs, seconds)
        return ActionRun(rc, stdout, outputs, "", [step])

    def _composite(
        self,
        action: Mapping[str, Any],
        action_dir: Path,
        inputs: dict[str, str],
        commands: Path,
        on_line: LineHook | None,
    ) -> ActionRun:
        steps_ctx: dict[str, Any] = {}
        done: list[Step] = []
        stdout: list[str] = []
        post: list[Callable[[], None]] = []
        status = {"value": "success"}
        rc = 0
        for index, spec in enumerate(action["runs"]["steps"]):
            step_id = spec.get("id") or f"__step{index}"
            expressions = Expressions(
                self._contexts(action_dir, inputs, steps_ctx), lambda: status["value"]
            )
            if "if" in spec:
                run_it = expressions.condition(spec["if"])
            else:
                run_it = status["value"] == "success"
            if not run_it:
                steps_ctx[step_id] = {"outputs": {}, "outcome": "skipped"}
                done.append(Step(step_id, "skipped", None, {}, 0.0))
                continue
            output_file = commands / f"output-{index}"
            output_file.touch()
            env = self.job_env()
            env.update(
                {
                    "GITHUB_OUTPUT": str(output_file),
                    "GITHUB_STEP_SUMMARY": str(commands / "step_summary"),
                    "GITHUB_ACTION_PATH": str(action_dir),
                }
            )
            for key, template in (spec.get("env") or {}).items():
                env[key] = expressions.template(template)
            started = time.monotonic()
            if "uses" in spec:
                with_ = {k: expressions.template(v) for k, v in (spec.get("with") or {}).items()}
                code, outputs = self._uses(spec["uses"], with_, post, status)
                text = ""
            else:
                script = str(spec["run"])
                if TEMPLATE.search(script):
                    raise ExpressionError(
                        f"step {step_id}: run: expands an expression; pass it through env:"
                    )
                shell = spec.get("shell")
                if shell != "bash":
                    raise ValueError(f"step {step_id}: shell {shell!r} is not simulated")
                script_file = commands / f"step-{index}.sh"
                script_file.write_text(script, encoding="utf-8", newline="\n")
                command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)]
                code, text, _ = self._execute(step_id, command, env, on_line)
                outputs = read_outputs(output_file)
            seconds = time.monotonic() - started
            stdout.append(text)
            outcome = "success" if code == 0 else "failure"
            steps_ctx[step_id] = {"outputs": outputs, "outcome": outcome}
            done.append(Step(step_id, outcome, code, outputs, seconds))
            if code != 0 and status["value"] == "success":
                status["value"] = "failure"
                rc = code
        for hook in post:
            hook()
        expressions = Expressions(
            self._contexts(action_dir, inputs, steps_ctx), lambda: status["value"]
        )
        outputs = {
            name: expressions.template((spec or {}).get("value", ""))
            for name, spec in (action.get("outputs") or {}).items()
        }
        return ActionRun(rc, "".join(stdout), outputs, "", done)

    # -- the stand-ins for uses: steps --------------------------------------------------------

    def _uses(
        self,
        uses: str,
        with_: Mapping[str, str],
        post: list[Callable[[], None]],
        status: dict[str, str],
    ) -> tuple[int, dict[str, str]]:
        name = uses.split("@", 1)[0]
        if name == "actions/setup-python":
            return 0, {"python-path": self.python, "python-version": sys.version.split()[0]}
        if name == "actions/cache":
            return self._cache(with_, post, status)
        if name == "actions/cache/restore":
            return self._cache(with_, None, status)
        if name == "actions/cache/save":
            self._save(Path(with_["path"]), self.cache / with_["key"])
            return 0, {}
        raise ValueError(f"uses: {uses} is not simulated")

    def _save(self, path: Path, saved: Path) -> None:
        """A cache entry is written once: a key that exists is not overwritten (as GitHub's)."""
        if path.exists() and not saved.exists():
            self.cache.mkdir(parents=True, exist_ok=True)
            shutil.copytree(path, saved, symlinks=True)

    def _cache(
        self,
        with_: Mapping[str, str],
        post: list[Callable[[], None]] | None,
        status: dict[str, str],
    ) -> tuple[int, dict[str, str]]:
        """actions/cache (restore now, save in the post step after a successful job) or, with
        ``post`` None, actions/cache/restore (restore only)."""
        key, path = with_["key"], Path(with_["path"])
        if not key or not str(path):
            raise ValueError("actions/cache needs key and path")
        saved = self.cache / key
        if saved.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(saved, path, symlinks=True)
            return 0, {"cache-hit": "true"}

        def save() -> None:  # the post step: only after a successful job, only on a miss
            if status["value"] == "success":
                self._save(path, saved)

        if post is not None:
            post.append(save)
        return 0, {"cache-hit": "false"}

    # -- processes ------------------------------------------------------------------------------

    def _execute(
        self, step_id: str, command: list[str], env: dict[str, str], on_line: LineHook | None
    ) -> tuple[int, str, float]:
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            cwd=self.workspace,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
        )
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if on_line is not None:
                on_line(step_id, proc, line)
        rc = proc.wait()
        return rc, "".join(lines), time.monotonic() - started


def read_outputs(path: Path) -> dict[str, str]:
    return parse_output_file(path.read_text(encoding="utf-8")) if path.exists() else {}


def runner_os() -> str:
    return {"win32": "Windows", "darwin": "macOS"}.get(sys.platform, "Linux")


def console_script_dir() -> Path:
    beside = Path(sys.executable).parent
    if (beside / "vibetesting").exists():
        return beside
    found = shutil.which("vibetesting")
    if found is None:
        raise FileNotFoundError("the vibetesting console script is not installed")
    return Path(found).parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", type=Path, help="action.yml or native/action.yml")
    parser.add_argument("--with", dest="with_", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--workspace", type=Path, default=Path("runner-workspace"))
    parser.add_argument("--cache", type=Path, help="actions/cache folder (kept between runs)")
    args = parser.parse_args(argv)
    with_ = dict(item.split("=", 1) for item in args.with_)
    runner = Runner(args.workspace.resolve(), cache=args.cache.resolve() if args.cache else None)
    result = runner.run(args.action.resolve(), with_)
    sys.stdout.write(result.stdout)
    for step in result.steps:
        print(f"step {step.id}: {step.outcome} ({step.seconds:.2f} s)")
    for name, value in result.outputs.items():
        print(f"output {name}={value}")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
