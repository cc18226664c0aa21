"""The native action's install logic (native/action.yml), the same on Linux, macOS and Windows.

Two steps, each run with a Python 3.11+ (the runner's, or setup-python's)::

    python native/setup.py prepare   # -> outputs python, venv, key (for actions/cache)
    python native/setup.py install   # the venv, unless restored whole -> output cli

``prepare`` names the virtual environment and its cache key: the OS, the machine, the Python
(version and path: a venv is tied to the interpreter it was made from) and a SHA-256 of what is
installed (the hash-locked requirements, pyproject.toml and the CLI's source), so a new lock or a
new CLI is a new key. ``install`` checks a restored venv (its marker holds the key and its Python
runs the CLI); otherwise it makes the venv afresh and installs into it with
``pip install --require-hashes``: setuptools from ``requirements/build.txt``, the runtime
dependencies from ``requirements/runtime.txt`` (and ``requirements/windows.txt`` on Windows,
where click needs colorama), then the CLI itself from this checkout with ``--no-deps
--no-build-isolation``, so nothing unpinned is fetched; pip and setuptools are then removed from
the venv (the CLI needs neither), which makes the cached folder a quarter of the size. pip's
own settings apply (``PIP_INDEX_URL``, ``PIP_FIND_LINKS``, ``PIP_NO_INDEX``: a local wheelhouse
or a mirror).

Outputs go to ``$GITHUB_OUTPUT`` (``name=value`` lines, ``\\n`` on every OS); progress to stdout.
Only the standard library is used: this runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the action's checkout: src/, requirements/
LOCKS = ("requirements/build.txt", "requirements/runtime.txt", "requirements/windows.txt")
MARKER = "vibetesting-ci-native.key"
WINDOWS = os.name == "nt"


def fail(message: str) -> None:
    print(f"::error title=vibetesting-ci native::{message}")
    raise SystemExit(1)


def source_digest(root: Path = ROOT) -> str:
    """SHA-256 over the locks, pyproject.toml and every file of the package, by path."""
    digest = hashlib.sha256()
    files = [root / name for name in (*LOCKS, "pyproject.toml")]
    files += sorted(p for p in (root / "src").rglob("*") if p.is_file() and _is_source(p))
    for path in files:
        if not path.exists():
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


def _is_source(path: Path) -> bool:
    return (
        "__pycache__" not in path.parts
        and ".egg-info" not in str(path)
        and (path.suffix not in (".pyc", ".pyo"))
    )


def _not_source(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if not _is_source(Path(folder) / n)}


def cache_key(python: str, digest: str) -> str:
    version = ".".join(str(v) for v in sys.version_info[:3])
    where = hashlib.sha256(os.path.realpath(python).encode()).hexdigest()[:8]
    system = platform.system().lower() or sys.platform
    machine = platform.machine().lower() or "unknown"
    return f"vibetesting-ci-venv-{system}-{machine}-py{version}-{where}-{digest[:20]}"


def venv_folder(key: str) -> Path:
    """Where the venv lives: the runner's tool cache (kept on self-hosted runners), else temp."""
    base = os.environ.get("RUNNER_TOOL_CACHE") or os.environ.get("RUNNER_TEMP")
    return Path(base or tempfile.gettempdir()) / "vibetesting-ci" / key


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if WINDOWS else "bin/python")


def venv_cli(venv: Path) -> Path:
    return venv / ("Scripts/vibetesting.exe" if WINDOWS else "bin/vibetesting")


def write_outputs(**values: str) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    lines = "".join(f"{name}={value}\n" for name, value in values.items())
    if not path:
        sys.stdout.write(lines)
        return
    with open(path, "a", encoding="utf-8", newline="\n") as file:
        file.write(lines)


def prepare() -> None:
    python = sys.executable
    key = cache_key(python, source_digest())
    venv = venv_folder(key)
    print(f"vibetesting-ci native: Python {platform.python_version()} ({python}); cache key {key}")
    write_outputs(python=python, venv=str(venv), key=key)


def usable(venv: Path, key: str) -> bool:
    """A restored venv is used only whole: the same key, and its console script runs."""
    marker = venv / MARKER
    if not marker.is_file() or marker.read_text(encoding="utf-8").strip() != key:
        return False
    if not venv_cli(venv).exists():
        return False
    probe = subprocess.run(  # the console script itself: its launcher names the venv's Python
        [str(venv_cli(venv)), "--version"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def pip(venv: Path, *args: str) -> None:
    command = [str(venv_python(venv)), "-m", "pip", "install", "--disable-pip-version-check"]
    command += ["--no-input", "--quiet", *args]
    env = {**os.environ, "PIP_ROOT_USER_ACTION": "ignore"}
    result = subprocess.run(command, env=env, check=False)
    if result.returncode != 0:
        fail(f"pip install failed (exit {result.returncode}): {' '.join(args)}")


def install() -> None:
    python = os.environ.get("VIBETESTING_NATIVE_PYTHON") or sys.executable
    venv = Path(os.environ.get("VIBETESTING_NATIVE_VENV", ""))
    key = os.environ.get("VIBETESTING_NATIVE_KEY", "")
    if not key or venv == Path():  # Path("") is Path(): the variable unset or empty
        fail("VIBETESTING_NATIVE_VENV and VIBETESTING_NATIVE_KEY are needed (the prepare step)")
    if usable(venv, key):
        print(f"vibetesting-ci native: using the cached virtual environment {venv}")
        write_outputs(cli=str(venv_cli(venv)))
        return
    print(f"vibetesting-ci native: installing into {venv}")
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([python, "-m", "venv", str(venv)], check=False)
    if made.returncode != 0:
        fail(f"{python} -m venv failed (exit {made.returncode})")
    locks = [
        "-r",
        str(ROOT / "requirements/build.txt"),
        "-r",
        str(ROOT / "requirements/runtime.txt"),
    ]
    if WINDOWS:
        locks += ["-r", str(ROOT / "requirements/windows.txt")]
    pip(venv, "--require-hashes", "--only-binary", ":all:", *locks)
    with tempfile.TemporaryDirectory(prefix="vibetesting-ci-src-") as copy:
        # Built from a copy, so the action's checkout gets no build/ or egg-info folders.
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, Path(copy) / name)
        shutil.copytree(ROOT / "src", Path(copy) / "src", ignore=_not_source)
        pip(venv, "--no-deps", "--no-build-isolation", "--no-index", copy)
    if not venv_cli(venv).exists():
        fail(f"the install left no {venv_cli(venv)}")
    # The CLI needs neither pip nor setuptools to run: without them the venv is a quarter of
    # the size, and so is what actions/cache stores and restores.
    subprocess.run(
        [str(venv_python(venv)), "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools", "pip"],
        check=False,
    )
    (venv / MARKER).write_text(key + "\n", encoding="utf-8")
    write_outputs(cli=str(venv_cli(venv)))


def main(argv: list[str]) -> int:
    commands = {"prepare": prepare, "install": install}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: setup.py prepare|install", file=sys.stderr)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 - any Python on the runner may run this
        fail(f"Python 3.11 or newer is needed, this is {platform.python_version()}")
    commands[argv[0]]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
