#!/usr/bin/env bash
# CI's second step (called by .ci/run after scripts/test.sh): the instrumented
# subset under ASan+UBSan, TSan over the runtime's concurrency tests, and a
# short libFuzzer run per target. Prints the time of each part.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
./scripts/sanitize.sh ci
t1=$SECONDS
./scripts/sanitize.sh tsan
t2=$SECONDS
./scripts/fuzz.sh --smoke
t3=$SECONDS
echo "== instrumented CI: asan+ubsan $((t1 - t0)) s, tsan $((t2 - t1)) s, fuzz smoke $((t3 - t2)) s, total $((t3 - t0)) s"
