#!/usr/bin/env bash
# Tests scripts/gpu/check.sh without a GPU: runs `check.sh --cpu` in a Debian 13 root that stands in
# for the GPU machine — a compiler, CMake, ninja and a LibTorch 2.x with its python3 (Debian's
# python3-torch 2.6 in place of PyTorch's CUDA wheel) and none of ITK / yaml-cpp / spdlog / fmt /
# CLI11 / fccp / gloo headers, which come from the Debian 12 .deb files of fetch-debs.sh.
#
#   sudo scripts/gpu/emulate.sh DEBDIR [check.sh options]
#
# The root (FMCIB_GPUEMU_ROOT, default /var/cache/fmcib/gpuemu) is made with debootstrap on first use
# and kept; the clone is bind-mounted at its own path (the build goes to build-gpucheck/ in the clone
# and is reused by the next run), DEBDIR at /debs, and check.sh's --out at /out (FMCIB_GPUEMU_OUT,
# default gpu-check-cpu/ here). Debian's
# python3-torch has no torch/share/cmake, so FMCIB_TORCH_CMAKE_PREFIX points at its CMake config
# (that override exists for this emulation). Needs root (debootstrap, chroot, mount) and a mirror.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 DEBDIR [check.sh options]" >&2; exit 2; }
DEBS=$(cd "$1" && pwd)
shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=${FMCIB_GPUEMU_ROOT:-/var/cache/fmcib/gpuemu}
OUTDIR=${FMCIB_GPUEMU_OUT:-$PWD/gpu-check-cpu}
MIRROR=${FMCIB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "$0: needs root (debootstrap, chroot, mount)" >&2; exit 2; }

if [ ! -f "$ROOT/.fmcib-gpuemu-ready" ]; then
  rm -rf "$ROOT"
  mkdir -p "$(dirname "$ROOT")"
  debootstrap --variant=minbase trixie "$ROOT" "$MIRROR"
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  chroot "$ROOT" apt-get update -q
  DEBIAN_FRONTEND=noninteractive chroot "$ROOT" apt-get install -y -q --no-install-recommends \
    g++ cmake ninja-build python3-torch libtorch-dev
  touch "$ROOT/.fmcib-gpuemu-ready"
fi

mkdir -p "$OUTDIR"
mounted=()
cleanup() { for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done; }
trap cleanup EXIT
mountOnce() {  # mountOnce TARGET MOUNT-ARGS...
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
mountOnce "$ROOT$SRC" --bind "$SRC"
mountOnce "$ROOT/debs" --bind "$DEBS"
mountOnce "$ROOT/out" --bind "$OUTDIR"

rc=0
chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
  FMCIB_TORCH_CMAKE_PREFIX=/usr/lib/x86_64-linux-gnu/cmake \
  FMCIB_CHECK_COMMIT="$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo "commit unknown")" \
  "$SRC/scripts/gpu/check.sh" /debs --cpu --out /out "$@" || rc=$?
echo "(/out is $OUTDIR here)"
exit $rc
