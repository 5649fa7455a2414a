#!/usr/bin/env bash
# Builds moec with sanitizers in its own build directory and runs the tests
# under them. Debian's LLVM/MLIR are not instrumented (see README, "Sanitizers").
#
#   scripts/sanitize.sh [full]   ASan+UBSan (clang-22, with the libFuzzer targets)
#                                in build-asan/: unit, lit (incl. e2e), runtime
#                                tests and every fuzz corpus
#   scripts/sanitize.sh ci       the same build, the CI subset: runtime tests,
#                                code-object reader tests, fuzz corpora, fuzz smoke
#   scripts/sanitize.sh tsan     ThreadSanitizer in build-tsan/ over the
#                                runtime's concurrency tests (thread pool,
#                                host device)
# Exits non-zero on any build failure, test failure or sanitizer report.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-full}
JOBS=${JOBS:-2}
CLANG=${CLANG:-/usr/bin/clang-22}
CLANGXX=${CLANGXX:-/usr/bin/clang++-22}
launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

# What uninstrumented LLVM/MLIR next to instrumented moec code needs (seen):
#  allow_user_poisoning=0  llvm::BumpPtrAllocator poisons and unpoisons its
#    slabs in header code: the copies inlined into instrumented moec code
#    poison, the copies inside uninstrumented LLVM/MLIR never unpoison, so
#    every MLIR context dies with a false "use-after-poison"
#  allocator_may_return_null=1  an impossible allocation returns null, as
#    malloc does, so the out-of-memory paths under test report an error
#    instead of ASan aborting ("allocation-size-too-big")
# Container-overflow and leak detection stay on: they report nothing here.
# UBSan: print a stack and stop at the first finding.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0:allocator_may_return_null=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:allocator_may_return_null=1}

configure() { # dir, sanitizers, extra cmake args...
  local dir=$1 san=$2
  shift 2
  [ -f "$dir/build.ninja" ] && return 0
  mkdir -p "$dir"
  cmake -G Ninja -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$CLANG" -DCMAKE_CXX_COMPILER="$CLANGXX" \
    -DMOEC_SANITIZE="$san" "${launcher[@]}" "$@" > "$dir/configure.log" 2>&1 \
    || { cat "$dir/configure.log"; exit 1; }
}

status=0
run() { # label, command...
  local label=$1
  shift
  local t0=$SECONDS
  if "$@" > "build-asan/$label.log" 2>&1; then
    echo "== $label: ok ($((SECONDS - t0)) s)"
  else
    echo "== $label: FAILED ($((SECONDS - t0)) s); last lines of build-asan/$label.log:"
    tail -40 "build-asan/$label.log"
    status=1
  fi
}

case "$mode" in
tsan)
  configure build-tsan thread
  t0=$SECONDS
  cmake --build build-tsan -j "$JOBS" --target moec-runtime-tests || exit 1
  echo "== tsan build: $((SECONDS - t0)) s"
  # The concurrency tests: the pool under every launch shape, events and
  # buffers shared across threads, thread counts from the environment.
  build-tsan/bin/moec-runtime-tests --gtest_filter='Host*:KernelArgs*:ThreadPool*' \
    || status=1
  exit $status
  ;;
ci | full)
  configure build-asan address,undefined -DMOEC_FUZZ=ON
  t0=$SECONDS
  targets=(moec-runtime-tests moec-unittests moec-fuzz-replay moec-fuzz-codeobject
           moec-fuzz-tuning moec-fuzz-mlir-gfx942 moec-fuzz-mlir-sm_90
           moec-fuzz-mlir-host)
  [ "$mode" = full ] && targets=(all)
  cmake --build build-asan -j "$JOBS" --target "${targets[@]}" || exit 1
  echo "== asan+ubsan build: $((SECONDS - t0)) s"
  B=build-asan/bin
  run runtime-tests $B/moec-runtime-tests
  run codeobject-unit $B/moec-unittests --gtest_filter='CodeObject.*:Occupancy.*'
  for t in mlir-gfx942 mlir-sm_90 mlir-host codeobject tuning; do
    run "corpus-$t" $B/moec-fuzz-replay $t test/fuzz/corpus/${t%%-*}
  done
  if [ "$mode" = full ]; then
    run unittests $B/moec-unittests
    run lit /usr/lib/llvm-22/bin/lit -sv build-asan/test
  fi
  exit $status
  ;;
*)
  echo "usage: scripts/sanitize.sh [full|ci|tsan]" >&2
  exit 2
  ;;
esac
