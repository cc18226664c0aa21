"""The Jenkins shared library step (vars/vibetesting.groovy), by the Groovy harness.

No Jenkins runs here. ``tests/channels/jenkins/harness.groovy`` loads the step as Jenkins does,
with the pipeline steps stubbed (sh, withEnv, withCredentials, string, junit, archiveArtifacts,
unstable, error, readFile, fileExists); its ``sh`` really runs the CLI against the emulator on
loopback (native mode) or returns a given exit code. Groovy comes from Debian (``apt-get install
groovy``, as .ci/run does); without it the harness is skipped, unless REQUIRE_GROOVY=1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.emulator_process import emulator_process

ROOT = Path(__file__).resolve().parents[3]
STEP = ROOT / "vars" / "vibetesting.groovy"
TOKEN = "tok-Jenkins-5ecret-0123456789"


def load_generator() -> Any:
    import gen_component  # scripts/ is on pytest's pythonpath

    return gen_component


def groovy_env() -> dict[str, str]:
    env = dict(os.environ)
    java = shutil.which("java")
    if "JAVA_HOME" not in env and java:
        env["JAVA_HOME"] = str(Path(java).resolve().parent.parent)
    return {k: v for k, v in env.items() if not k.startswith("VIBETESTING_")}


def test_option_block_is_current() -> None:
    generator = load_generator()
    text = STEP.read_text(encoding="utf-8")
    assert generator.refresh_jenkins(text) == text, "run: python scripts/gen_component.py"


def test_every_option_but_the_secrets_is_an_argument() -> None:
    text = STEP.read_text(encoding="utf-8")
    reference = (ROOT / "vars" / "vibetesting.txt").read_text(encoding="utf-8")
    generator = load_generator()
    for option in generator.option_rows():
        name = generator.jenkins_name(option)
        assert f"    {name}: '{option.env}'," in text
        assert f"<code>{name}</code>" in reference, f"vars/vibetesting.txt lacks {name}"
    assert "apiToken:" not in text and "loginPassword:" not in text


def test_example_jenkinsfile_uses_the_library() -> None:
    text = (ROOT / "examples" / "Jenkinsfile").read_text(encoding="utf-8")
    assert re.search(r"^@Library\('vibetesting[@'].*\) _$", text, re.M)
    assert re.search(r"\bvibetesting\(", text)
    assert "docker run" not in text  # the step does that


@pytest.mark.skipif(
    shutil.which("groovy") is None and os.environ.get("REQUIRE_GROOVY") != "1",
    reason="groovy is not installed (apt-get install groovy)",
)
def test_harness(tmp_path: Path) -> None:
    assert shutil.which("groovy"), "REQUIRE_GROOVY=1 but groovy is not installed"
    cli = Path(sys.executable).parent / "vibetesting"
    with emulator_process(tmp_path, TOKEN) as url:
        proc = subprocess.run(
            [
                "groovy",
                str(ROOT / "tests" / "channels" / "jenkins" / "harness.groovy"),
                str(STEP),
                url,
                TOKEN,
                str(cli),
                str(tmp_path / "work"),
            ],
            capture_output=True,
            text=True,
            env=groovy_env(),
            timeout=300,
            check=False,
        )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert re.search(r"jenkins harness: \d+ passed, 0 failed", output), output
    assert not re.search(r"^FAIL ", output, re.M), output
