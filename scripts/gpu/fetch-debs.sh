#!/usr/bin/env bash
# Fetches the Debian 12 ("bookworm", amd64) packages that scripts/gpu/check.sh builds fmcib with on a
# machine without Debian (a GPU box with PyTorch's CUDA wheel): ITK 5.2, GDCM, yaml-cpp, spdlog, fmt,
# CLI11, fccp and the gloo headers. Run it on a Debian 12 machine with package access; copy OUTDIR to
# the GPU machine.
#
#   scripts/gpu/fetch-debs.sh OUTDIR
#
# Writes OUTDIR/*.deb and OUTDIR/MANIFEST (sha256, size in bytes and file name of each .deb, then the
# total), which check.sh verifies before it unpacks anything.
#
# What is fetched and why (nothing else of Debian is needed on the GPU machine):
# - libinsighttoolkit5-dev, libinsighttoolkit5.2: ITK's headers, CMake config and libraries. fmcib
#   links ITKCommon, IOImageBase, IONIFTI, IONRRD, IOMeta, IOGDCM, IOGIPL (+ the ITK libraries these
#   need); all of them are in libinsighttoolkit5.2.
# - libgdcm-dev, libgdcm3.0, libcharls2, libjson-c5, libopenjp2-7: ITK's config runs
#   find_package(GDCM) (GDCMConfig.cmake and headers are in libgdcm-dev); ITKIOGDCM loads GDCM's
#   libraries, and those need CharLS, json-c and OpenJPEG, which a non-Debian machine rarely has.
#   GDCM's other needs (libcrypto.so.3, libexpat.so.1, libuuid.so.1, libz.so.1) are in every
#   glibc >= 2.34 system (Ubuntu 22.04+, RHEL 9+): check.sh checks they are there instead of
#   shipping them (a second copy would shadow the system's for every library the binary loads).
# - zlib1g-dev: <zlib.h> (src/io/nifti_check.cpp) and the libz.so that ITK's targets link; the
#   library itself is the system's libz.so.1 (check.sh points libz.so at it).
# - libyaml-cpp-dev, libyaml-cpp0.7; libspdlog-dev, libspdlog1.10, libfmt-dev, libfmt9: headers,
#   CMake configs and libraries (Debian's spdlog is built against the external fmt 9).
# - libcli11-dev, libfccp-dev, libgloo-dev: header-only for fmcib (the gloo code is inside
#   libtorch_cpu; the c10d headers include <gloo/...>, which PyTorch's wheel does not ship).
# Not fetched: ITK's config also runs find_package(DCMTK), find_package(HDF5) and
# find_package(LIBMINC) (Debian's ITK configures every enabled module), but fmcib links none of
# ITKIODCMTK, ITKIOHDF5, ITKIOMINC, ITKIOTransformHDF5; check.sh answers those three with empty
# configs (about 10 MB of packages less; linking one of those modules would fail at CMake's
# generate step, naming the missing target).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1

PACKAGES=(
  libinsighttoolkit5-dev libinsighttoolkit5.2
  libgdcm-dev libgdcm3.0 libcharls2 libjson-c5 libopenjp2-7
  zlib1g-dev
  libyaml-cpp-dev libyaml-cpp0.7
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
  libcli11-dev libfccp-dev libgloo-dev
)

. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ] || [ "$(dpkg --print-architecture)" != amd64 ]; then
  echo "$0: needs Debian 12 (bookworm) on amd64; this is ${PRETTY_NAME:-unknown} on $(dpkg --print-architecture)" >&2
  exit 2
fi
for tool in apt-get dpkg-deb sha256sum; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is missing" >&2; exit 2; }
done

mkdir -p "$out"
if compgen -G "$out/*.deb" >/dev/null; then
  echo "$0: $out already holds .deb files; give an empty or new folder" >&2
  exit 2
fi
# apt-get download writes to the current folder, as the invoking user (no root needed).
(cd "$out" && apt-get download "${PACKAGES[@]}")

manifest="$out/MANIFEST"
tmp="$manifest.tmp"
{
  echo "# fmcib scripts/gpu: Debian 12 packages for check.sh, fetched $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# sha256  bytes  file  (package version)"
} >"$tmp"
total=0
n=0
for p in "${PACKAGES[@]}"; do
  files=("$out/${p}_"*.deb)
  if [ ${#files[@]} -ne 1 ] || [ ! -f "${files[0]}" ]; then
    echo "$0: expected one .deb of $p in $out, found ${#files[@]}" >&2
    exit 1
  fi
  f=${files[0]}
  name=$(basename "$f")
  size=$(stat -c %s "$f")
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  version=$(dpkg-deb -f "$f" Version)
  echo "$sum  $size  $name  ($p $version)" >>"$tmp"
  total=$((total + size))
  n=$((n + 1))
done
echo "# total: $n files, $total bytes" >>"$tmp"
mv "$tmp" "$manifest"
awk -v t="$total" -v n="$n" 'BEGIN { printf "fetched %d packages, %.1f MB (%d bytes); MANIFEST written\n", n, t / 1e6, t }'
