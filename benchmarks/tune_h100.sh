#!/usr/bin/env bash
# moec tune on the H100 (issue 10's benchmarks). Runs from the repository
# root on the GPU machine, with the bundle of scripts/make-bundle.sh:
#
#   OUT=$OUT bash benchmarks/tune_h100.sh
#
# 1. compile throughput: `moec tune --compile-only` over the sm_90 space of
#    the 4096^3 shape (PTX) and over the gfx942 space (code objects, with the
#    spill/resource check), on every core;
# 2. wall time to tune one GEMM shape (4096^3 bf16, B as N x K) over the
#    216-candidate sm_90 space (compile, load, time, cut, re-time, verify);
# 3. the four GEMM shapes of benchmarks/run_moec_gemm.sh tuned (budget
#    $TUNE_BUDGET s each), each winner re-timed with `moec bench`, against the
#    best of run_moec_gemm.sh's fixed config list timed the same way.
# Writes $OUT/tune_summary.md, $OUT/tune_results.json, $OUT/tune_log.txt and
# $OUT/tune_db.tar.gz (the config files and journals).
# Environment: MOEC_BIN_DIR (default /tmp/moec/bin, extracted from
# bundle/moec-bundle.tar.xz when missing), MOEC_ARCH (sm_90), TUNE_SHAPES,
# TUNE_BUDGET (40; the first shape TUNE_FIRST_BUDGET, 120), TUNE_FIXED=0 to skip the fixed-list comparison.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
OUT=${OUT:-$ROOT/device-out}
mkdir -p "$OUT"
BIN=${MOEC_BIN_DIR:-/tmp/moec/bin}
if [ ! -x "$BIN/moec" ] && [ -f "$ROOT/bundle/moec-bundle.tar.xz" ]; then
  mkdir -p /tmp/moec && tar -C /tmp/moec -xJf "$ROOT/bundle/moec-bundle.tar.xz"
  BIN=/tmp/moec/bin
fi
MOEC=$BIN/moec
[ -x "$MOEC" ] || { echo "tune_h100: no moec at $MOEC" >&2; exit 2; }
ARCH=${MOEC_ARCH:-sm_90}
SHAPES=${TUNE_SHAPES:-"4096,4096,4096 8192,8192,8192 256,14336,4096 16,4096,4096"}
BUDGET=${TUNE_BUDGET:-40}
WORK=$(mktemp -d)
LOG=$OUT/tune_log.txt
RES=$WORK/results.jsonl
FILE=benchmarks/gemm_bf16_nk.mlir
: > "$LOG"; : > "$RES"
log() { echo "$*" | tee -a "$LOG"; }
space_for() { # M -> the space file for the arch
  if [ "$ARCH" = host ]; then echo small
  elif [ "$1" -ge 2048 ]; then echo benchmarks/tune/space_sm90_large.json
  else echo benchmarks/tune/space_sm90_small.json; fi
}
log "== moec tune on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1) ($(nproc) cores), arch $ARCH"

# 1. Compile throughput.
for a in "$ARCH" gfx942; do
  sp=$( [ "$a" = gfx942 ] && echo benchmarks/tune/space_gfx942.json || space_for 4096 )
  log "-- compile-only $a ($sp)"
  timeout 200 "$MOEC" tune "$FILE" --arch "$a" --sizes M=4096,N=4096,K=4096 \
    --assume-aligned --space "$sp" --compile-only 2>&1 | tee -a "$LOG" \
    | sed -n 's/.*: \([0-9]*\) candidates in \([0-9.]*\) s on \([0-9]*\) threads: \([0-9.]*\) compiled\/s; \([0-9]*\) ok, \([0-9]*\) rejected, \([0-9]*\) spill/{"kind": "compile", "arch": "'"$a"'", "candidates": \1, "seconds": \2, "threads": \3, "per_s": \4, "ok": \5, "rejected": \6, "spill": \7}/p' >> "$RES"
done

# 2 + 3. Tune each shape; the first one without a budget cap below 300 s.
first=1
for shape in $SHAPES; do
  IFS=, read -r M N K <<< "$shape"
  sp=$(space_for "$M")
  b=$BUDGET; [ $first = 1 ] && b=${TUNE_FIRST_BUDGET:-120}
  dir=$WORK/db-$M-$N-$K
  log "-- tune M=$M N=$N K=$K ($sp, budget ${b}s)"
  t0=$(date +%s.%N)
  timeout $((b + 60)) "$MOEC" tune "$FILE" --arch "$ARCH" --sizes "M=$M,N=$N,K=$K" \
    --assume-aligned --space "$sp" --budget "${b}s" -o "$dir" > "$WORK/tune.txt" 2> "$WORK/tune.err"
  rc=$?
  t1=$(date +%s.%N)
  cat "$WORK/tune.txt" >> "$LOG"; tail -3 "$WORK/tune.err" >> "$LOG"
  python3 - "$dir" "$M" "$N" "$K" "$t0" "$t1" "$rc" "$WORK/tune.txt" >> "$RES" <<'PY'
import json, glob, re, sys
d, M, N, K, t0, t1, rc, txt = sys.argv[1:]
out = {"kind": "tune", "shape": [int(M), int(N), int(K)], "wall_s": float(t1) - float(t0), "rc": int(rc)}
text = open(txt).read()
m = re.search(r"(\d+) candidates \(.*?\); (\d+) compiled, (\d+) from the journal, (\d+) rejected, (\d+) spill, (\d+) cut, (\d+) timed, (\d+) wrong", text)
if m:
    keys = ["candidates", "compiled", "journal", "rejected", "spill", "cut", "timed", "wrong"]
    out.update({k: int(v) for k, v in zip(keys, m.groups())})
for f in glob.glob(d + "/op=gemm,*.json"):
    e = json.load(open(f)).get(M)
    if e:
        out["config"] = e
print(json.dumps(out))
PY
  # The winner, timed by `moec bench` like the fixed list below.
  cfg=$(tail -1 "$RES" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read()); c = r.get("config")
if c:
    a = "--block-m %d --block-n %d --block-k %d --group-m %d --num-warps %d --num-stages %d --epilogue %s" % (
        c["BLOCK_SIZE_M"], c["BLOCK_SIZE_N"], c["BLOCK_SIZE_K"], c["GROUP_SIZE_M"], c["num_warps"], c["num_stages"], c.get("epilogue", "direct"))
    if c.get("async_copy"): a += " --async-copy"
    print(a)')
  if [ -n "$cfg" ]; then
    # shellcheck disable=SC2086
    timeout 120 "$MOEC" bench "$FILE" --arch "$ARCH" --sizes "M=$M,N=$N,K=$K" --assume-aligned $cfg \
      --warmup 5 --repeat 20 --json "$WORK/tuned_bench.jsonl" >> "$LOG" 2>&1 || log "   (bench of the winner failed)"
  fi
  first=0
done

# The best of the fixed config list (run_moec_gemm.sh), same harness.
if [ "${TUNE_FIXED:-1}" = 1 ] && [ "$ARCH" != host ]; then
  log "-- fixed config list (benchmarks/run_moec_gemm.sh)"
  MOEC_BIN_DIR=$BIN MOEC_ARCH=$ARCH MOEC_RESULTS=$WORK/fixed.json timeout 170 bash benchmarks/run_moec_gemm.sh >> "$LOG" 2>&1
fi

python3 - "$RES" "$WORK/tuned_bench.jsonl" "$WORK/fixed.json" "$OUT" <<'PY'
import json, os, sys
res, tuned_bench, fixed, out = sys.argv[1:]
rows = [json.loads(l) for l in open(res) if l.strip()]
tb = {}
if os.path.exists(tuned_bench):
    for l in open(tuned_bench):
        r = json.loads(l); tb[tuple(r["shape"])] = r
fx = {}
if os.path.exists(fixed):
    for r in json.load(open(fixed)):
        fx[tuple(r["shape"])] = r
lines = ["# moec tune on the H100", "", "## Compile throughput (--compile-only)", "",
         "| arch | candidates | seconds | threads | compiled/s | ok | rejected | spill |", "|---|---|---|---|---|---|---|---|"]
for r in rows:
    if r["kind"] == "compile":
        lines.append("| {arch} | {candidates} | {seconds} | {threads} | {per_s} | {ok} | {rejected} | {spill} |".format(**r))
lines += ["", "## Tuning (wall time, candidates) and tuned vs the fixed list (moec bench, ms)", "",
          "| shape MxNxK | wall s | candidates | compiled | cut | timed | spill/rejected/wrong | tuned config | tuned ms | best fixed ms | speed-up |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    if r["kind"] != "tune":
        continue
    s = tuple(r["shape"]); c = r.get("config", {})
    cfg = "%s/%s/%s g%s w%s s%s%s" % (c.get("BLOCK_SIZE_M"), c.get("BLOCK_SIZE_N"), c.get("BLOCK_SIZE_K"), c.get("GROUP_SIZE_M"),
                                      c.get("num_warps"), c.get("num_stages"), " async" if c.get("async_copy") else "") if c else "-"
    t = tb.get(s, {}).get("ms"); f = fx.get(s, {}).get("ms")
    lines.append("| %s | %.1f | %s | %s | %s | %s | %s/%s/%s | %s | %s | %s | %s |" % (
        "x".join(map(str, s)), r["wall_s"], r.get("candidates"), r.get("compiled"), r.get("cut"), r.get("timed"),
        r.get("spill"), r.get("rejected"), r.get("wrong"), cfg,
        "%.4f" % t if t else "-", "%.4f" % f if f else "-", "%.2fx" % (f / t) if t and f else "-"))
    r["tuned_bench_ms"] = t; r["fixed_best_ms"] = f
open(os.path.join(out, "tune_summary.md"), "w").write("\n".join(lines) + "\n")
json.dump(rows, open(os.path.join(out, "tune_results.json"), "w"), indent=1)
print("\n".join(lines))
PY
tar -C "$WORK" -czf "$OUT/tune_db.tar.gz" $(cd "$WORK" && ls -d db-* 2>/dev/null) 2>/dev/null
rm -rf "$WORK"
