"""The layout the README's "Developing" section promises, checked on the source (ast only):
imports flow one way (no cycles, nothing imports a module later in the flow), every public
exception class lives in errors.py, no os._exit, runner.py stays plain sequencing."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "vibetesting_ci"

# The one-way flow, earliest first. A module may import modules of a lower rank, and modules of
# its own rank inside its own package (reports.download -> reports.atomic). The emulator is a
# separate tool: it may import only its own package and the rank-0 basics.
RANKS: dict[str, int] = {
    "scrub": -1,  # below everything: the one scrubber every sink (rank 0 ones too) applies
    "": 0,
    "errors": 0,
    "models": 0,
    "text": 0,
    "transport": 0,
    "concurrency": 0,
    "cancellation": 0,
    "vocabulary": 0,
    "reports": 0,
    "reports.atomic": 0,
    "reports.redact": 0,
    "testsfile": 2,  # reads files into config.merge.ParsedFile
    # Tests as code (issue 23): pure, from errors, text, scrub and reports.redact only.
    "config": 1,
    "config.suggest": 1,
    "config.variables": 1,
    "config.target": 1,
    "config.selection": 1,
    "config.shards": 1,
    "config.discovery": 1,
    "config.merge": 1,
    "config.yaml_nodes": 1,
    "config.assemble": 3,  # reads the files (testsfile); the run settings build on it
    "labels": 1,  # test identities: pure, from models; every report uses them
    "settings": 2,
    "api": 3,
    "waiting": 4,
    "progress": 5,
    "verdict": 5,
    "report": 5,  # the one report of a run, built once from the verdict; every output renders it
    "reports.download": 6,
    "retries": 6,
    "reports.junit": 6,
    "reports.results": 6,
    "reports.dotenv": 6,
    "reports.writable": 6,
    "reports.publish": 6,
    "summary": 7,
    "ci": 8,
    "ci.base": 8,
    "ci.github": 8,
    "ci.comment": 8,
    "ci.gitlab": 8,
    "runner": 9,
    "cli": 10,
    "__main__": 12,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> set[str]:
    """Package modules imported anywhere in the file (also inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name == "vibetesting_ci" or name.startswith("vibetesting_ci."):
                inner = name.removeprefix("vibetesting_ci").removeprefix(".")
                if inner in known:
                    found.add(inner)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(path, known) - {name} for name, path in found.items()}


def package(name: str) -> str:
    return name.rpartition(".")[0] if "." in name else ""


def test_every_module_has_a_place_in_the_flow() -> None:
    unplaced = [m for m in modules() if m not in RANKS and not m.startswith("emulator")]
    assert unplaced == [], "add new modules to RANKS (and the README's module map)"


def test_no_upward_imports() -> None:
    wrong: list[str] = []
    for name, deps in graph().items():
        for dep in deps:
            if name.startswith("emulator"):
                ok = dep.startswith("emulator") or RANKS.get(dep) == 0
            elif dep.startswith("emulator"):
                ok = False  # only loaded lazily by name (cli's LazyGroup), never imported
            else:
                mine, theirs = RANKS[name], RANKS[dep]
                ok = theirs < mine or (theirs == mine and package(dep) in (package(name), name))
            if not ok:
                wrong.append(f"{name} -> {dep}")
    assert wrong == []


def test_no_import_cycles() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(edges[node]):
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep) :], dep] if dep in trail else [dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_every_public_exception_class_is_in_errors_py() -> None:
    outside: list[str] = []
    for name in modules():
        if name.startswith("emulator") or name in ("__main__", "fastpath"):
            continue  # the emulator's HTTP model is its own; the entry points run on import
        module = importlib.import_module("vibetesting_ci" + (f".{name}" if name else ""))
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not attr.startswith("_")
                and name != "errors"
            ):
                outside.append(f"{name}.{attr}")
    assert outside == []


def test_no_os_exit_and_runner_is_plain_sequencing() -> None:
    for path in SRC.rglob("*.py"):
        assert "os._exit(" not in path.read_text(encoding="utf-8"), path
    runner = (SRC / "runner.py").read_text(encoding="utf-8")
    assert len(runner.splitlines()) < 400
    for idiom in ("threading.Thread(", "ThreadPoolExecutor", "threading.Lock(", "signal.signal("):
        assert idiom not in runner
