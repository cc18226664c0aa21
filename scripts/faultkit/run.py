"""Running one scenario: the emulator with its faults (and a CA, a proxy, GitHub's variables
if it asks for them), the real CLI as a subprocess (``python -m vibetesting_ci``), a signal if
it has one, and an :class:`Outcome` with everything the run left behind: exit code, seconds
from the signal to the exit, the runs the emulator created, its journal, and how many times a
secret (the API token, the login password, a password in --api-url, or the key of a report
link the emulator signed: its ``sig``) appears in stdout, stderr and every file.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faultkit.common import (
    SECRETS,
    TOKEN,
    URL_PASSWORD,
    clean_env,
    count_injections,
    count_secrets,
    refused_port,
    visible_stdout,
    wait_until,
)
from faultkit.proxy import PROXY_VARIABLES, forward_proxy
from faultkit.scenarios import Scenario
from faultkit.tls import CA_VARIABLES, make_ca
from vibetesting_ci.emulator import EmulatorServer
from vibetesting_ci.emulator.wire import Recorded


@dataclass
class Outcome:
    scenario: Scenario
    returncode: int
    stdout: str
    stderr: str
    files: dict[str, str]
    seconds: float  # start to exit
    signal_to_exit: float | None
    runs_created: int
    journal: list[Recorded]
    secrets_found: int
    workdir: Path
    injections: int = 0  # lines posing as workflow commands, raw ESC/NUL (common.count_injections)
    proxy_seen: list[str] = field(default_factory=list)
    ended_at: float = 0.0  # time.monotonic() at the exit (the journal's clock)

    def seconds_since(self, endpoint: str) -> float:
        """Seconds from the first request on ``endpoint`` to the exit (start-up excluded)."""
        first = next(r.time for r in self.journal if r.endpoint == endpoint)
        return self.ended_at - first

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def calls(self, endpoint: str) -> int:
        return sum(1 for r in self.journal if r.endpoint == endpoint)

    def results(self) -> dict[str, Any]:
        text = self.files.get("vibetesting-results.json")
        return json.loads(text) if text else {}

    @property
    def happened(self) -> str:
        """One line: the result file's verdict and message (or the last line of stderr)."""
        results = self.results()
        if results:
            return f"{results.get('result')}: {results.get('message') or ''}".strip()
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def pid1_available() -> bool:
    """True if this machine can run a process as PID 1 of a new PID namespace."""
    if os.geteuid() != 0 or not Path("/usr/bin/unshare").exists():
        return False
    probe = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", "test $$ -eq 1"],
        capture_output=True,
        check=False,
        timeout=10,
    )
    return probe.returncode == 0


def report_keys(srv: EmulatorServer) -> tuple[str, ...]:
    """The keys of the report links ``srv`` signed (each execution's ``sig``): secrets like the
    token, which only the report download may carry."""
    return tuple(e.report_sig for e in srv.executions.values() if e.report_sig)


def run_scenario(sc: Scenario, workdir: Path, environ: Mapping[str, str] | None = None) -> Outcome:
    """Run one scenario in ``workdir`` (created) and collect everything it left. The CLI's
    environment is built from ``environ`` (default: this process's, read now)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        emulator_args: dict[str, Any] = {}
        extra_env: dict[str, str] = {}
        drop = list(PROXY_VARIABLES)
        if sc.tls is not None:
            ca = make_ca(workdir.parent / f"{workdir.name}-ca")
            emulator_args["ssl_context"] = ca.server_context
            drop += CA_VARIABLES
            if sc.tls == "requests-ca-bundle":
                extra_env["REQUESTS_CA_BUNDLE"] = str(ca.ca_file)
            elif sc.tls == "ssl-cert-file":
                extra_env["SSL_CERT_FILE"] = str(ca.ca_file)
            elif sc.tls == "missing-ca-file":
                extra_env["REQUESTS_CA_BUNDLE"] = str(ca.ca_file.with_name("missing.pem"))
        srv = EmulatorServer(
            port=0,
            token=TOKEN,
            test_seconds=sc.test_seconds,
            seed=1,
            faults=list(sc.faults),
            report_link_query=sc.report_link_query,
            **emulator_args,
        ).start()
        stack.callback(srv.stop)
        seen: list[str] = []
        if sc.proxy == "through":
            proxy_url, seen = stack.enter_context(forward_proxy())
            extra_env["HTTP_PROXY"] = proxy_url
        elif sc.proxy == "bypass":
            dead = stack.enter_context(refused_port())  # nothing listens there
            extra_env["HTTP_PROXY"] = f"http://127.0.0.1:{dead}"
            extra_env["NO_PROXY"] = "127.0.0.1,localhost"
        url = srv.url if sc.api_url is None else sc.api_url
        if url == "refused":
            url = f"http://127.0.0.1:{stack.enter_context(refused_port())}/api/external/"
        elif url == "userinfo":  # a password in the URL: a secret like the token
            url = srv.url.replace("://", f"://qa:{URL_PASSWORD}@", 1)
        for name, content in sc.prepare:
            if content == "<fifo>":
                os.mkfifo(workdir / name)
            else:
                (workdir / name).write_text(content, encoding="utf-8")
        env = clean_env(
            {
                "VIBETESTING_API_TOKEN": TOKEN,
                "VIBETESTING_API_URL": url,
                "VIBETESTING_POLL_INTERVAL": "0.1",
                "VIBETESTING_TIMEOUT": "60",
                # Every output file there is, so the leak check reads them all.
                "VIBETESTING_DOTENV_FILE": "vibetesting.env",
            },
            base=environ,
        )
        for name in drop:
            env.pop(name, None)
        env.update(extra_env)
        if sc.github:
            env.update(
                {
                    "GITHUB_ACTIONS": "true",
                    "CI": "true",
                    "GITHUB_OUTPUT": str(workdir / "github-output.txt"),
                    "GITHUB_STEP_SUMMARY": str(workdir / "github-summary.md"),
                }
            )
        env.update(sc.env)
        command = [sys.executable, "-m", "vibetesting_ci", *sc.args]
        if sc.pid1:
            command = ["unshare", "--pid", "--fork", "--mount-proc", *command]
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        signalled: float | None = None
        if sc.signal is not None:
            target = proc.pid
            if sc.pid1:
                wait_until(lambda: bool(_children(proc.pid)), 10)
                target = (_children(proc.pid) or [proc.pid])[0]
            wait_until(
                lambda: (
                    sum(1 for r in srv.journal if r.endpoint == sc.signal_on) >= sc.signal_count
                    or proc.poll() is not None
                ),
                sc.timeout,
            )
            time.sleep(sc.signal_delay)
            signalled = time.monotonic()
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, sc.signal)
        try:
            stdout, stderr = proc.communicate(timeout=sc.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        ended = time.monotonic()
        if sc.settle:
            time.sleep(sc.settle)
        files = {
            str(p.relative_to(workdir)): p.read_bytes().decode("utf-8", "replace")
            for p in sorted(workdir.rglob("*"))
            if p.is_file() and p.stat().st_size <= 64 * 1024 * 1024
        }
        secrets = count_secrets(
            [visible_stdout(stdout), stderr, *files.values()], (*SECRETS, *report_keys(srv))
        )
        return Outcome(
            scenario=sc,
            returncode=proc.returncode,
            stdout=stdout,
            stderr=stderr,
            files=files,
            seconds=ended - started,
            signal_to_exit=None if signalled is None else ended - signalled,
            runs_created=srv.runs_created,
            journal=srv.journal,
            secrets_found=secrets,
            injections=count_injections(stdout, stderr),
            workdir=workdir,
            proxy_seen=list(seen),
            ended_at=ended,
        )
