#!/usr/bin/env bash
# Builds and tests fmcib on Debian 13 "trixie" (g++ 14, CMake 3.31, LibTorch 2.6, ITK 5.4) in a
# debootstrap root, with exactly the packages `make deps` installs there: `make test` inside it.
#
#   sudo scripts/ci/debian13.sh            # root kept in $FMCIB_DEBIAN13_ROOT between runs
#
# The root lives outside the clone (default /var/cache/fmcib/debian13) and is made again when it is
# missing or was left half-made. The clone is bind-mounted at /src; the build goes to
# build-debian13/ in the clone. Needs root (debootstrap, chroot, mount) and Debian's mirror.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=${FMCIB_DEBIAN13_ROOT:-/var/cache/fmcib/debian13}
MIRROR=${FMCIB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BUILD_DIR=${FMCIB_DEBIAN13_BUILD_DIR:-build-debian13}
JOBS=${JOBS:-2}

if [ "$(id -u)" != 0 ]; then
  echo "debian13.sh: needs root (debootstrap, chroot, mount); run it with sudo" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
fi

if [ ! -f "$ROOT/.fmcib-root-ready" ]; then
  echo "== debootstrap trixie into $ROOT"
  rm -rf "$ROOT"
  mkdir -p "$(dirname "$ROOT")"
  # make runs the README's command; everything else comes from `make deps` inside.
  debootstrap --variant=minbase --include=make trixie "$ROOT" "$MIRROR"
  touch "$ROOT/.fmcib-root-ready"
fi

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mountOnce() {  # mountOnce TARGET MOUNT-ARGS...: skips what a killed earlier run left mounted
  local target=$1
  shift
  mkdir -p "$target"
  if ! mountpoint -q "$target"; then
    mount "$@" "$target"
    mounted+=("$target")
  fi
}
mountOnce "$ROOT/proc" -t proc proc
mountOnce "$ROOT/sys" -t sysfs sys
mountOnce "$ROOT/dev" --bind /dev
mountOnce "$ROOT/src" --bind "$SRC"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"

echo "== make test on Debian 13 (build folder $BUILD_DIR)"
chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c "cd /src && make test BUILD_DIR=$BUILD_DIR JOBS=$JOBS"
