#!/usr/bin/env bash
# The action's container, really built and run (as root; called by .ci/run).
#
#  1. a stand-in for python:3.12-slim (../shared/tools/standin-base-image.sh: no image registry
#     here), then `buildah bud` of our Dockerfile; prints the added layers' size and build time;
#  2. the emulator on loopback on the host (chroot isolation shares the host's network);
#  3. the image run the way GitHub's runner runs a Docker action: workspace at
#     /github/workspace, GITHUB_ACTIONS=true, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files under a
#     mounted /github/file_commands, and every `runs.env` variable of action.yml evaluated
#     against the inputs (given or default), then /entrypoint.sh with no arguments;
#  4. checks: a passing run (exit 0, JUnit, PDF, results, outputs, summary, masking), a failing
#     run (exit 1, ::error:: annotation), `status ID` arguments, and SIGTERM to the CLI in the
#     container (the remote execution is stopped, exit 143);
#  5. .ci/smoke-image.sh, the smoke test the workflows run, on the same image;
#  6. linux/arm64: qemu-user-static (.ci/qemu-binfmt.sh), a stand-in arm64 base
#     (.ci/standin-arm64.sh, its own store), `buildah bud --arch arm64`, the image's architecture
#     checked and the smoke test run in it under qemu (SKIP_ARM64=1 skips this part).
# Prints PASS/FAIL per check and a summary; exits 1 if any check failed.
# Environment: PYTHON (a host Python that can import vibetesting_ci, for the emulator),
# KEEP_IMAGE=1 keeps the built image (default: removed at the end, to save disk).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
store=(--storage-driver vfs)
arm_store=(--storage-driver vfs --root /var/lib/containers/arm64 --runroot /run/containers/arm64)
image=localhost/vibetesting-ci:test
token="tok-Container-$RANDOM$RANDOM-Secret"
started=$SECONDS

work=$(mktemp -d /tmp/vibetesting-container-test.XXXXXX)
emulator_pid=""
containers=()
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; fi
  for c in "${containers[@]}"; do buildah "${store[@]}" rm "$c" >/dev/null 2>&1 || true; done
  if [ "${KEEP_IMAGE:-0}" != 1 ]; then
    buildah "${store[@]}" rmi "$image" >/dev/null 2>&1 || true
    buildah "${arm_store[@]}" rmi "$image" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

results=()
failures=0
pass() { echo "PASS  $1"; results+=("PASS  $1"); }
fail() { echo "FAIL  $1${2:+: $2}"; results+=("FAIL  $1"); failures=$((failures + 1)); }
expect() { # expect NAME COMMAND... : PASS if the command succeeds
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
finish() {
  echo
  echo "==== container test summary ($((SECONDS - started)) s)"
  printf '%s\n' "${results[@]}"
  local passed=$(( ${#results[@]} - failures ))
  echo "container-test: $passed passed, $failures failed"
  [ "$failures" -eq 0 ]
}

# ---- host Python for the emulator and the helper scripts
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$root/.venv/bin/python" ]; then PYTHON=$root/.venv/bin/python; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c 'import vibetesting_ci.emulator' 2>/dev/null; then
  export PYTHONPATH="$root/src${PYTHONPATH:+:$PYTHONPATH}"
fi

# ---- 1. base image stand-in and build
echo "==== base image"
standin="$root/../shared/tools/standin-base-image.sh"
if ! bash "$standin"; then
  fail "stand-in base image" "$standin failed"
  finish
fi

echo "==== build"
build_start=$SECONDS
if ! buildah "${store[@]}" bud --isolation chroot --pull=never -t "$image" . >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log"
  fail "image builds"
  finish
fi
build_seconds=$((SECONDS - build_start))
pass "image builds (${build_seconds} s)"

# Layers on top of the base: diff sizes from the storage's layer records.
"$PYTHON" - "$image" <<'PY'
import json
import subprocess
import sys

store = ["buildah", "--storage-driver", "vfs"]
def top_layer(name):
    out = subprocess.run([*store, "inspect", "--type", "image", "--format", "{{.FromImageID}}",
                          name], capture_output=True, text=True, check=True).stdout.strip()
    return out
layers = {l["id"]: l for l in json.load(open("/var/lib/containers/storage/vfs-layers/layers.json"))}
images = json.load(open("/var/lib/containers/storage/vfs-images/images.json"))
by_name = {n: im for im in images for n in im.get("names", [])}
image = by_name.get(sys.argv[1]) or by_name.get(sys.argv[1].split("/", 1)[-1])
base = by_name.get("docker.io/library/python:3.12-slim")
if image is None or base is None:
    print("layer sizes: image records not found")
    sys.exit(0)
added, layer = [], image["layer"]
while layer and layer != base["layer"]:
    added.append(layers[layer].get("diff-size", 0))
    layer = layers[layer].get("parent")
total = sum(added)
print(f"added layers: {len(added)}, {total} bytes ({total / 2**20:.1f} MiB) uncompressed "
      f"on top of the base ({layers[base['layer']].get('diff-size', 0) / 2**20:.1f} MiB)")
PY
buildah "${store[@]}" images "$image"

# ---- 2. emulator on the host's loopback
echo "==== emulator"
"$PYTHON" -m vibetesting_ci emulator --port 0 --token "$token" --test-seconds 0.3 \
  >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
api_url=""
for _ in $(seq 1 100); do
  api_url=$(sed -n 's/^VibeTesting emulator listening on \([^ ]*\).*/\1/p' "$work/emulator.out")
  [ -n "$api_url" ] && break
  sleep 0.1
done
if [ -z "$api_url" ]; then
  cat "$work/emulator.out" "$work/emulator.log"
  fail "emulator starts"
  finish
fi
pass "emulator listening on $api_url"

# ---- 3. helpers: the runner's environment and one container step
# step NAME WITH_JSON [ARGS...]: runs the image like GitHub's runner; leaves the workspace in
# $work/NAME/workspace, the command files in $work/NAME/commands, stdout/stderr/rc beside them.
runner_env() { # runner_env WITH_JSON -> NUL-separated NAME=VALUE pairs
  "$PYTHON" - "$1" <<'PY'
import json
import re
import sys

import yaml

action = yaml.safe_load(open("action.yml", encoding="utf-8"))
given = json.loads(sys.argv[1])
unknown = set(given) - set(action["inputs"])
if unknown:
    sys.exit(f"inputs not in action.yml: {sorted(unknown)}")
inputs = {name: str(given.get(name, (spec or {}).get("default", "")))
          for name, spec in action["inputs"].items()}
env = {f"INPUT_{name.upper()}": value for name, value in inputs.items()}
def evaluate(template):
    def one(match):
        ref = re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", match.group(1))
        if ref is None:
            sys.exit(f"cannot evaluate {match.group(0)}")
        return inputs[ref.group(1)]
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", one, str(template))
env.update({k: evaluate(v) for k, v in (action["runs"].get("env") or {}).items()})
env.update({
    "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": "/github/workspace",
    "HOME": "/github/home",
    "GITHUB_OUTPUT": "/github/file_commands/set_output",
    "GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary",
})
sys.stdout.write("".join(f"{k}={v}\0" for k, v in env.items()))
PY
}

new_container() { # sets $container (no subshell, so cleanup knows it)
  container=$(buildah "${store[@]}" from --pull=never "$image")
  containers+=("$container")
}

prepare_step() { # prepare_step NAME: fresh folders, a tests file with passing and [fail] tests
  local dir=$work/$1
  mkdir -p "$dir/workspace" "$dir/commands" "$dir/home"
  cat >"$dir/workspace/passing.yml" <<'YAML'
- name: Home page loads
  steps: open the home page and check the title
- name: Sign in works
  steps: [open the sign-in page, sign in as the demo user, check the dashboard]
YAML
  cat >"$dir/workspace/failing.yml" <<'YAML'
- name: Search finds products
  steps: search for "shoes" and check the results
- name: Checkout with a card [fail]
  steps: pay with the test card and check the receipt
YAML
  cat >"$dir/workspace/hanging.yml" <<'YAML'
- name: Long journey [hang]
  steps: never finishes in the emulator
YAML
}

run_step() { # run_step NAME WITH_JSON [ARGS...] in $container (new_container first); sets $step_rc
  local name=$1 with=$2
  shift 2
  local dir=$work/$name c=$container
  local -a envargs=()
  while IFS= read -r -d '' pair; do envargs+=(--env "$pair"); done < <(runner_env "$with")
  set +e
  buildah "${store[@]}" run --isolation chroot \
    -v "$dir/workspace:/github/workspace" -v "$dir/commands:/github/file_commands" \
    -v "$dir/home:/github/home" --workingdir /github/workspace \
    "${envargs[@]}" "$c" -- /entrypoint.sh "$@" >"$dir/stdout" 2>"$dir/stderr"
  step_rc=$?
  set -e
  echo "$step_rc" >"$dir/rc"
}

output() { # output NAME KEY: one value from the step's GITHUB_OUTPUT file (heredoc form)
  "$PYTHON" - "$work/$1/commands/set_output" "$2" <<'PY'
import sys
sys.path.insert(0, "scripts")
from composite_runner import parse_output_file  # the runner simulation's reader (tests use it too)
text = open(sys.argv[1], encoding="utf-8").read() if __import__("os").path.exists(sys.argv[1]) else ""
print(parse_output_file(text).get(sys.argv[2], "<unset>"))
PY
}

no_leak() { # no_leak NAME: the token is in no output or file but the ::add-mask:: line(s) first
  local dir=$work/$1
  local masks
  masks=$(grep -c '^::add-mask::' "$dir/stdout" || true)
  [ "$masks" -ge 1 ] || return 1
  # the mask lines come first
  head -n "$masks" "$dir/stdout" | grep -qv '^::add-mask::' && return 1
  tail -n +"$((masks + 1))" "$dir/stdout" | grep -qF "$token" && return 1
  grep -rqF "$token" "$dir/stderr" "$dir/workspace" "$dir/commands" && return 1
  return 0
}

show() { # show NAME: the step's output, for a failing check
  local dir=$work/$1
  echo "---- $1: exit $(cat "$dir/rc" 2>/dev/null), stdout:"; sed 's/^/  | /' "$dir/stdout"
  echo "---- stderr:"; sed 's/^/  | /' "$dir/stderr"
}

fast='"poll-interval": "0.1", "timeout": "120"'

# ---- 4a. a passing run
echo "==== passing run"
prepare_step pass
new_container
run_step pass "{\"api-token\": \"$token\", \"api-url\": \"$api_url\", \"tests-file\": \"passing.yml\", $fast}"
ws=$work/pass/workspace
[ "$step_rc" -eq 0 ] || show pass
expect "passing run exits 0" test "$step_rc" -eq 0
expect "JUnit XML in the workspace" "$PYTHON" -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
sys.exit(0 if len(cases) == 2 and not root.findall(".//failure") else 1)' "$ws/vibetesting-junit.xml"
expect "PDF report in the workspace" "$PYTHON" -c '
import sys; sys.exit(0 if open(sys.argv[1], "rb").read(5) == b"%PDF-" else 1)' "$ws/vibetesting-report.pdf"
expect "results JSON says passed" "$PYTHON" -c '
import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["result"] == "passed" else 1)' "$ws/vibetesting-results.json"
expect "GITHUB_OUTPUT result=passed" test "$(output pass result)" = passed
expect "GITHUB_OUTPUT tests=2 passed=2 failed=0" \
  test "$(output pass tests)/$(output pass passed)/$(output pass failed)" = 2/2/0
expect "GITHUB_OUTPUT junit-file, report-file" \
  test "$(output pass junit-file),$(output pass report-file)" = "vibetesting-junit.xml,vibetesting-report.pdf"
expect "job summary with table and mermaid chart" grep -q '^```mermaid' "$work/pass/commands/step_summary"
expect "token masked first and nowhere else" no_leak pass
pass_id=$(output pass execution-ids)

# ---- 4b. a failing run
echo "==== failing run"
prepare_step fail
new_container
run_step fail "{\"api-token\": \"$token\", \"api-url\": \"$api_url\", \"tests-file\": \"failing.yml\", \"junit-file\": \"out/junit.xml\", $fast}"
[ "$step_rc" -eq 1 ] || show fail
expect "failing run exits 1" test "$step_rc" -eq 1
expect "GITHUB_OUTPUT result=failed failed=1" test "$(output fail result)/$(output fail failed)" = failed/1
expect "JUnit XML at the given path, with the failure" grep -q '<failure' "$work/fail/workspace/out/junit.xml"
expect "::error:: annotation for the failed execution" grep -q '^::error title=VibeTesting execution ' "$work/fail/stdout"
expect "token masked first and nowhere else (failing run)" no_leak fail

# ---- 4c. arguments: `status ID`
echo "==== status command"
prepare_step status
new_container
run_step status "{\"api-token\": \"$token\", \"api-url\": \"$api_url\"}" status "$pass_id"
[ "$step_rc" -eq 0 ] || show status
expect "entrypoint passes arguments (status $pass_id) and exits 0" test "$step_rc" -eq 0
expect "status output names the execution" grep -q "$pass_id" "$work/status/stdout" "$work/status/stderr"

# ---- 4d. SIGTERM to the CLI in the container stops the remote execution, exit 143
echo "==== SIGTERM"
prepare_step sigterm
new_container
marker="sigterm-$RANDOM$RANDOM.json"
run_step sigterm "{\"api-token\": \"$token\", \"api-url\": \"$api_url\", \"tests-file\": \"hanging.yml\", \"poll-interval\": \"0.2\", \"timeout\": \"300\"}" \
  run --results-file "$marker" &
step_job=$!
cli_pid=""
for _ in $(seq 1 600); do # up to 60 s for the container to start and trigger the run
  cli_pid=$(pgrep -f -- "python[0-9.]* [^ ]*/vibetesting run --results-file $marker" | head -n1 || true)
  if [ -n "$cli_pid" ] && grep -q '^started execution' "$work/sigterm/stdout" "$work/sigterm/stderr" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
sig_id=$(sed -n 's/^started execution(s) \([0-9]*\).*/\1/p' "$work/sigterm/stdout" "$work/sigterm/stderr" | head -n1)
if [ -z "$cli_pid" ] || [ -z "$sig_id" ]; then
  fail "the CLI in the container started the hanging run" "pid '${cli_pid}', execution '${sig_id}'"
  kill "$step_job" 2>/dev/null || true
  wait "$step_job" 2>/dev/null || true
else
  pass "the CLI in the container runs as PID $cli_pid, waiting for execution $sig_id"
  sleep 1 # a few polls
  kill -TERM "$cli_pid"
  wait "$step_job" || true
  sig_rc=$(cat "$work/sigterm/rc")
  [ "$sig_rc" -eq 143 ] || show sigterm
  expect "SIGTERM: the CLI exits 143" test "$sig_rc" -eq 143
  expect "SIGTERM: stop-execution was sent" grep -q 'POST /api/external/stop-execution/ 200' "$work/emulator.log"
  VIBETESTING_API_TOKEN=$token VIBETESTING_API_URL=$api_url \
    "$PYTHON" -m vibetesting_ci status "$sig_id" --json >"$work/sigterm/status.json" 2>/dev/null || true
  expect "SIGTERM: the execution is stopped at the service (Stopped by user)" \
    grep -q 'Stopped by user' "$work/sigterm/status.json"
  expect "SIGTERM: result cancelled in GITHUB_OUTPUT" test "$(output sigterm result)" = cancelled
fi

# ---- 5. the workflows' smoke test on this image
echo "==== smoke test (.ci/smoke-image.sh)"
expect "smoke test of the amd64 image" \
  env ENGINE=buildah bash .ci/smoke-image.sh "$image" "$api_url" "$token"

# ---- 6. linux/arm64 under qemu-user-static
if [ "${SKIP_ARM64:-0}" = 1 ]; then
  echo "SKIP  arm64 build (SKIP_ARM64=1)"
else
  echo "==== arm64: stand-in base, build under qemu, architecture, smoke test"
  if bash .ci/standin-arm64.sh; then
    arm_start=$SECONDS
    if buildah "${arm_store[@]}" bud --isolation chroot --pull=never --arch arm64 -t "$image" . \
      >"$work/build-arm64.log" 2>&1; then
      pass "arm64 image builds ($((SECONDS - arm_start)) s, its RUN steps under qemu)"
      arch=$(buildah "${arm_store[@]}" inspect --type image --format '{{.OCIv1.Architecture}}' "$image")
      expect "arm64 image: architecture is arm64 (found ${arch:-none})" test "$arch" = arm64
      expect "smoke test of the arm64 image (under qemu)" \
        env ENGINE=buildah STORE="${arm_store[*]}" bash .ci/smoke-image.sh "$image" "$api_url" "$token"
    else
      tail -n 40 "$work/build-arm64.log"
      fail "arm64 image builds"
    fi
  else
    fail "arm64 stand-in base image" ".ci/standin-arm64.sh failed"
  fi
fi

finish
