"""Every list of outputs, files and variables in the docs is complete: each is compared with the
code's own list, so the two cannot drift apart again (issue 24 found the GitLab component's
README three dotenv keys short and ``emulator --help`` without ``[flaky]``).

- dotenv keys (``reports.dotenv.KEYS``): every paragraph or table row of the READMEs, docs/ci.md
  and the legacy template that lists them (mentions ``EXECUTION_IDS``) names every key, in full
  or as its ``_SUFFIX``; a list that means to be partial says so with "...";
- action outputs (what ``render.github.outputs_for`` writes): ``action.yml``, the native action and
  the output tables of the README and docs/ci.md;
- the files written (the option table's PATH options) and the results JSON's top-level keys
  (``reports.results.render_results``): the README's "Files written" table;
- the emulator's markers (``emulator.model.MARKERS``), built-in suites (``BUILTIN_SUITES``) and
  fault kinds (``emulator.faults.KINDS``): ``vibetesting emulator --help``, docs/emulator.md and
  the README's sentence on markers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from vibetesting_ci.cli import cli
from vibetesting_ci.config.kinds import Kind
from vibetesting_ci.config.options import OPTIONS
from vibetesting_ci.domain.models import RunResult
from vibetesting_ci.domain.report import build_report
from vibetesting_ci.emulator.faults import KINDS
from vibetesting_ci.emulator.model import BUILTIN_SUITES, MARKERS, MISSING_SUITE_ID
from vibetesting_ci.render.dotenv import KEYS, PREFIX
from vibetesting_ci.render.github import outputs_for
from vibetesting_ci.render.results import render_results

ROOT = Path(__file__).resolve().parents[3]
DOTENV_DOCS = [
    "README.md",
    "templates/vibetesting/README.md",
    "docs/ci.md",
    "templates/vibetesting.gitlab-ci.yml",
]


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def blocks(text: str) -> list[str]:
    """Paragraphs (blank-line separated); a table row or a list item counts on its own."""
    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        found.extend(re.split(r"\n(?=\s*(?:\||- |# - ))", paragraph))
    return found


def names(text: str, key: str) -> bool:
    """``key`` is in ``text``, in full or as the ``_SUFFIX`` after ``VIBETESTING_RESULT``."""
    short = key.removeprefix(PREFIX.rstrip("_"))
    return any(
        re.search(rf"(?<![A-Z_]){re.escape(form)}(?![A-Z_])", text) for form in (key, short) if form
    )


def dotenv_lists() -> list[tuple[str, str]]:
    found = []
    for name in DOTENV_DOCS:
        for block in blocks(read(name)):
            if "EXECUTION_IDS" in block and "..." not in block:
                found.append((name, block))
    return found


def test_the_dotenv_lists_are_found():
    where = {name for name, _ in dotenv_lists()}
    assert where == set(DOTENV_DOCS)


@pytest.mark.parametrize(
    ("name", "block"),
    dotenv_lists(),
    ids=[f"{name}-{index}" for index, (name, _) in enumerate(dotenv_lists())],
)
def test_every_dotenv_list_names_every_key(name, block):
    missing = [key for key in KEYS if not names(block, key)]
    assert missing == [], f"{name}: the list of dotenv keys leaves out {missing}:\n{block}"


# -- action outputs ------------------------------------------------------------------------------

OUTPUTS = list(outputs_for(build_report(RunResult(result="passed", exit_code=0))))


def table_after(text: str, heading: str) -> list[str]:
    """First-column names of the table under ``heading``."""
    rest = text.split(heading, 1)[1]
    rows = re.findall(r"^\| `([^`]+)` \|", rest.split("\n#", 1)[0], re.MULTILINE)
    assert rows, heading
    return rows


@pytest.mark.parametrize("name", ["action.yml", "native/action.yml"])
def test_each_action_declares_every_output(name):
    assert list(yaml.safe_load(read(name))["outputs"]) == OUTPUTS


@pytest.mark.parametrize(
    ("name", "heading"), [("README.md", "#### Action outputs"), ("docs/ci.md", "### Outputs")]
)
def test_each_output_table_lists_every_output(name, heading):
    assert table_after(read(name), heading) == OUTPUTS


# -- files written, and the results JSON ---------------------------------------------------------

FILES_TABLE = read("README.md").split("### Files written", 1)[1].split("\n#", 1)[0]


@pytest.mark.parametrize(
    "option", [o for o in OPTIONS if o.kind is Kind.PATH], ids=lambda o: o.flag
)
def test_the_files_table_has_every_output_file(option):
    shown = f"`{option.default}`" if option.default else f"`{option.flag}`"
    assert shown in FILES_TABLE, option.flag


def test_the_results_row_lists_every_top_level_key():
    (row,) = [line for line in FILES_TABLE.splitlines() if line.startswith("| results JSON |")]
    keys = list(render_results(build_report(RunResult(result="passed", exit_code=0))))
    assert [key for key in keys if f"`{key}`" not in row] == []


# -- the emulator: markers, suites, faults -------------------------------------------------------


def emulator_help() -> str:
    result = CliRunner().invoke(cli, ["emulator", "--help"])
    assert result.exit_code == 0
    return result.output


def test_emulator_help_lists_every_marker_suite_and_fault():
    text = emulator_help()
    for marker in MARKERS:
        assert marker in text, marker
    for suite_id, suite in BUILTIN_SUITES.items():
        assert re.search(rf"^\s+{suite_id}\s+\"{re.escape(suite.name)}\"", text, re.M), suite_id
    assert re.search(rf"^\s+{MISSING_SUITE_ID}\s", text, re.M)
    for kind in KINDS:
        assert re.search(rf"(?<![\w-]){re.escape(kind)}(?![\w-])", text), kind


def test_emulator_docs_list_every_marker_suite_and_fault():
    text = read("docs/emulator.md")
    for marker in MARKERS:
        assert f"| `{marker}` |" in text, marker
    for suite_id, suite in BUILTIN_SUITES.items():
        assert f"| {suite_id} | {suite.name} |" in text, suite_id
    assert f"| {MISSING_SUITE_ID} |" in text
    for kind in KINDS:
        assert f"| `{kind}` |" in text, kind


def test_the_readme_sentence_on_markers_names_every_marker():
    (sentence,) = [b for b in blocks(read("README.md")) if "markers in test names steer" in b]
    for marker in MARKERS:
        assert f"`{marker}`" in sentence, marker
