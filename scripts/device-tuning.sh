#!/usr/bin/env bash
# Issue 10's JIT wiring on the GPU machine, from the repository root, with the
# bundle (scripts/make-bundle.sh) carried along:
#
#   bash scripts/device-tuning.sh            # cuda:0 / sm_90
#   DEVICE=host ARCH=host bash scripts/device-tuning.sh   (locally, build/bin)
#
# 1. moec-jit-bench without, then with MOEC_SHAPE_LOG + MOEC_TUNING_DB (the
#    in-memory-hit column: what the per-shape lookup costs on the hot path).
# 2. moec tune over the small space on the shapes the JIT logged, twice with one
#    MOEC_CACHE_DIR and no --resume: the second run's lines must say
#    "0 compiled" and count kernel cache hits.
# 3. moec-jit-bench with MOEC_TUNE=1 and an empty MOEC_TUNING_DB: each bench
#    shape is tuned on its first request (MOEC_LOG=info says so), recorded.
# Writes under $OUT: tuning-summary.txt, tuning-log.txt, shapes.jsonl, db.tar.gz.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
OUT=${OUT:-$(pwd)/device-out}
DEVICE=${DEVICE:-cuda:0}
ARCH=${ARCH:-sm_90}
mkdir -p "$OUT"
W=$(mktemp -d)
if [ -f bundle/moec-bundle.tar.xz ]; then
  mkdir -p "$W/moec"
  tar -C "$W/moec" -xJf bundle/moec-bundle.tar.xz
  BIN=$W/moec/bin
  export LD_LIBRARY_PATH="$W/moec/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  BIN=$(pwd)/build/bin
fi
LOG=$OUT/tuning-log.txt
SUM=$OUT/tuning-summary.txt
: > "$LOG"; : > "$SUM"
say() { echo "$*" | tee -a "$SUM"; }
export MOEC_CACHE_DIR=$W/cache

say "== 1. hot path: moec-jit-bench on $DEVICE, plain"
timeout 150 "$BIN/moec-jit-bench" --device "$DEVICE" --cache "$W/c1" --calls 2000 >> "$LOG" 2>&1
grep -h "in-memory hit" "$LOG" | tail -1 | tee -a "$SUM"
say "== 1. with MOEC_SHAPE_LOG and MOEC_TUNING_DB (empty)"
mkdir -p "$W/db0"
MOEC_SHAPE_LOG=$OUT/shapes.jsonl MOEC_TUNING_DB=$W/db0 timeout 150 \
  "$BIN/moec-jit-bench" --device "$DEVICE" --cache "$W/c2" --calls 2000 > "$W/b2.txt" 2>&1
cat "$W/b2.txt" >> "$LOG"
grep -h "in-memory hit" "$W/b2.txt" | tail -1 | tee -a "$SUM"
say "shapes logged: $(wc -l < "$OUT/shapes.jsonl")"

say "== 2. moec tune --shapes (small space), twice, one kernel cache, no --resume"
for run in 1 2; do
  timeout 200 "$BIN/moec" tune benchmarks/gemm_bf16_nk.mlir --arch "$ARCH" \
    --shapes "$OUT/shapes.jsonl" -o "$W/tuned$run" --space small --quiet \
    > "$W/tune$run.txt" 2>> "$LOG"
  echo "rc=$?" >> "$W/tune$run.txt"
  say "-- run $run"; tee -a "$SUM" < "$W/tune$run.txt"
done

say "== 3. MOEC_TUNE=1: moec-jit-bench tunes each shape on its first miss"
mkdir -p "$W/db1"
MOEC_TUNE=1 MOEC_LOG=info MOEC_TUNING_DB=$W/db1 timeout 200 \
  "$BIN/moec-jit-bench" --device "$DEVICE" --cache "$W/c3" --calls 200 > "$W/b3.txt" 2>&1
cat "$W/b3.txt" >> "$LOG"
grep -h "MOEC_TUNE" "$W/b3.txt" | tee -a "$SUM"
ls "$W/db1" | tee -a "$SUM"
tar -C "$W" -czf "$OUT/db.tar.gz" db1 tuned1
rm -rf "$W"
