#!/usr/bin/env bash
# Fresh Debian 12 -> a built moec that has compiled an example.
# Installs Debian's packages (nothing else is downloaded), configures and builds
# with CMake + ninja into build/, then compiles examples/gemm.mlir for gfx942.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools lld-22 liblld-22-dev
  libamd-comgr-dev libamdhip64-dev libfmt-dev libgtest-dev
  cmake ninja-build g++ python3 python3-numpy zlib1g-dev libzstd-dev xz-utils
  # scripts/sanitize.sh and scripts/fuzz.sh: clang with ASan/UBSan/TSan and libFuzzer
  clang-22 libclang-rt-22-dev
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "== configuring and building (build/)"
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release > build.configure.log 2>&1 \
  || { cat build.configure.log; exit 1; }
cmake --build build

echo "== moec compile examples/gemm.mlir --arch gfx942 --emit mlir"
build/bin/moec compile examples/gemm.mlir --arch gfx942 --emit mlir
