#!/usr/bin/env bash
# A linux/arm64 stand-in for python:3.12-slim, for the arm64 build of the image (no image
# registry is reachable here; ../shared/tools/standin-base-image.sh makes the amd64 one).
#
# Debian bookworm for arm64 by debootstrap, its second stage run under qemu-user-static (the
# kernel's binfmt_misc hands arm64 binaries to qemu; the F flag makes that work inside the
# chroot), with python3 in a venv on PATH and the host's CA bundle, as the amd64 stand-in has.
# The image is committed with architecture arm64 into its own store (STORE_ROOT), because one
# store cannot hold two images of the same name.
#
# Usage: bash .ci/standin-arm64.sh         (as root; installs what it needs from Debian)
# Environment: STORE_ROOT (default /var/lib/containers/arm64), STORE_RUNROOT.
# Exit status: 0 when the stand-in image exists at the end.
set -euo pipefail
image=docker.io/library/python:3.12-slim
store=(--storage-driver vfs --root "${STORE_ROOT:-/var/lib/containers/arm64}"
  --runroot "${STORE_RUNROOT:-/run/containers/arm64}")

bash "$(dirname "$0")/qemu-binfmt.sh"
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq buildah debootstrap >/dev/null
fi

if buildah "${store[@]}" inspect --type image "$image" >/dev/null 2>&1; then
  echo "stand-in $image (arm64): present"
  exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
debootstrap --arch arm64 --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$root" "${mirror:?no Debian mirror configured in /etc/apt/sources.list.d/debian.sources}" >/dev/null
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
chroot "$root" /bin/sh -c 'python3 -m venv /usr/local/py && /usr/local/py/bin/pip --version >/dev/null'
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

c=$(buildah "${store[@]}" from --arch arm64 scratch)
mnt=$(buildah "${store[@]}" mount "$c")
cp -a "$root"/. "$mnt"/
buildah "${store[@]}" umount "$c" >/dev/null
buildah "${store[@]}" config --arch arm64 --os linux \
  --env PATH=/usr/local/py/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env LANG=C.UTF-8 --cmd python3 "$c"
buildah "${store[@]}" commit -q "$c" "$image" >/dev/null
buildah "${store[@]}" rm "$c" >/dev/null
arch=$(buildah "${store[@]}" inspect --type image --format '{{.OCIv1.Architecture}}' "$image")
[ "$arch" = arm64 ] || { echo "stand-in $image: architecture $arch, not arm64" >&2; exit 1; }
echo "stand-in $image (arm64): built"
