#!/usr/bin/env bash
# Builds (incrementally) and runs every test: the lit + FileCheck suites and the
# GoogleTest unit tests, through ctest. Exits non-zero when any test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release || exit 1
cmake --build build || exit 1
ctest --test-dir build --output-on-failure -V > build/ctest.log 2>&1
status=$?
# Counts per suite, then ctest's verdict; the whole log is build/ctest.log.
grep -E 'Total Discovered Tests|^[0-9]+:   (Passed|Failed|Unsupported|Expectedly Failed) *:|\[  PASSED  \]|\[  FAILED  \]' build/ctest.log
[ $status -eq 0 ] || grep -E -B2 -A30 '^[0-9]+: (FAIL|\*\*\*\*\*)|\[  FAILED  \]' build/ctest.log | head -200
tail -n 6 build/ctest.log
exit $status
