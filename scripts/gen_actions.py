"""Generate both GitHub Actions (``action.yml`` and ``native/action.yml``) from the option table.

Every option of ``vibetesting run`` (``options.OPTIONS``) is an input of both actions, named
by the table (``option.input``), with the CLI's default (``option.default_text``) and the
description below (``INPUT_HELP``; the option's own help where none is written). Both actions
declare the outputs the GitHub adapter writes (``render.github.outputs_for``), described in
``OUTPUTS``. Inputs reach the CLI only as its ``VIBETESTING_*`` variables (``option.env``):

* ``action.yml`` is a Docker container action. GitHub hands a Docker action its inputs as
  ``INPUT_<NAME>`` with the hyphens kept, which a shell cannot read, so ``runs.env`` maps each
  input onto the CLI's variable. On ``main`` its image is ``Dockerfile`` (pull requests and
  ``uses: ./`` test their own code); the release rewrites it to the published image with
  ``--release-image ghcr.io/vibetesting/vibetesting-ci:X.Y.Z`` before it tags the commit.
* ``native/action.yml`` is a composite action for every runner (Linux, macOS, Windows): it finds
  a Python 3.11+ (``actions/setup-python`` only when there is none), restores a virtual
  environment from ``actions/cache`` keyed on the hash-locked requirements and the CLI's source,
  installs into it with ``pip --require-hashes`` on a miss (``native/setup.py``) and saves it at
  once (a run whose tests fail keeps its cache), then runs the CLI with the inputs in ``env:``
  (never expanded into a ``run:`` line).

Usage::

    python scripts/gen_actions.py            # rewrite both files (idempotent)
    python scripts/gen_actions.py --check    # exit 1 when either is not current
    python scripts/gen_actions.py --release-image ghcr.io/vibetesting/vibetesting-ci:1.2.3
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
NATIVE = ROOT / "native" / "action.yml"
sys.path.insert(0, str(ROOT / "src"))

from vibetesting_ci.config import kinds, options  # noqa: E402
from vibetesting_ci.domain.models import RunResult  # noqa: E402
from vibetesting_ci.domain.report import build_report  # noqa: E402
from vibetesting_ci.render.github import outputs_for  # noqa: E402

DEV_IMAGE = "Dockerfile"
RELEASE_IMAGE = re.compile(
    r"^ghcr\.io/[a-z0-9._-]+/[a-z0-9._-]+:\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?$"
)

# Actions the native variant uses, pinned by commit (the tag in the comment).
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065"  # v5.6.0
# actions/cache's restore and save halves: the venv is saved right after the install, so a job
# whose tests fail (the plain action's post step saves only after a successful job) keeps it.
CACHE_RESTORE = "actions/cache/restore@5a3ec84eff668545956fd18022155c47e93e2684"  # v4.2.3
CACHE_SAVE = "actions/cache/save@5a3ec84eff668545956fd18022155c47e93e2684"  # v4.2.3
NATIVE_PYTHON = "3.12"  # what setup-python installs when the runner has no Python 3.11+

# The action's wording of an input, where it says more than the CLI's --help line.
INPUT_HELP: dict[str, str] = {
    "api_token": "API token from the VibeTesting dashboard (API section). Pass it from a secret "
    "(e.g. `secrets.VIBETESTING_API_TOKEN`); masked in the log.",
    "api_url": "Base URL of the VibeTesting External API.",
    "request_timeout": "Seconds one HTTP request may take, all of it (connect, send, the whole "
    "answer); the connection is cut after that.",
    "allow_insecure_http": "`true`: allow a plain `http://` api-url to a host other than "
    "loopback (the token travels unencrypted).",
    "suite_id": "Re-run this existing suite (run-suite) instead of sending tests (run-tests). "
    "Cannot be combined with the run-tests inputs.",
    "execution_type": "`guided` (run the given tests) or `exploration` (the agent explores). "
    "Empty: `guided` when tests are given.",
    "tests_file": "Path (relative to the workspace) of a YAML or JSON file with a list of "
    "`{name, steps}` tests (`steps` is a string or a list of strings), a folder of them (every "
    "`*.yml`, `*.yaml` and `*.json` below it) or a glob (`**` included); one per line for "
    "several.",
    "tests": "The same list of tests, inline (YAML or JSON text).",
    "tags": "Send only the tests that have any of these tags (one per line). Empty: every test.",
    "exclude_tags": "Leave out the tests that have any of these tags (one per line).",
    "grep": "Send only the tests whose name matches this case-insensitive regular expression.",
    "shard": "`K/N` (e.g. `2/4` from a matrix): send the K-th of N shares of the selected tests; "
    "the shares never overlap and together hold every test. Empty: every test.",
    "vars": "Variables for `${NAME}` in the steps, instructions, focus areas, login identifier "
    "and target URL: `NAME=VALUE` lines.",
    "secret_vars": "Secret variables, `NAME=VALUE` lines with the values from secrets: masked "
    "in the log, never shown, sent only in the fields that use them.",
    "target_url": "The http(s) URL to test (e.g. a preview deployment's), sent to the agents as "
    '"Test the application at URL." before the general instructions.',
    "login_identifier": "User name or e-mail the agent logs in with (sends "
    "`login.login_needed=true`).",
    "login_password": "Password the agent logs in with. Pass it from a secret; masked in the log.",
    "general_instructions": "General instructions for the agent.",
    "focus_areas": "Focus areas for the agent, one per line.",
    "flows_count": "Number of flows to explore (exploration). Empty: the service default.",
    "max_steps_per_flow": "Largest number of steps per flow (exploration). Empty: the service "
    "default.",
    "send_report": "`true`/`false`: have the service e-mail a report when done. Empty: the "
    "service default.",
    "stop_existing": "`true`/`false`: stop executions already running before starting. Empty: "
    "the service default.",
    "allow_parallel": "`true`/`false`: batched parallel execution (the run may get several "
    "executions). Empty: the service default.",
    "schedule_at": "ISO 8601 date and time to schedule the run instead of starting it now (e.g. "
    "`2030-04-04T02:00:00+03:00`). A scheduled run is not awaited.",
    "repeat": "Recurrence of a scheduled run: `once`, `daily` or `weekly`.",
    "repeat_count": "Number of occurrences of a recurring schedule.",
    "timezone": "IANA time zone of `schedule-at` (e.g. `Europe/Berlin`). Empty: the account's "
    "time zone.",
    "dry_run": "`true`: validate the inputs and print the request that would be sent (secrets "
    "as ***), send nothing.",
    "wait": "`true`: wait for the executions to finish; `false`: trigger and return (result "
    "`triggered`). A scheduled run never waits.",
    "timeout": "Seconds to wait for all executions before giving up.",
    "poll_interval": "Seconds between status checks as an execution nears its end (at least 0.1).",
    "max_poll_interval": "Longest pause, in seconds, between status checks while the end is far.",
    "fail_on_timeout": "`true`: a timeout fails the step (exit 4); `false`: it passes with "
    "result `timeout`.",
    "allow_empty": "`true`: an execution the service reports done with no test passes; "
    "`false`: it fails the step (exit 1).",
    "stop_on_timeout": "`true`: stop the unfinished executions on timeout.",
    "stop_on_cancel": "`true`: stop the unfinished executions when the job is cancelled.",
    "junit_file": "JUnit XML file to write (relative to the workspace). Empty: none.",
    "report_file": "PDF report to download; with several executions `-<id>` goes before the "
    "suffix. Empty: none.",
    "results_file": "Results JSON file to write. Empty: none.",
    "dotenv_file": "Dotenv file to write (`KEY=VALUE` lines: VIBETESTING_RESULT, "
    "..._EXECUTION_IDS, ...). Empty: none.",
    "require_report": "`true`: fail (exit 3) when a PDF report cannot be downloaded; `false`: "
    "a warning.",
    "max_report_size": "Largest PDF report to accept, in MiB.",
    "max_failures": "Pass (exit 0) with at most this many tests failed or not done in the final "
    "counts. Never turns a timeout, a cancel or an API error into a pass. Empty: no threshold.",
    "min_pass_rate": "Pass (exit 0) when at least this percentage (0-100) of the tests passed in "
    "the final counts. Empty: no threshold.",
    "retry_failed": "Retry failed tests up to this many times (0-10), within the same `timeout`; "
    "a test that fails, then passes is flaky and passes. Each retry is a billed run.",
    "retry_failed_whole": "`true`: where failed tests cannot be told apart (a suite, an "
    "exploration, several tests in one execution), retry by rerunning the whole run (a full "
    "billed run).",
    "comment": "Post the result as one comment on the pull request, edited in place on later "
    "runs (needs github-token with pull-requests write). Never fails the step.",
    "github_token": "GitHub token for the comment (default the workflow's token); needs "
    "pull-requests write.",
}

# Every output the GitHub adapter writes, in this order, with its description.
OUTPUTS: dict[str, str] = {
    "result": "`passed`, `failed`, `error`, `timeout`, `cancelled`, `triggered` or `scheduled`.",
    "exit-code": "The CLI's exit code (0 passed/triggered/scheduled, 1 failed, 2 input error, "
    "3 API error, 4 timeout, 130/143 cancelled).",
    "execution-ids": "The execution ids, comma-separated.",
    "schedule-id": "The schedule id of a scheduled run (empty otherwise).",
    "tests": "Number of tests in all awaited executions.",
    "passed": "Number of passed tests.",
    "failed": "Number of failed tests.",
    "flaky": "Number of tests that failed, then passed on a retry (`retry-failed`).",
    "attempts": "Runs started, the first included (1 without `retry-failed`); a retry trigger "
    "that started no known run is not counted.",
    "junit-file": "Path of the JUnit XML file written (empty when none).",
    "report-file": "Paths of the PDF reports downloaded, comma-separated.",
    "report-url": "Links to the PDF reports, comma-separated, every query value shown as *** "
    "(a signed link's key stays out, so the link does not open the report: `report-file` has "
    "the PDFs).",
    "failed-tests": "The named tests that did not pass (failed, not done or not run) by their "
    "JUnit names, as a JSON array (the list `retry-failed` reruns).",
    "failed-tests-complete": "`true` when `failed-tests` holds every test that did not pass; "
    "`false` when the service's counts leave some unnamed (several tests in one execution; "
    "`allow-parallel: true` runs one per execution).",
}

BRANDING = ["branding:", "  icon: check-circle", "  color: purple"]
DESCRIPTION = (
    "Run VibeTesting AI tests or re-run a suite, wait for the results, and get JUnit XML, the "
    "PDF report, step outputs, a job summary and an exit code that fails the job when tests fail."
)


def run_options() -> list[kinds.Option]:
    """The option rows that are action inputs: everything ``vibetesting run`` takes."""
    return [o for o in options.OPTIONS if "run" in o.commands]


def input_description(option: kinds.Option) -> str:
    if option.name in INPUT_HELP:
        return INPUT_HELP[option.name]
    text = option.help  # a new option: its --help line, with inputs named as inputs
    for other in options.OPTIONS:
        text = text.replace(other.flag, f"`{other.input}`")
    return text


def declared_outputs() -> dict[str, str]:
    """``OUTPUTS``, checked against what the adapter writes (a new output needs a line)."""
    written = list(outputs_for(build_report(RunResult(result="passed", exit_code=0))))
    missing = [name for name in written if name not in OUTPUTS]
    if missing:
        raise SystemExit(f"gen_actions.py: describe the new output(s) {missing} in OUTPUTS")
    return {name: OUTPUTS[name] for name in written}


def scalar(text: str) -> str:
    """A YAML scalar: plain where that is unambiguous, else JSON-quoted (JSON is YAML)."""
    plain = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ,.()/:;_+-]*[A-Za-z0-9.)]", text)
    if plain and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def description_lines(indent: str, text: str) -> list[str]:
    return [f"{indent}description: {scalar(text)}"]


def input_lines() -> list[str]:
    lines = ["inputs:"]
    for option in run_options():
        lines.append(f"  {option.input}:")
        lines += description_lines("    ", input_description(option))
        if option.required:
            lines.append("    required: true")
            continue
        lines.append("    required: false")
        lines.append(f"    default: {json.dumps(option.default_text)}")
    return lines


def env_lines(indent: str) -> list[str]:
    return [f"{indent}{o.env}: ${{{{ inputs.{o.input} }}}}" for o in run_options()]


def header(title: str, usage: list[str]) -> list[str]:
    return [
        f"# {title}",
        "# Generated by scripts/gen_actions.py from the CLI's option table"
        " (src/vibetesting_ci/config/options.py):",
        "# edit those, then run `python scripts/gen_actions.py`; a test fails when this is stale.",
        *usage,
    ]


def render_docker(image: str = DEV_IMAGE) -> str:
    lines = header(
        "VibeTesting CI: the Docker container action (Linux runners).",
        [
            "# On main the image is built from the Dockerfile, so pull requests and `uses: ./`",
            "# test their own code; a release rewrites `image:` to the published, versioned image",
            "# (`gen_actions.py --release-image`) before it tags the commit. Every runner (macOS,",
            "# Windows, no Docker): `uses: vibetesting/vibetesting-ci/native@v1`.",
        ],
    )
    lines += [
        "name: VibeTesting CI",
        f"description: {scalar(DESCRIPTION)}",
        "author: vibetesting-ci developers",
        *BRANDING,
        "",
        "# Every input maps onto the CLI's own environment variable (runs.env below), so the",
        "# action, GitLab, Jenkins and a terminal share one configuration surface. An empty input",
        '# means "not set": the CLI\'s default applies, and for the service options the',
        "# service's own default.",
        *input_lines(),
        "",
        "outputs:",
    ]
    for name, text in declared_outputs().items():
        lines += [f"  {name}:", *description_lines("    ", text)]
    lines += [
        "",
        "runs:",
        "  using: docker",
        f"  image: {scalar(image)}",
        "  # GitHub passes inputs as INPUT_<NAME> with the hyphens kept, which a shell cannot",
        "  # read: each one is handed to the CLI under its own variable. entrypoint.sh execs the",
        "  # CLI, so it gets the runner's SIGINT/SIGTERM itself and stops the remote executions.",
        "  env:",
        *env_lines("    "),
    ]
    return "\n".join(lines) + "\n"


def render_native() -> str:
    lines = header(
        "VibeTesting CI, native: the same action without Docker, on every runner.",
        [
            "# Linux, macOS and Windows (hosted or self-hosted): the runner's Python 3.11+ (or",
            f"# actions/setup-python's {NATIVE_PYTHON} where there is none), a virtual environment",
            "# cached by actions/cache and keyed on the hash-locked requirements and the CLI's",
            "# source, `pip install --require-hashes` on a miss, then the CLI. The steps need bash",
            "# (every hosted runner has it; on Windows, Git Bash). Inputs reach the CLI only as",
            "# its VIBETESTING_* variables (env:), never expanded into a run: line.",
            "#",
            "#   - uses: vibetesting/vibetesting-ci/native@v1",
            "#     with:",
            "#       api-token: ${{ secrets.VIBETESTING_API_TOKEN }}",
            "#       tests-file: .vibetesting/tests.yml",
        ],
    )
    lines += [
        "name: VibeTesting CI (native)",
        f"description: {scalar(DESCRIPTION + ' Any runner, no Docker.')}",
        "author: vibetesting-ci developers",
        *BRANDING,
        "",
        *input_lines(),
        "",
        "outputs:",
    ]
    for name, text in declared_outputs().items():
        lines += [
            f"  {name}:",
            *description_lines("    ", text),
            f"    value: ${{{{ steps.run.outputs.{name} }}}}",
        ]
    lines += [
        "",
        "runs:",
        "  using: composite",
        "  steps:",
        "    - name: Find Python 3.11+",
        "      id: python",
        "      shell: bash",
        "      run: |",
        "        for candidate in python3 python; do",
        '          if command -v "$candidate" >/dev/null 2>&1 &&',
        "            \"$candidate\" -c 'import sys; sys.exit(sys.version_info < (3, 11))'"
        " >/dev/null 2>&1; then",
        '            echo "python=$(command -v "$candidate")" >>"$GITHUB_OUTPUT"',
        "            exit 0",
        "          fi",
        "        done",
        '        echo "python=" >>"$GITHUB_OUTPUT"',
        f"    - name: Set up Python {NATIVE_PYTHON} (no Python 3.11+ on this runner)",
        "      id: setup-python",
        "      if: steps.python.outputs.python == ''",
        f"      uses: {SETUP_PYTHON}  # v5.6.0",
        "      with:",
        f"        python-version: '{NATIVE_PYTHON}'",
        "        update-environment: false",
        "    - name: Cache key of the virtual environment",
        "      id: prepare",
        "      shell: bash",
        "      env:",
        "        FOUND_PYTHON: ${{ steps.python.outputs.python }}",
        "        SETUP_PYTHON: ${{ steps.setup-python.outputs.python-path }}",
        '      run: \'"${FOUND_PYTHON:-$SETUP_PYTHON}" "$GITHUB_ACTION_PATH/setup.py" prepare\'',
        "    - name: Restore the virtual environment",
        "      id: cache",
        f"      uses: {CACHE_RESTORE}  # v4.2.3",
        "      with:",
        "        path: ${{ steps.prepare.outputs.venv }}",
        "        key: ${{ steps.prepare.outputs.key }}",
        "    - name: Install vibetesting-ci (hash-locked) unless restored",
        "      id: install",
        "      shell: bash",
        "      env:",
        "        VIBETESTING_NATIVE_PYTHON: ${{ steps.prepare.outputs.python }}",
        "        VIBETESTING_NATIVE_VENV: ${{ steps.prepare.outputs.venv }}",
        "        VIBETESTING_NATIVE_KEY: ${{ steps.prepare.outputs.key }}",
        '      run: \'"$VIBETESTING_NATIVE_PYTHON" "$GITHUB_ACTION_PATH/setup.py" install\'',
        "    - name: Save the virtual environment (before the run, whatever its verdict)",
        "      id: save",
        "      if: steps.cache.outputs.cache-hit != 'true'",
        f"      uses: {CACHE_SAVE}  # v4.2.3",
        "      with:",
        "        path: ${{ steps.prepare.outputs.venv }}",
        "        key: ${{ steps.prepare.outputs.key }}",
        "    - name: Run VibeTesting",
        "      id: run",
        "      shell: bash",
        "      env:",
        "        VIBETESTING_NATIVE_CLI: ${{ steps.install.outputs.cli }}",
        *env_lines("        "),
        "      # exec: the CLI itself gets the runner's SIGINT/SIGTERM (CTRL_C/CTRL_BREAK on",
        "      # Windows) and stops the remote executions.",
        "      run: 'exec \"$VIBETESTING_NATIVE_CLI\" run'",
    ]
    return "\n".join(lines) + "\n"


def release_image(image: str) -> str:
    if not RELEASE_IMAGE.match(image):
        raise SystemExit(
            f"gen_actions.py: --release-image {image!r} is not ghcr.io/OWNER/NAME:X.Y.Z"
        )
    return f"docker://{image}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when stale")
    parser.add_argument(
        "--release-image",
        metavar="IMAGE",
        help="pin action.yml to this published image (the release workflow)",
    )
    args = parser.parse_args(argv)
    image = release_image(args.release_image) if args.release_image else DEV_IMAGE
    wanted = {ACTION: render_docker(image), NATIVE: render_native()}
    if args.check:
        stale = [
            str(path.relative_to(ROOT))
            for path, text in wanted.items()
            if not path.exists() or path.read_text(encoding="utf-8") != text
        ]
        if stale:
            print(
                f"stale: {', '.join(stale)}; run `python scripts/gen_actions.py`", file=sys.stderr
            )
            return 1
        return 0
    for path, text in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
