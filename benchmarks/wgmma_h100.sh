#!/usr/bin/env bash
# The wgmma core (config `wgmma`, --wgmma) on the H100: numerics, then timing
# against the best mma.sync configs and cuBLAS, in one call (< 8 minutes).
#
#   bash benchmarks/wgmma_h100.sh              # on the device, from the repo root
#   bash benchmarks/wgmma_h100.sh --dry-run    # the commands only (no GPU)
#   bash benchmarks/wgmma_h100.sh --numerics-only | --bench-only
#   MOEC=build/bin/moec bash benchmarks/wgmma_h100.sh --compile-check
#       # no GPU: every numerics case compiled to PTX instead of run
#
# (a) $OUT/wgmma_numerics.txt: `moec run --arch sm_90 --wgmma` (float64
#     reference, NaN-poisoned output) of GEMMs over M, N, K that are not
#     multiples of the tile, M = 1, A and B transposed, bias + activation,
#     f16 and bf16, both epilogues, num_stages 1-4 with and without
#     async_copy, 1 and 2 warpgroups; then the MoE sweep (gemm, chain, layer)
#     with --wgmma. A PASS/FAIL line per case and the totals at the end.
# (b) $OUT/wgmma_bench.md: `moec bench` of 4096^3, 8192^3 and 256x14336x4096
#     bf16 (C = A W^T): the best of a few mma.sync configs, the best of a few
#     wgmma configs, and torch.mm (cuBLAS) on the same machine in the same
#     call. Raw JSON lines in $OUT/wgmma_bench.jsonl.
# Exit status 0 when every numerics case passes, 1 otherwise.
set -uo pipefail
DRY=0 NUM=1 BENCH=1 CHECK=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY=1 ;;
    --compile-check) CHECK=1 BENCH=0 ;;
    --numerics-only) BENCH=0 ;;
    --bench-only) NUM=0 ;;
    *) echo "wgmma_h100.sh: unknown argument $arg (--dry-run, --numerics-only, --bench-only)" >&2; exit 2 ;;
  esac
done
if [ "$DRY" = 1 ] || [ "$CHECK" = 1 ]; then
  cd "$(dirname "$0")/.." || exit 2
  ROOT=$(pwd) OUT=${OUT:-$ROOT/device-out} MOEC=${MOEC:-moec}
  mkdir -p "$OUT"
else
  source "$(dirname "$0")/device-env.sh" wgmma_h100.sh
fi
WORK=$OUT/wgmma_work
mkdir -p "$WORK"
NUMERICS=$OUT/wgmma_numerics.txt
BENCHMD=$OUT/wgmma_bench.md
JSONL=$OUT/wgmma_bench.jsonl
FAILS=0 PASSES=0

# Numerics cases are collected (one JSON array of argv a line) and run 8 at
# a time by run_cases below.
CASES=$WORK/cases.jsonl
: > "$CASES"
run() { # command...
  if [ "$DRY" = 1 ]; then echo "$*"; return 0; fi
  python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> "$CASES"
}
run_cases() {
  python3 - "$CASES" "$NUMERICS" "$CHECK" <<'PY'
import concurrent.futures, json, subprocess, sys
cases = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
check = sys.argv[3] == "1"
def one(argv):
    if check:  # no GPU: compile the same kernel to PTX
        i = argv.index("run")
        argv = argv[:i] + ["compile"] + argv[i + 1:] + ["--emit", "ptx", "-o", "/dev/null"]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=150)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired:
        out, rc = "timed out", -1
    return argv, rc, out
fails = 0
with open(sys.argv[2], "a") as log, concurrent.futures.ThreadPoolExecutor(8) as pool:
    for argv, rc, out in pool.map(one, cases):
        ok = rc == 0 and "FAIL" not in out
        fails += not ok
        line = "%s %s" % ("PASS" if ok else "FAIL (exit %d)" % rc, " ".join(argv[2:]))
        print(line, flush=True)
        log.write(line + "\n")
        if not ok:
            log.write("".join("    " + l + "\n" for l in out.strip().splitlines()[-20:]))
    log.write("gemm cases: %d, %d failed\n" % (len(cases), fails))
print("gemm cases: %d, %d failed" % (len(cases), fails))
sys.exit(1 if fails else 0)
PY
}

# --------------------------------------------------------------- numerics --
gen() { # name, A type, C type, "ta|tb|tab|none", extra op text (bias/activation)
  local name=$1 at=$2 ct=$3 tr=$4 extra=$5 attrs="" bias_arg="" bias_use=""
  case "$tr" in ta) attrs="transpose_a, " ;; tb) attrs="transpose_b, " ;;
                tab) attrs="transpose_a, transpose_b, " ;; esac
  if [[ "$extra" == *bias* ]]; then
    bias_arg=", %bias: memref<?x${ct}>"; bias_use=" bias(%bias : memref<?x${ct}>)"
  fi
  local act=""
  [[ "$extra" == *silu* ]] && act="activation = #moec.activation<silu>, "
  cat > "$WORK/$name.mlir" <<EOF
module attributes {moec.target = #moec.target<"sm_90">} {
func.func @$name(%a: memref<?x?x${at}>, %b: memref<?x?x${at}>, %c: memref<?x?x${ct}>${bias_arg}) {
  moec.gemm %a, %b -> %c${bias_use} {${attrs}${act}config = #moec.config<>}
    : memref<?x?x${at}>, memref<?x?x${at}> -> memref<?x?x${ct}>
  return
}
}
EOF
}

if [ "$NUM" = 1 ]; then
  [ "$DRY" = 1 ] || : > "$NUMERICS"
  gen nt_bf16 bf16 bf16 tb ""
  gen nn_f16_bias_silu f16 f16 none "bias silu"
  gen tn_bf16_f32 bf16 f32 ta ""
  gen tt_bf16_bias bf16 bf16 tab "bias"
  # block_m block_n num_warps num_stages [async] [epilogue]
  CONFIGS=(
    "128 128 4 1" "128 128 4 2" "128 128 4 3" "128 128 4 4"
    "128 128 4 2 async" "128 128 4 3 async" "128 128 4 4 async"
    "64 128 4 3 async lds" "128 256 8 3 async" "128 256 8 2 - lds"
    "256 128 8 3 async" "64 64 4 2" "128 32 8 3 async lds"
  )
  SIZES=("M=300,N=200,K=100" "M=1,N=520,K=328" "M=777,N=1030,K=1000")
  for f in nt_bf16 nn_f16_bias_silu tn_bf16_f32 tt_bf16_bias; do
    for cfg in "${CONFIGS[@]}"; do
      read -r bm bn w s async epi <<< "$cfg"
      flags=(--wgmma --block-m "$bm" --block-n "$bn" --block-k 64 --num-warps "$w" --num-stages "$s")
      [ "${async:-}" = async ] && flags+=(--async-copy)
      [ -n "${epi:-}" ] && flags+=(--epilogue "$epi")
      # Every config on the odd sizes for the NT layout; the others take
      # one size each per config (time budget).
      if [ "$f" = nt_bf16 ]; then sizes=("${SIZES[@]}"); else
        sizes=("${SIZES[$(( (${#cfg} + ${#f}) % 3 ))]}"); fi
      for sz in "${sizes[@]}"; do
        run "$MOEC" run "$WORK/$f.mlir" --arch sm_90 --sizes "$sz" "${flags[@]}"
      done
    done
  done
  if [ "$DRY" = 0 ]; then
    if run_cases; then PASSES=$((PASSES + 1)); else FAILS=$((FAILS + 1)); fi
  fi
  [ "$CHECK" = 1 ] && exit $FAILS
  # MoE: moe_gemm (gathered rows, routing weights, reduce, gated
  # activation, MXFP4 dequantized to bf16 in LDS) alone, chained and as a
  # layer, every case with the wgmma core.
  for flags in "--wgmma --num-warps 4 --block-m 64 --block-k 64" \
               "--wgmma --num-warps 4 --block-m 64 --block-k 64 --async-copy --num-stages 3 --epilogue lds"; do
    if [ "$DRY" = 1 ]; then
      echo python3 test/e2e/moe_sweep.py --moec "$MOEC" --workdir "$WORK/moe" --arch sm_90 --kinds gemm,chain,layer -j 8 --run-flags "$flags"
      continue
    fi
    echo "== MoE sweep --run-flags '$flags'" >> "$NUMERICS"
    timeout 200 python3 test/e2e/moe_sweep.py --moec "$MOEC" --workdir "$WORK/moe" \
      --arch sm_90 --kinds gemm,chain,layer -j 8 --run-flags "$flags" > "$WORK/moe.log" 2>&1
    rc=$?
    grep -E "FAIL|cases,|reproduce" "$WORK/moe.log" | head -40 >> "$NUMERICS"
    tail -1 "$WORK/moe.log"
    if [ $rc -eq 0 ]; then PASSES=$((PASSES + 1)); else FAILS=$((FAILS + 1)); fi
  done
  [ "$DRY" = 1 ] || echo "numerics: $PASSES groups passed, $FAILS failed (gemm cases, MoE sweeps)" | tee -a "$NUMERICS"
fi

# ----------------------------------------------------------------- timing --
if [ "$BENCH" = 1 ]; then
  [ "$DRY" = 1 ] || : > "$JSONL"
  SHAPES="4096,4096,4096 8192,8192,8192 256,14336,4096"
  # core block_m block_n block_k num_warps num_stages [async]
  BCONFIGS=(
    "mma 128 128 32 4 4 async" "mma 128 128 64 4 3 async" "mma 256 128 64 8 3 async"
    "mma 128 256 32 8 3 async"
    "wgmma 128 128 64 4 3 async" "wgmma 128 128 64 4 4 async" "wgmma 128 256 64 8 3 async"
    "wgmma 256 128 64 8 3 async" "wgmma 128 256 64 8 4 async" "wgmma 64 256 64 4 4 async"
    "wgmma 128 128 64 4 3"
  )
  for shape in $SHAPES; do
    IFS=, read -r M N K <<< "$shape"
    for cfg in "${BCONFIGS[@]}"; do
      read -r core bm bn bk w s async <<< "$cfg"
      flags=(--block-m "$bm" --block-n "$bn" --block-k "$bk" --num-warps "$w" --num-stages "$s" --assume-aligned)
      [ "${async:-}" = async ] && flags+=(--async-copy)
      [ "$core" = wgmma ] && flags+=(--wgmma)
      if [ "$DRY" = 1 ]; then
        echo "$MOEC" bench benchmarks/gemm_bf16_nk.mlir --arch sm_90 --sizes "M=$M,N=$N,K=$K" "${flags[@]}" --warmup 5 --repeat 20 --json "$JSONL"
        continue
      fi
      echo "== $shape $cfg"
      timeout 60 "$MOEC" bench benchmarks/gemm_bf16_nk.mlir --arch sm_90 \
        --sizes "M=$M,N=$N,K=$K" "${flags[@]}" --warmup 5 --repeat 20 --json "$JSONL" \
        || echo "   (config failed or did not verify)"
    done
  done
  if [ "$DRY" = 1 ]; then
    echo python3 - "$JSONL" "$BENCHMD" "# moec bench results vs torch.mm"
    exit 0
  fi
  python3 - "$JSONL" "$BENCHMD" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def core(r):
    return "wgmma" if "wgmma" in json.dumps(r.get("config", "")) else "mma.sync"
best = {}
for r in rows:
    key = (tuple(r["shape"]), core(r))
    if key not in best or r["ms"] < best[key]["ms"]:
        best[key] = r
cublas = {}
try:
    import torch
    dev = torch.cuda.get_device_name(0)
    for shape in sorted({k[0] for k in best}):
        m, n, k = shape
        a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
        w = torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
        for _ in range(5):
            torch.mm(a, w.t())
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        ts = []
        for _ in range(20):
            s.record(); torch.mm(a, w.t()); e.record(); e.synchronize()
            ts.append(s.elapsed_time(e))
        cublas[shape] = statistics.median(ts)
except Exception as ex:  # no torch: moec only
    dev = "unknown (torch failed: %s)" % ex
out = ["# wgmma vs mma.sync vs cuBLAS, bf16 C = A W^T (%s)" % dev, "",
       "moec: best of the configs in benchmarks/wgmma_h100.sh per core (moec bench, "
       "20 repeats, median); cuBLAS: torch.mm, 20 repeats, median, same inputs each call.", "",
       "| shape | mma.sync ms (TF/s) | config | wgmma ms (TF/s) | config | cuBLAS ms (TF/s) | wgmma/mma.sync | wgmma/cuBLAS |",
       "|---|---|---|---|---|---|---|---|"]
for shape in sorted({k[0] for k in best}):
    fl = 2.0 * shape[0] * shape[1] * shape[2]
    mm, wg, cb = best.get((shape, "mma.sync")), best.get((shape, "wgmma")), cublas.get(shape)
    cell = lambda ms: "%.4f (%.0f)" % (ms, fl / ms / 1e9) if ms else "-"
    out.append("| %dx%dx%d | %s | %s | %s | %s | %s | %s | %s |" % (
        shape + (cell(mm and mm["ms"]), mm and mm.get("config", "") or "-",
                 cell(wg and wg["ms"]), wg and wg.get("config", "") or "-",
                 cell(cb),
                 "%.2f" % (mm["ms"] / wg["ms"]) if mm and wg else "-",
                 "%.2f" % (cb / wg["ms"]) if cb and wg else "-")))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
fi
[ "$FAILS" -eq 0 ]
