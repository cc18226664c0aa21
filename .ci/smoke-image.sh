#!/usr/bin/env bash
# Smoke test of a built image, the same in .ci/run (buildah, here) and in the GitHub workflows
# (docker): the entrypoint runs the CLI, the installed version is the project's, a dry run
# validates a tests file, and, given an emulator URL, a real run passes and writes its files.
#
# Usage: bash .ci/smoke-image.sh IMAGE [API_URL TOKEN]
# Environment:
#   ENGINE    docker (default when `docker info` answers) or buildah (chroot isolation, vfs)
#   PLATFORM  e.g. linux/arm64: run the image of that platform (under qemu where foreign)
#   STORE     extra buildah storage flags (default: --storage-driver vfs)
# With docker the container uses the host network, so a loopback API_URL reaches the emulator;
# buildah's chroot isolation shares the host network anyway.
# Exit status: 0 when every check passed.
set -euo pipefail
image=${1:?usage: smoke-image.sh IMAGE [API_URL TOKEN]}
api_url=${2:-}
token=${3:-smoke-token-for-the-dry-run}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${ENGINE:-}" ]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=buildah; fi
fi
read -r -a store <<<"${STORE:---storage-driver vfs}"
work=$(mktemp -d /tmp/vibetesting-smoke.XXXXXX)
container=""
cleanup() {
  if [ -n "$container" ]; then buildah "${store[@]}" rm "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/ws"
cat >"$work/ws/tests.yml" <<'YAML'
- name: Home page loads
  steps: open the home page and check the title
YAML

# in_image ARGS...: /entrypoint.sh ARGS... in the image, the workspace at /github/workspace
in_image() {
  local -a env=(--env "VIBETESTING_API_TOKEN=$token")
  if [ -n "$api_url" ]; then env+=(--env "VIBETESTING_API_URL=$api_url"); fi
  if [ "$ENGINE" = docker ]; then
    docker run --rm ${PLATFORM:+--platform "$PLATFORM"} --network host \
      -v "$work/ws:/github/workspace" -w /github/workspace "${env[@]}" "$image" "$@"
  else
    if [ -z "$container" ]; then
      container=$(buildah "${store[@]}" from --pull=never ${PLATFORM:+--platform "$PLATFORM"} "$image")
    fi
    buildah "${store[@]}" run --isolation chroot -v "$work/ws:/github/workspace" \
      --workingdir /github/workspace "${env[@]}" "$container" -- /entrypoint.sh "$@"
  fi
}

failures=0
check() { # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then echo "PASS  smoke: $name"; else echo "FAIL  smoke: $name"; failures=$((failures + 1)); fi
}

expected=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/pyproject.toml")
version_ok() { in_image --version >"$work/version" 2>&1 && grep -qF "$expected" "$work/version"; }
check "--version is $expected" version_ok
check "--help" in_image --help >/dev/null
dry_run() { in_image run --dry-run --tests-file tests.yml >"$work/dry" 2>&1; }
check "run --dry-run with a tests file" dry_run
if [ -n "$api_url" ]; then
  real_run() {
    in_image run --tests-file tests.yml --poll-interval 0.2 --timeout 120 >"$work/run" 2>&1 &&
      grep -q '<testcase' "$work/ws/vibetesting-junit.xml" &&
      head -c 5 "$work/ws/vibetesting-report.pdf" | grep -q '%PDF-'
  }
  check "a passing run against $api_url (JUnit, PDF)" real_run
fi
if [ "$failures" -gt 0 ]; then
  for f in version dry run; do [ -f "$work/$f" ] && sed "s/^/  $f | /" "$work/$f"; done
fi
echo "smoke: $image, $failures check(s) failed"
[ "$failures" -eq 0 ]
