#!/usr/bin/env bash
# Lets this machine run linux/arm64 binaries: Debian's qemu-user-static and binfmt-support,
# binfmt_misc mounted, and the qemu-aarch64 handler enabled (Debian registers it with the F
# flag, so it also works inside a chroot or a container). As root; idempotent.
# Exit status: 0 when an arm64 binary can be run.
set -euo pipefail
if ! command -v qemu-aarch64-static >/dev/null || ! command -v update-binfmts >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends qemu-user-static binfmt-support >/dev/null
fi
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  update-binfmts --enable qemu-aarch64
fi
grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64
