#!/usr/bin/env bash
# Packs moec for the GPU machine (Ubuntu 24.04, glibc 2.39, no LLVM, no network):
# bundle/moec-bundle.tar.xz with
#   bin/         the tools and test binaries named by MOEC_BUNDLE_BINS, stripped
#   lib/libmoec.so*  the JIT's shared library (C API + C++ API, LLVM inside)
#   python/moec  the Python module (ctypes over lib/libmoec.so)
#   lib/         the shared libraries they need that the GPU machine may lack
#                (libfmt.so.9, ...): everything ldd lists except glibc's own
#                libraries, libstdc++, libgcc_s, libz and libzstd, which are there
#   benchmarks/  the benchmark scripts      examples/  the example .mlir files
#   scripts/device-run.sh                   MANIFEST.txt  commit, sizes, ldd output
# scripts/device-run.sh unpacks it there and sets LD_LIBRARY_PATH to lib/.
#
#   scripts/make-bundle.sh [--no-build]
#
# Builds build/ first (Release; configures it if missing) unless --no-build.
# Fails if the bundle is over 48 MiB (the run tool carries 64 MiB in all).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD_DIR:-build}
OUTDIR=bundle
OUTFILE=$OUTDIR/moec-bundle.tar.xz
LIMIT=$((48 * 1024 * 1024))
DO_BUILD=1
for a in "$@"; do
  case "$a" in
    --no-build) DO_BUILD=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "make-bundle: unknown argument '$a'" >&2; exit 2 ;;
  esac
done

# Libraries the GPU machine has (Ubuntu 24.04 base image): never shipped.
SYSTEM_LIBS_RE='^(linux-vdso\.so|linux-gate\.so|ld-linux[-a-z0-9_]*\.so|libc\.so|libm\.so|libmvec\.so|libpthread\.so|libdl\.so|librt\.so|libutil\.so|libresolv\.so|libstdc\+\+\.so|libgcc_s\.so|libz\.so|libzstd\.so|libcuda\.so)'

for tool in ldd strip xz tar; do
  command -v "$tool" >/dev/null || { echo "make-bundle: '$tool' not found" >&2; exit 1; }
done

if [ "$DO_BUILD" = 1 ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    echo "== configuring $BUILD (Release)"
    cmake -G Ninja -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release
  fi
  echo "== building $BUILD"
  cmake --build "$BUILD"
fi
[ -d "$BUILD/bin" ] || { echo "make-bundle: no $BUILD/bin (build first, or drop --no-build)" >&2; exit 1; }
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
if [ "$btype" != "Release" ]; then
  echo "make-bundle: warning: $BUILD is a '$btype' build, not Release" >&2
fi

STAGE=$OUTDIR/stage
rm -rf "$STAGE"
mkdir -p "$STAGE/bin" "$STAGE/lib" "$STAGE/scripts"

echo "== binaries"
bins=()
# What the GPU machine runs: the CLI (run/bench/compile) and the runtime's
# GPU tests. Every tool links its own static LLVM, so shipping all of them
# would not fit the 64 MiB a run may carry; MOEC_BUNDLE_BINS=all takes all.
WANT=${MOEC_BUNDLE_BINS:-"moec moec-runtime-tests moec-jit-tests moec-capi-tests moec-jit-bench"}
for f in "$BUILD"/bin/*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  head -c 4 "$f" | grep -q 'ELF' || continue   # executables only, not scripts
  if [ "$WANT" != all ]; then
    case " $WANT " in *" $(basename "$f") "*) ;; *) continue ;; esac
  fi
  bins+=("$f")
done
[ ${#bins[@]} -gt 0 ] || { echo "make-bundle: no executables in $BUILD/bin" >&2; exit 1; }
for f in "${bins[@]}"; do
  name=$(basename "$f")
  cp "$f" "$STAGE/bin/$name"
  strip --strip-all "$STAGE/bin/$name"
  printf '  %-28s %6d KiB -> %6d KiB stripped\n' "$name" $(( $(stat -c %s "$f") / 1024 )) \
    $(( $(stat -c %s "$STAGE/bin/$name") / 1024 ))
done

echo "== libmoec.so (the JIT: C and C++ API, Python module)"
if [ -f "$BUILD/lib/libmoec.so.0" ]; then
  real=$(readlink -f "$BUILD/lib/libmoec.so.0")
  cp "$real" "$STAGE/lib/libmoec.so.0"
  strip --strip-unneeded "$STAGE/lib/libmoec.so.0"
  ln -sf libmoec.so.0 "$STAGE/lib/libmoec.so"
  printf '  %-28s %6d KiB stripped\n' libmoec.so.0 $(( $(stat -c %s "$STAGE/lib/libmoec.so.0") / 1024 ))
  bins+=("$BUILD/lib/libmoec.so.0")   # its libraries too (ldd below)
  mkdir -p "$STAGE/python"
  cp -r python/moec "$STAGE/python/"
  rm -rf "$STAGE/python/moec/__pycache__"
else
  echo "make-bundle: no $BUILD/lib/libmoec.so.0: the JIT benchmarks will not run" >&2
fi

echo "== shared libraries (ldd)"
declare -A shipped=()
missing=0
for f in "${bins[@]}"; do
  while read -r line; do
    # "libfmt.so.9 => /lib/x86_64-linux-gnu/libfmt.so.9 (0x...)" or "libx.so => not found"
    soname=$(awk '{print $1}' <<<"$line")
    [ -n "$soname" ] || continue
    base=$(basename "$soname")
    if [[ "$base" =~ $SYSTEM_LIBS_RE ]]; then continue; fi
    if grep -q 'not found' <<<"$line"; then
      echo "make-bundle: $(basename "$f") needs $soname, which is not found here" >&2
      missing=1; continue
    fi
    path=$(awk '$2 == "=>" {print $3}' <<<"$line")
    [ -n "$path" ] && [ -f "$path" ] || continue
    if [ -z "${shipped[$base]:-}" ]; then
      cp -L "$path" "$STAGE/lib/$base"
      strip --strip-unneeded "$STAGE/lib/$base" 2>/dev/null || true
      shipped[$base]=$path
      printf '  %-28s from %s (%d KiB)\n' "$base" "$path" $(( $(stat -c %s "$STAGE/lib/$base") / 1024 ))
    fi
  done < <(ldd "$f")
done
[ "$missing" = 0 ] || exit 1
[ ${#shipped[@]} -gt 0 ] || echo "  (none needed)"

# Every staged binary must resolve all its libraries from the system set plus lib/.
for f in "$STAGE"/bin/* "$STAGE"/lib/libmoec.so.0; do
  [ -e "$f" ] || continue
  if LD_LIBRARY_PATH="$ROOT/$STAGE/lib" ldd "$f" | grep -q 'not found'; then
    echo "make-bundle: $(basename "$f") does not resolve with the bundled lib/:" >&2
    LD_LIBRARY_PATH="$ROOT/$STAGE/lib" ldd "$f" >&2
    exit 1
  fi
done

echo "== scripts, benchmarks, examples"
tar -C "$ROOT" --exclude='__pycache__' --exclude='*.pyc' -cf - benchmarks examples 2>/dev/null \
  | tar -C "$STAGE" -xf -
cp scripts/device-run.sh "$STAGE/scripts/"
[ -d python/tests ] && { mkdir -p "$STAGE/python"; cp -r python/tests "$STAGE/python/"; }

{
  echo "moec device bundle"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (working tree differs)')"
  echo "branch: $(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)"
  echo "built:  $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm), $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-?}")"
  echo "build type: ${btype:-unknown}"
  echo
  echo "bin/:"
  for f in "$STAGE"/bin/*; do
    printf '  %-28s %10d bytes  sha256 %s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -c1-16)"
  done
  echo "lib/:"
  for f in "$STAGE"/lib/*; do
    [ -e "$f" ] && printf '  %-28s %10d bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
  done
  echo
  echo "ldd here (Debian), before packing:"
  for f in "$STAGE"/bin/*; do
    echo "  $(basename "$f"):"
    LD_LIBRARY_PATH="$ROOT/$STAGE/lib" ldd "$f" | sed 's/ (0x[0-9a-f]*)//; s/^/    /'
  done
} > "$STAGE/MANIFEST.txt"

# xz's default -9 dictionary (64 MiB) cannot see that two 100 MB binaries share
# most of their LLVM code; a dictionary as large as the tar (up to 384 MiB, about
# 4 GiB of memory to compress, 384 MiB to unpack) lets it.
raw=$(du -sb "$STAGE" | cut -f1)
dict=64
while [ $((dict * 1024 * 1024)) -lt "$raw" ] && [ $dict -lt 384 ]; do dict=$((dict * 2)); done
[ $dict -gt 384 ] && dict=384
dict=${XZ_DICT_MIB:-$dict}
# MOEC_BUNDLE_XZ_PRESET: 9 (default, smallest) down to 0 (fastest; for a
# quick device run from a loaded build machine, at the cost of a larger file).
preset=${MOEC_BUNDLE_XZ_PRESET:-9}
echo "== compressing $((raw / 1024 / 1024)) MiB (xz -$preset -T2, dictionary ${dict} MiB)"
tmp=$OUTFILE.tmp
rm -f "$tmp"
tar -C "$STAGE" --owner=0 --group=0 --sort=name -cf - . \
  | xz -"$preset" -T2 --lzma2=preset="$preset",dict="${dict}MiB" > "$tmp"
xz -t "$tmp"
mv -f "$tmp" "$OUTFILE"
rm -rf "$STAGE"

size=$(stat -c %s "$OUTFILE")
echo "== $OUTFILE: $size bytes ($(awk -v s="$size" 'BEGIN{printf "%.1f", s/1048576}') MiB; limit 48 MiB)"
if [ "$size" -gt "$LIMIT" ]; then
  echo "make-bundle: FAILED: the bundle is over 48 MiB" >&2
  exit 1
fi
echo "carry it with the run tool: carry [\"$OUTDIR\"], then: bash scripts/device-run.sh"
