#!/usr/bin/env bash
# Makes a private install prefix of fmcib's non-PyTorch dependencies from the Debian 12 packages that
# scripts/gpu/fetch-debs.sh fetched, on a machine without Debian (check.sh runs it first):
#
#   scripts/gpu/prefix.sh DEBDIR PREFIX
#
# 1. verifies DEBDIR/MANIFEST (every listed .deb present with its size and sha256, nothing else);
# 2. unpacks each .deb into PREFIX (`dpkg-deb -x`, or `ar` + Python's tarfile where dpkg is absent;
#    FMCIB_UNPACK=ar forces the second route);
# 3. makes the CMake configs relocatable: Debian's ITK, GDCM, yaml-cpp, spdlog and fmt configs name
#    absolute /usr paths, which become PREFIX/usr paths;
# 4. points PREFIX's libz.so (from zlib1g-dev) at the system's libz.so.1, so one zlib is loaded;
# 5. answers the find_package(DCMTK / LIBMINC / HDF5) calls of ITK's config with empty configs:
#    Debian's ITK configures every module it was built with, fmcib links none that needs these
#    (fetch-debs.sh says why they are not shipped). CMake then needs
#    -DCMAKE_MODULE_PATH=PREFIX/stubs (for FindHDF5).
# The result: -DCMAKE_PREFIX_PATH=PREFIX/usr, and PREFIX/usr/lib{,/x86_64-linux-gnu} on the rpath.
# Prints one line of what it did; exit 2 on a bad DEBDIR, 1 on any other failure.
set -euo pipefail
shopt -s nullglob

die() { echo "prefix.sh: $*" >&2; exit "${2:-1}"; }
[ $# -eq 2 ] || die "usage: $0 DEBDIR PREFIX" 2
debdir=$1
prefix=$2
manifest="$debdir/MANIFEST"
[ -f "$manifest" ] || die "$manifest is missing (make DEBDIR with scripts/gpu/fetch-debs.sh)" 2
case "$prefix" in
  /*) ;;
  *) prefix="$PWD/$prefix" ;;
esac
case "$prefix" in
  *[\#\;\"\ ]*) die "PREFIX must not contain '#', ';', '\"' or spaces: $prefix" 2 ;;
esac

# 1. MANIFEST: "sha256  bytes  file  (package version)" lines; '#' lines are comments.
listed=()
while read -r sum size file _; do
  case "$sum" in '#'* | '') continue ;; esac
  f="$debdir/$file"
  [ -f "$f" ] || die "$file is listed in $manifest but missing from $debdir" 2
  actual=$(stat -c %s "$f")
  [ "$actual" = "$size" ] || die "$file: $actual bytes, MANIFEST says $size" 2
  [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sum" ] || die "$file: sha256 differs from MANIFEST" 2
  listed+=("$file")
done <"$manifest"
[ ${#listed[@]} -gt 0 ] || die "$manifest lists no files" 2
for f in "$debdir"/*.deb; do
  name=$(basename "$f")
  printf '%s\n' "${listed[@]}" | grep -qxF "$name" || die "$name is in $debdir but not in MANIFEST" 2
done

# 2. Unpack into a fresh prefix.
rm -rf "$prefix"
mkdir -p "$prefix"
route=dpkg
if [ "${FMCIB_UNPACK:-}" = ar ] || ! command -v dpkg-deb >/dev/null; then route="ar"; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for file in "${listed[@]}"; do
  if [ "$route" = dpkg ]; then
    dpkg-deb -x "$debdir/$file" "$prefix"
  else
    command -v ar >/dev/null || die "neither dpkg-deb nor ar (binutils) is installed"
    member=$(ar t "$debdir/$file" | grep '^data\.tar' || true)
    [ -n "$member" ] || die "$file has no data.tar member"
    (cd "$tmp" && ar x "$debdir/$file" "$member")
    case "$member" in
      *.zst) tar --zstd -xf "$tmp/$member" -C "$prefix" ;;
      *)  # xz (Debian 12's choice) or gzip: Python's tarfile, as xz-utils may be missing
        python3 -c 'import sys, tarfile
t = tarfile.open(sys.argv[1])
t.extractall(sys.argv[2], **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))' \
          "$tmp/$member" "$prefix" ;;
    esac
    rm -f "$tmp/$member"
  fi
done
[ -f "$prefix/usr/lib/cmake/ITK-5.2/ITKConfig.cmake" ] || die "no ITK 5.2 CMake config after unpacking"

# 3. Absolute /usr paths in the CMake configs -> PREFIX/usr (a path starts after '"', ';' or ' ').
configs=$(find "$prefix/usr" -name '*.cmake' -type f)
# shellcheck disable=SC2086
sed -i -E "s#([\"; ])/usr/#\1$prefix/usr/#g" $configs
# Absolute symlinks (none in today's packages) would point out of the prefix.
while IFS= read -r link; do
  target=$(readlink "$link")
  case "$target" in /*) ln -sfn "$prefix$target" "$link" ;; esac
done < <(find "$prefix" -type l)

# 4. libz.so -> the system's libz.so.1.
libdir="$prefix/usr/lib/x86_64-linux-gnu"
syszlib=$( (/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null) | awk '$1 == "libz.so.1" && /x86-64/ && !f { print $NF; f = 1 }')
if [ -z "$syszlib" ]; then
  for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64; do
    if [ -e "$d/libz.so.1" ]; then syszlib="$d/libz.so.1"; break; fi
  done
fi
[ -n "$syszlib" ] || die "the system has no libz.so.1"
ln -sfn "$syszlib" "$libdir/libz.so"

# 5. Empty configs for the modules fmcib does not link.
stub() {  # stub FILE PACKAGE
  mkdir -p "$(dirname "$1")"
  cat >"$1" <<EOF
# Written by fmcib's scripts/gpu/prefix.sh: Debian's ITK config asks for $2 for ITK modules fmcib does
# not link, so $2 is not shipped. A target that links one of those modules fails at CMake's
# generate step, naming the missing $2 target.
set($2_FOUND TRUE)
EOF
}
stub "$libdir/cmake/dcmtk/DCMTKConfig.cmake" DCMTK
stub "$libdir/cmake/LIBMINC/LIBMINCConfig.cmake" LIBMINC
stub "$prefix/stubs/FindHDF5.cmake" HDF5
echo "prefix.sh: ${#listed[@]} packages verified and unpacked ($route) into $prefix; libz.so -> $syszlib"
