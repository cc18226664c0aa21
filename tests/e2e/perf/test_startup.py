"""Start-up stays light: what ``--help``, ``--version`` and input errors import (no timing here),
and a SIGTERM during start-up ends the process with 143.

The commands import their heavy modules (requests, YAML, the emulator) only when they run; these
tests check that no heavy module is loaded on the help and input-error paths. How fast that is
is measured by ``benchmarks/bench_startup.py``, not asserted here.
"""

from __future__ import annotations

import functools
import subprocess
import sys

import pytest

from tests.support.cli import clean_env

HEAVY = (
    "requests",
    "urllib3",
    "yaml",
    "charset_normalizer",
    "idna",
    "certifi",
    "ssl",
    "http.client",
    "vibetesting_ci.emulator",
    "vibetesting_ci.render.junit",
)


def _importtime(args: list[str]) -> tuple[int, str, set[str]]:
    environ = clean_env({"VIBETESTING_API_TOKEN": "tok"})
    environ.pop("COLUMNS", None)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return proc.returncode, proc.stdout, modules


@functools.cache
def at_interpreter_start() -> frozenset[str]:
    """What this interpreter imports for ``-c pass`` (site hooks may load certifi and more)."""
    return frozenset(_importtime(["-c", "pass"])[2])


def imported(args: list[str]) -> tuple[int, str, set[str]]:
    """Run ``python -X importtime -m vibetesting_ci ARGS``: exit code, stdout, and the modules
    it imported beyond what a bare start of the same interpreter imports."""
    code, out, modules = _importtime(["-m", "vibetesting_ci", *args])
    return code, out, modules - at_interpreter_start()


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith(HEAVY))


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"], ["-V"]])
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    code, out, modules = imported(args)
    assert code == 0
    assert out.startswith("Usage: vibetesting" if "h" in args[0] else "vibetesting, version")
    assert heavy(modules) == []


@pytest.mark.parametrize(
    "args",
    [
        ["wait", "not-a-number"],
        ["status", "abc"],
        ["run", "--timeout", "soon"],
        ["run", "--tests-file", "no-such-file.yml"],
        ["run", "--help"],
    ],
)
def test_input_errors_and_command_help_import_nothing_heavy(args: list[str]) -> None:
    code, _out, modules = imported(args)
    assert code == (0 if "--help" in args else 2)
    assert heavy(modules) == []


# A SIGTERM that arrives while click and the commands are still being imported: the handler
# from the entry point's first line ends the process with 143 (as PID 1 in a container a signal
# without a handler would be dropped). The signal is sent from an import hook at click's import.
SIGTERM_AT_CLICK_IMPORT = """
import os, signal, sys

class AtClick:
    def find_spec(self, name, path=None, target=None):
        if name == "click":
            sys.meta_path.remove(self)
            print("handler" if callable(signal.getsignal(signal.SIGTERM)) else "none", flush=True)
            os.kill(os.getpid(), signal.SIGTERM)
        return None

sys.meta_path.insert(0, AtClick())
sys.argv = ["vibetesting", "--version"]
from vibetesting_ci.__main__ import main
main()
print("not reached", flush=True)
"""


def test_sigterm_during_start_up_exits_143() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SIGTERM_AT_CLICK_IMPORT],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (143, "handler\n"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_importing_reporters_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "import vibetesting_ci.render.junit, vibetesting_ci.render.results\n"
        "import vibetesting_ci.render.dotenv, vibetesting_ci.service.download\n"
        "import vibetesting_ci.run.reports, vibetesting_ci.publish.files\n"
        "import vibetesting_ci.publish.atomic, vibetesting_ci.safety.redact\n"
        "print(sorted(m for m in ('requests', 'junit_xml', 'yaml', 'urllib3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
