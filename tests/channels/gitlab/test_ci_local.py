"""The GitLab component, the legacy template and the example pipeline run by a real runner.

``gitlab-ci-local`` (the npm package; 4.75 on Node 22) parses each pipeline the way GitLab does
(includes, ``include: component:`` with typed inputs, ``extends``, ``allow_failure:
exit_codes``, artifacts, dotenv reports handed to later jobs) and runs every job with the shell
executor (``--force-shell-executor``: no container engine here, the CLI comes from this
virtualenv's PATH), each job in its own build folder (``--shell-isolation``), so a later job
sees only what the artifacts and the dotenv report carry. The real CLI talks to the real
emulator on loopback.

``include: component:`` resolves locally: gitlab-ci-local treats a component whose project is
the repository's own ``origin`` remote and whose version is the checked-out commit as local
(``$CI_SERVER_FQDN/$CI_PROJECT_PATH/vibetesting@$CI_COMMIT_SHA``, the form GitLab documents for
a component's own pipeline), and reads ``templates/vibetesting/template.yml`` from the work tree.

Skipped when gitlab-ci-local is not installed (``.ci/gitlab-ci-local.sh`` installs it into
``.ci-work/``); ``REQUIRE_GITLAB_CI_LOCAL=1`` (set by ``.ci/run``) turns the skip into a failure.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.emulator_process import emulator_process
from vibetesting_ci.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "tok-GitLabLocal-5ecret-0123456789"
REMOTE = "https://gitlab.com/vibetesting/vibetesting-ci.git"
COMPONENT = "$CI_SERVER_FQDN/$CI_PROJECT_PATH/vibetesting@$CI_COMMIT_SHA"
GCL_DEFAULT = ROOT / ".ci-work" / "gitlab-ci-local" / "bin" / "gitlab-ci-local"

PASSING = """\
- name: Home page loads
  steps: open the home page and check the title
- name: Sign in works
  steps: [open the sign-in page, sign in as the demo user]
"""
FAILING = """\
- name: Search finds products
  steps: search for shoes
- name: Checkout with a card [fail]
  steps: pay with the test card
"""
HANGING = """\
- name: Long journey [hang]
  steps: never finishes in the emulator
"""
MALFORMED = """\
- name: no steps here
  stepz: a typo
"""


def gitlab_ci_local() -> str | None:
    found = os.environ.get("GITLAB_CI_LOCAL") or (
        str(GCL_DEFAULT) if GCL_DEFAULT.exists() else None
    )
    if found is None:
        found = shutil.which("gitlab-ci-local")
    return found


GCL = gitlab_ci_local()
if GCL is None:
    if os.environ.get("REQUIRE_GITLAB_CI_LOCAL") == "1":
        raise RuntimeError("REQUIRE_GITLAB_CI_LOCAL=1 but gitlab-ci-local is not installed")
    pytest.skip(
        "gitlab-ci-local is not installed (bash .ci/gitlab-ci-local.sh --install)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with emulator_process(tmp_path_factory.mktemp("emulator"), TOKEN) as url:
        yield url


def safe(job: str) -> str:
    """The folder name gitlab-ci-local gives a job: each run of other characters than letters,
    digits, ``-`` and ``_`` as its unpadded base64 (``vibetesting: [1/4]`` ->
    ``vibetestingOiBb1Lw4XQ``)."""
    return re.sub(
        r"[^A-Za-z0-9_-]+",
        lambda m: base64.b64encode(m.group().encode()).decode().rstrip("="),
        job,
    )


@dataclass
class Pipeline:
    returncode: int
    output: str
    project: Path

    def status(self, job: str) -> str:
        """PASS, WARN (failed, allowed to) or FAIL, from the runner's closing summary."""
        found = re.search(rf"^ (PASS|WARN|FAIL)  {re.escape(job)}\s", self.output, re.M)
        assert found, f"job {job} not in the summary:\n{self.output[-3000:]}"
        return found.group(1)

    def log(self, job: str) -> str:
        return (self.project / ".gitlab-ci-local" / "output" / f"{safe(job)}.log").read_text()

    def artifact(self, job: str, path: str) -> Path:
        return self.project / ".gitlab-ci-local" / "artifacts" / safe(job) / path

    def everything(self) -> str:
        """Every log and every artifact, for the secret check."""
        texts = [self.output]
        for path in (self.project / ".gitlab-ci-local").rglob("*"):
            if path.is_file() and "includes" not in path.parts and ".git" not in path.parts:
                texts.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(texts)


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    """A git work tree with this repository's templates/ and ``origin`` set to its GitLab home."""
    folder = tmp_path / "project"
    shutil.copytree(ROOT / "templates", folder / "templates")
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    git = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "remote", "add", "origin", REMOTE], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "pipeline under test"], check=True)
    return folder


def run_pipeline(folder: Path, api_url: str, *extra: str) -> Pipeline:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIBETESTING_", "GITHUB_", "GITLAB_", "CI_")) and k != "CI"
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    assert GCL is not None
    proc = subprocess.run(
        [
            GCL,
            "--force-shell-executor",
            "--shell-isolation",
            "--no-color",
            "--variable",
            f"VIBETESTING_API_TOKEN={TOKEN}",  # a masked CI/CD variable
            "--input",
            f"api-url={api_url}",
            *extra,
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Pipeline(proc.returncode, proc.stdout + proc.stderr, folder)


def test_component_passing_run_dotenv_downstream_and_a_second_vibetesting_job(
    tmp_path: Path, api_url: str
) -> None:
    """Two inputs give JUnit, the PDF and the dotenv; a smoke suite runs vibetesting again
    with the dotenv variables of the first run in its environment; a later job reads them."""
    folder = project(
        tmp_path,
        {
            "passing.yml": PASSING,
            ".gitlab-ci.yml": f"""\
stages: [test, smoke, report]
include:
  - component: {COMPONENT}
    inputs:
      tests-file: passing.yml
      poll-interval: 0.1
  - component: {COMPONENT}
    inputs:
      job-name: vibetesting-smoke
      stage: smoke
      suite-id: "42"
      poll-interval: 0.1
      dotenv-file: smoke.env
      junit-file: smoke-junit.xml
      report-name: smoke-report
      results-file: smoke-results.json
summary:
  stage: report
  needs: [vibetesting]
  script:
    - echo "VibeTesting $VIBETESTING_RESULT ($VIBETESTING_RESULT_PASSED/$VIBETESTING_RESULT_TESTS)"
    - test "$VIBETESTING_RESULT" = passed
    - test "$VIBETESTING_RESULT_TESTS" = 2 && test "$VIBETESTING_RESULT_PASSED" = 2
    - test "$VIBETESTING_RESULT_FAILED" = 0
    - test -n "$VIBETESTING_RESULT_EXECUTION_IDS"
    - test -f vibetesting-report.pdf && test -f vibetesting-junit.xml
""",
        },
    )
    run = run_pipeline(folder, api_url)
    assert run.status("vibetesting") == "PASS", run.output
    assert run.status("vibetesting-smoke") == "PASS", run.log("vibetesting-smoke")
    assert run.status("summary") == "PASS", run.log("summary")
    junit = run.artifact("vibetesting", "vibetesting-junit.xml").read_text()
    assert junit.count("<testcase") == 2 and "<failure" not in junit
    assert run.artifact("vibetesting", "vibetesting-report.pdf").read_bytes().startswith(b"%PDF-")
    assert run.artifact("vibetesting", "vibetesting-results.json").exists()
    # The smoke job ran with the first job's dotenv in its environment (stage order): it
    # re-ran suite 42, which VIBETESTING_TESTS as a count would have broken (exit 2).
    smoke = run.log("vibetesting-smoke")
    assert "run-suite" in smoke and "result: passed" in smoke
    assert run.artifact("vibetesting-smoke", "smoke-report.pdf").exists()
    assert "VibeTesting passed (2/2)" in run.log("summary")
    assert TOKEN not in run.everything()


def test_old_dotenv_names_break_the_next_run(tmp_path: Path, api_url: str) -> None:
    """The control: the 0.1.0 dotenv names, handed to a later vibetesting job, change its run
    (the count in VIBETESTING_TESTS is read as inline tests): exit 2."""
    folder = project(
        tmp_path,
        {
            ".gitlab-ci.yml": f"""\
stages: [test, smoke]
include:
  - component: {COMPONENT}
    inputs:
      job-name: smoke-after-old-names
      stage: smoke
      suite-id: "42"
old-names:
  stage: test
  script:
    - printf 'VIBETESTING_RESULT=passed\\nVIBETESTING_TESTS=2\\n' > old.env
  artifacts:
    reports:
      dotenv: old.env
""",
        },
    )
    run = run_pipeline(folder, api_url)
    assert run.status("old-names") == "PASS"
    assert run.status("smoke-after-old-names") == "FAIL"
    log = run.log("smoke-after-old-names")
    assert "VIBETESTING_TESTS" in log and "cannot be combined" in log


def test_component_failed_tests_allowed_with_relocated_paths(tmp_path: Path, api_url: str) -> None:
    """allow-failed-tests: exit 1 is a warning; the artifacts follow the relocated paths."""
    folder = project(
        tmp_path,
        {
            "failing.yml": FAILING,
            ".gitlab-ci.yml": f"""\
stages: [test, report]
include:
  - component: {COMPONENT}
    inputs:
      tests-file: failing.yml
      poll-interval: 0.1
      allow-failed-tests: true
      junit-file: out/junit/vibetesting.xml
      report-name: out/pdf/run
      results-file: out/results.json
      dotenv-file: out/vibetesting.env
after:
  stage: report
  script:
    - test "$VIBETESTING_RESULT" = failed && test "$VIBETESTING_RESULT_FAILED" = 1
    - test -f out/junit/vibetesting.xml && test -f out/pdf/run.pdf && test -f out/results.json
""",
        },
    )
    run = run_pipeline(folder, api_url)
    assert run.status("vibetesting") == "WARN", run.output
    assert "exit code 1" in run.log("vibetesting") or "result: failed (exit 1)" in run.log(
        "vibetesting"
    )
    assert run.status("after") == "PASS", run.log("after")
    junit = run.artifact("vibetesting", "out/junit/vibetesting.xml").read_text()
    assert "<failure" in junit
    assert run.artifact("vibetesting", "out/pdf/run.pdf").read_bytes().startswith(b"%PDF-")
    assert run.artifact("vibetesting", "out/results.json").exists()
    assert not run.artifact("vibetesting", "vibetesting-junit.xml").exists()


def test_component_failures_that_are_not_failed_tests_still_fail(
    tmp_path: Path, api_url: str
) -> None:
    """allow-failed-tests does not cover a timeout (exit 4) or an input error (exit 2); without
    it, failed tests fail the job. The timed-out run's JUnit is still kept."""
    folder = project(
        tmp_path,
        {
            "failing.yml": FAILING,
            "hanging.yml": HANGING,
            "malformed.yml": MALFORMED,
            ".gitlab-ci.yml": f"""\
include:
  - component: {COMPONENT}
    inputs:
      job-name: timed-out
      tests-file: hanging.yml
      timeout: 2
      poll-interval: 0.2
      allow-failed-tests: true
  - component: {COMPONENT}
    inputs:
      job-name: malformed
      tests-file: malformed.yml
      allow-failed-tests: true
  - component: {COMPONENT}
    inputs:
      job-name: failed-not-allowed
      tests-file: failing.yml
      poll-interval: 0.1
""",
        },
    )
    run = run_pipeline(folder, api_url)
    assert run.status("timed-out") == "FAIL"
    assert "exit 4" in run.log("timed-out")
    junit = run.artifact("timed-out", "vibetesting-junit.xml").read_text()
    assert "<error" in junit
    assert run.status("malformed") == "FAIL"
    assert "malformed.yml" in run.log("malformed") and "Traceback" not in run.log("malformed")
    assert run.status("failed-not-allowed") == "FAIL"
    assert "result: failed (exit 1)" in run.log("failed-not-allowed")


@pytest.mark.parametrize(
    ("inputs", "complaint"),
    [
        ("suite-id: abc", "`suite-id` input: `abc` does not match required regex"),
        ("execution-type: guide", "`execution-type` input: `guide` cannot be used"),
        ("timeout: soon", "`timeout` input: provided value is not a number"),
    ],
)
def test_component_rejects_malformed_inputs(
    tmp_path: Path, api_url: str, inputs: str, complaint: str
) -> None:
    """The spec's types, options and regexes refuse a bad input before any job runs."""
    folder = project(
        tmp_path,
        {
            ".gitlab-ci.yml": f"""\
include:
  - component: {COMPONENT}
    inputs:
      {inputs}
""",
        },
    )
    run = run_pipeline(folder, api_url)
    assert run.returncode != 0
    assert complaint in run.output
    assert "starting shell" not in run.output


def test_legacy_template_artifacts_follow_the_variables(tmp_path: Path, api_url: str) -> None:
    """A job extending .vibetesting with a relocated JUnit file keeps it (issue 10 item 7)."""
    folder = project(
        tmp_path,
        {
            "passing.yml": PASSING,
            ".gitlab-ci.yml": """\
include:
  - local: templates/vibetesting.gitlab-ci.yml
vibetesting:
  extends: .vibetesting
  variables:
    VIBETESTING_TESTS_FILE: passing.yml
    VIBETESTING_POLL_INTERVAL: "0.1"
    VIBETESTING_JUNIT_FILE: reports/junit.xml
    VIBETESTING_REPORT_FILE: reports/vibetesting.pdf
""",
        },
    )
    run = run_pipeline(folder, api_url, "--variable", "VIBETESTING_API_URL=" + api_url)
    assert run.status("vibetesting") == "PASS", run.output
    assert "<testcase" in run.artifact("vibetesting", "reports/junit.xml").read_text()
    assert run.artifact("vibetesting", "reports/vibetesting.pdf").exists()
    assert run.artifact("vibetesting", ".gitlab-ci-reports/dotenv/vibetesting.env").exists()


def test_example_pipeline_runs(tmp_path: Path, api_url: str) -> None:
    """examples/gitlab-ci.yml as shipped, with the component pinned to this commit."""
    folder = project(
        tmp_path,
        {
            ".gitlab-ci.yml": pinned_example("gitlab-ci.yml"),
            ".vibetesting/tests.yml": (ROOT / "examples" / "tests.yml").read_text(encoding="utf-8"),
        },
    )
    run = run_pipeline(folder, api_url, "--input", "poll-interval=0.1")
    # The example's tests include one the emulator fails ([fail]): the job fails, the summary
    # (when: always) still reads the dotenv report.
    assert run.status("vibetesting") == "FAIL", run.output
    assert run.status("vibetesting-summary") == "PASS", run.log("vibetesting-summary")
    assert "VibeTesting failed - 1 passed, 1 failed" in run.log("vibetesting-summary")
    assert TOKEN not in run.everything()


def test_catalog_release_job_only_for_version_tags(tmp_path: Path, api_url: str) -> None:
    """The repository's .gitlab-ci.yml: the release job exists for a 1.2.3 tag only, and runs
    (gitlab-ci-local runs its script; the `release:` keyword itself needs GitLab)."""
    folder = project(tmp_path, {".gitlab-ci.yml": (ROOT / ".gitlab-ci.yml").read_text()})

    def jobs(*variables: str) -> list[str]:
        run = run_pipeline(folder, api_url, "--list", *variables)
        return re.findall(r"^(\S+)\s+\S*\s*(?:test|release)\s", run.output, re.M)

    assert "release" in jobs("--variable", "CI_COMMIT_TAG=1.2.3")
    assert "release" not in jobs("--variable", "CI_COMMIT_TAG=v1")
    assert jobs() == ["test"]
    run = run_pipeline(folder, api_url, "release", "--variable", "CI_COMMIT_TAG=1.2.3")
    assert run.status("release") == "PASS"
    assert "Publishing the vibetesting component 1.2.3" in run.log("release")


SUITE = """\
tests:
  - name: home page loads
    tags: [smoke]
    steps: open the home page
  - name: search finds a mug
    tags: [smoke]
    steps: search for a mug
  - name: sign in works
    tags: [smoke, auth]
    steps: sign in as the demo user
  - name: cart keeps items
    tags: [smoke]
    steps: add two items and reload
  - name: guest checkout
    tags: [checkout]
    steps: check out as a guest
  - name: coupon applies
    tags: [smoke, checkout]
    steps: apply a coupon
  - name: new admin page
    tags: [smoke, wip]
    steps: open the unfinished admin page
"""
SMOKE = [
    "home page loads",
    "search finds a mug",
    "sign in works",
    "cart keeps items",
    "coupon applies",
]


@pytest.fixture()
def recording() -> Iterator[EmulatorServer]:
    """An in-process emulator whose journal holds the bodies the jobs sent."""
    with EmulatorServer(token=TOKEN, test_seconds=0.05) as server:
        yield server


def pinned_example(name: str) -> str:
    example = (ROOT / "examples" / name).read_text(encoding="utf-8")
    pinned, count = re.subn(r"component: \S+/vibetesting@\S+", f"component: {COMPONENT}", example)
    assert count >= 1, f"{name} includes the component"
    return pinned


def sent_tests(server: EmulatorServer) -> list[list[str]]:
    """The tests of each ``run-tests`` body the emulator received, in order."""
    bodies = [r.json for r in server.journal if r.endpoint == "run-tests"]
    return [[t["name"] for t in body["tests"]] for body in bodies]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("push", SMOKE),  # the default branch: the smoke tests
        ("schedule", [*SMOKE[:4], "guest checkout", SMOKE[4]]),  # every test but wip
    ],
)
def test_shards_example_splits_the_selected_tests_across_parallel_jobs(
    tmp_path: Path, recording: EmulatorServer, source: str, expected: list[str]
) -> None:
    """examples/shards-gitlab-ci.yml as shipped: `parallel: 4` gives four jobs, `shard: auto`
    reads CI_NODE_INDEX/CI_NODE_TOTAL; the shards never overlap and together send every
    selected test once; each job's JUnit holds its own share."""
    folder = project(
        tmp_path,
        {".gitlab-ci.yml": pinned_example("shards-gitlab-ci.yml"), ".vibetesting/t.yml": SUITE},
    )
    run = run_pipeline(
        folder,
        recording.url,
        "--input",
        "poll-interval=0.1",
        "--variable",
        f"CI_PIPELINE_SOURCE={source}",
    )
    assert run.returncode == 0, run.output
    jobs = [f"vibetesting: [{k}/4]" for k in range(1, 5)]
    assert [run.status(job) for job in jobs] == ["PASS"] * 4, run.output
    shards = sent_tests(recording)
    assert len(shards) == 4, shards
    flat = [name for shard in shards for name in shard]
    assert sorted(flat) == sorted(expected) and len(set(flat)) == len(flat)
    for job in jobs:
        log = run.log(job)
        assert re.search(r"shard \d/4", log), log
    junit_cases = sum(
        run.artifact(job, "vibetesting-junit.xml").read_text().count("<testcase") for job in jobs
    )
    assert junit_cases == len(expected)
    assert TOKEN not in run.everything()


def test_preview_example_sends_the_review_apps_url(
    tmp_path: Path, recording: EmulatorServer
) -> None:
    """examples/preview-gitlab-ci.yml as shipped, in a merge request pipeline: the component's
    job joins the review environment, and its URL reaches the agents as the target URL's
    sentence first in the general instructions."""
    folder = project(
        tmp_path,
        {
            ".gitlab-ci.yml": pinned_example("preview-gitlab-ci.yml"),
            ".vibetesting/smoke.yml": PASSING,
        },
    )
    run = run_pipeline(
        folder,
        recording.url,
        "--input",
        "poll-interval=0.1",
        "--variable",
        "CI_PIPELINE_SOURCE=merge_request_event",
        "--variable",
        "CI_COMMIT_REF_SLUG=feature-x",
    )
    assert run.status("deploy-review") == "PASS", run.output
    assert run.status("vibetesting") == "PASS", run.log("vibetesting")
    bodies = [r.json for r in recording.journal if r.endpoint == "run-tests"]
    assert len(bodies) == 1
    url = "https://feature-x.review.example.com"
    assert bodies[0]["general_instructions"] == f"Test the application at {url}."
    results = json.loads(run.artifact("vibetesting", "vibetesting-results.json").read_text())
    assert results["target_url"] == url
    assert TOKEN not in run.everything()
