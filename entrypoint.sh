#!/usr/bin/env bash
# Container entrypoint (GitHub Action, GitLab/Jenkins `docker run`).
# No arguments: `vibetesting run`, configured by the VIBETESTING_* variables (action.yml maps
# every action input onto one). With arguments: `vibetesting ARGS...`, e.g. `status 123`.
# exec, so the CLI is PID 1's replacement and gets SIGTERM/SIGINT itself (it stops the remote
# executions before exiting 143/130).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  exec vibetesting run
fi
exec vibetesting "$@"
