#!/usr/bin/env bash
# Runs the libFuzzer targets (test/fuzz) built in build-asan/ by
# scripts/sanitize.sh (ASan+UBSan). Each starts from its committed corpus in
# test/fuzz/corpus, writes new inputs to build-asan/fuzz-corpus/<target> and
# crashes to build-asan/fuzz-crashes/<target>/ (copy each into
# test/fuzz/corpus/<kind>/crash-<name> once fixed: it is then a regression
# test in every build).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   default 600 s, all targets
#   scripts/fuzz.sh --smoke                            CI: 45 s per target
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=600
if [ "${1:-}" = --smoke ]; then
  seconds=${FUZZ_SMOKE_SECONDS:-45}
  shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(codeobject tuning mlir-gfx942 mlir-sm_90 mlir-host)
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  bin=build-asan/bin/moec-fuzz-$t
  [ -x "$bin" ] || { echo "no $bin: run scripts/sanitize.sh ci first" >&2; exit 1; }
  work=build-asan/fuzz-corpus/$t
  crashes=build-asan/fuzz-crashes/$t
  mkdir -p "$work" "$crashes"
  log=build-asan/fuzz-$t.log
  "$bin" "$work" "test/fuzz/corpus/${t%%-*}" -max_total_time="$seconds" \
    -max_len=65536 -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$crashes/" > "$log" 2>&1
  rc=$?
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$')
  echo "== fuzz $t: ${execs:-?} executions in ${seconds} s (${rate:-?}/s), exit $rc"
  if [ $rc -ne 0 ]; then
    status=1
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20
  fi
done
exit $status
