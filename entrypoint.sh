#!/usr/bin/env bash
# Container entrypoint (GitHub Action, GitLab/Jenkins `docker run`).
# No arguments: `vibetesting run`, configured by the VIBETESTING_* variables (action.yml maps
# every action input onto one). With arguments: `vibetesting ARGS...`, e.g. `status 123`.
# exec, so the CLI replaces this shell as PID 1 and gets the signals itself: a cancelled job gets
# SIGINT, then SIGTERM 7.5 s later and SIGKILL 2.5 s after that (GitHub's runner); the CLI stops
# the remote executions on the first and exits 130/143 within its 4 s cancel budget.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  exec vibetesting run
fi
exec vibetesting "$@"
