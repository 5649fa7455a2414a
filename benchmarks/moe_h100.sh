#!/usr/bin/env bash
# Fused MoE on the H100 (issue 11's benchmarks). Runs from the repository
# root on the GPU machine, with the bundle of scripts/make-bundle.sh:
#
#   OUT=$OUT bash benchmarks/moe_h100.sh
#
# 1. moec run (numerics) on sm_90 for the MoE functions: moe_align alone over
#    every routing (E = 256 with an expert map, and E = 8 with enough tokens
#    for several workgroups), and each model layer of examples/moe at small
#    token counts (align, w13 GEMM, act_and_mul, w2 GEMM with reduce), each
#    checked against the float64 reference, and test/e2e/moe_sweep.py's
#    cases (every routing, sizes, expert maps, dtypes) on the GPU; MXFP4
#    weights (gpt-oss) are in it: the *_tp8 loop runs gpt_oss_120b_tp8.mlir,
#    and the "mxfp4" step below runs with "numerics";
# 2. benchmarks/triton_fused_moe.py: moec (through `moec bench`) against
#    this repository's Triton fused-MoE kernel, w13 of Mixtral TP1 and
#    DeepSeek-V3 TP1 at M = 1 .. 4096 and their full layers, same candidate
#    list for both, copy bandwidth and the weight floor.
# 3. (step "mxfp4"; its checks also run with "numerics") MXFP4 moe_gemm
#    (gpt-oss-120b: packed e2m1 W, e8m0 scales, dequantized to bf16 in
#    registers): the small layer and the TP 1 layer checked against float64
#    from the dequantized weights; with MOE_STEPS=mxfp4 also the TP 8 shard
#    and `moec bench` of the TP 1 and TP 8 layers at 1 and 256 tokens into
#    $OUT/moe_mxfp4_bench.txt.
# Writes $OUT/moe_numerics.txt, $OUT/moe_bench.json, $OUT/moe_bench.md,
# $OUT/moe_bench_log.txt and $OUT/moe_mxfp4_bench.txt. MOE_STEPS=mxfp4 runs
# step 3 alone (a few minutes).
# Environment: MOEC_BIN_DIR (default /tmp/moec/bin, extracted from
# bundle/moec-bundle.tar.xz when missing), MOEC_ARCH (sm_90; host runs step 1
# on the CPU), MOE_MODELS (mixtral,deepseek),
# MOE_MS (1,16,64,256,1024,4096), MOE_CANDIDATES (4), MOE_LAYER=0 to skip the
# layers, MOE_BENCH_TIMEOUT (seconds for step 2, default 480), MOE_STEPS
# ("numerics bench" by default; one of them to split the work over two
# device calls of at most 10 minutes each).
# Exit status: 1 if a numerics run failed, 3 if the benchmark failed, else 0.
set -uo pipefail
. "$(dirname "$0")/device-env.sh" moe_h100
ARCH=${MOEC_ARCH:-sm_90}
NUM=$OUT/moe_numerics.txt
: > "$NUM"
status=0

STEPS=${MOE_STEPS:-numerics bench}
want() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
run() {
  if timeout 120 "$MOEC" run "$@" >> "$NUM" 2>&1; then echo "PASS $*" | tee -a "$NUM"
  else echo "FAIL $*" | tee -a "$NUM"; status=1; fi
}

# 1. Numerics on the GPU (18 moec runs, then the sweep's ~100 cases).
if want numerics; then
  echo "== moec run on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)" | tee -a "$NUM"
  for r in uniform skewed one-expert empty-experts invalid; do
    run test/e2e/Inputs/moe-align-e256.mlir --arch "$ARCH" --tokens 3000 --routing "$r"
  done
  run test/e2e/Inputs/moe-align-e256.mlir --arch "$ARCH" --tokens 1 --routing invalid
  for f in examples/moe/*_tp8.mlir; do
    run "$f" --arch "$ARCH" --tokens 1 --routing uniform
    run "$f" --arch "$ARCH" --tokens 300 --routing invalid
  done
  run examples/moe/qwen3_30b_a3b_tp1.mlir --arch "$ARCH" --tokens 77 --routing skewed
  run examples/moe/mixtral_8x7b_tp1.mlir --arch "$ARCH" --tokens 64 --routing one-expert
  # silu_and_mul fused into the w13 GEMM (moe_gemm's activation): the
  # Mixtral layer and its small copy (N/2 = 88: partial gate/up halves).
  run examples/moe/mixtral_8x7b_tp1_fused.mlir --arch "$ARCH" --tokens 64 --routing uniform
  run test/e2e/Inputs/moe-layer-fused-small.mlir --arch "$ARCH" --tokens 37 --routing invalid
  # The CI sweep's cases on the GPU (moe_sweep.py): align over every routing
  # and size, then align + GEMM, the two-GEMM chain and the whole layer
  # (2 warps: on sm_90, 4 cannot cover the sweep's 16x16 tiles).
  SW=$(mktemp -d)
  for kinds in "align" "gemm,chain,layer"; do
    flags=""; [ "$kinds" != align ] && [ "$ARCH" != host ] && flags="--num-warps 2"
    if timeout 240 python3 test/e2e/moe_sweep.py --moec "$MOEC" --workdir "$SW" -j 4 \
         --arch "$ARCH" --kinds "$kinds" --run-flags "$flags" >> "$NUM" 2>&1; then
      echo "PASS moe_sweep.py --kinds $kinds" | tee -a "$NUM"
    else
      echo "FAIL moe_sweep.py --kinds $kinds (see moe_numerics.txt)" | tee -a "$NUM"; status=1
    fi
  done
  rm -rf "$SW"
fi

# 3. MXFP4 weights (gpt-oss-120b).
if want mxfp4 || want numerics; then
  echo "== MXFP4 moe_gemm (gpt-oss) on $ARCH" | tee -a "$NUM"
  run test/e2e/Inputs/moe-layer-mxfp4-small.mlir --arch "$ARCH" --tokens 37 --routing invalid
  run test/e2e/Inputs/moe-layer-mxfp4-small.mlir --arch "$ARCH" --tokens 1 --routing uniform
  run test/e2e/Inputs/moe-layer-mxfp4-small.mlir --arch "$ARCH" --tokens 300 --routing one-expert
  run examples/moe/gpt_oss_120b_tp1.mlir --arch "$ARCH" --tokens 64 --routing uniform
  run examples/moe/gpt_oss_120b_tp1.mlir --arch "$ARCH" --tokens 1 --routing skewed
  # The bench (and the TP 8 shard, which "numerics" runs in its *_tp8 loop)
  # only with MOE_STEPS=mxfp4, to keep the numerics step's device call short.
  if want mxfp4; then
    run examples/moe/gpt_oss_120b_tp8.mlir --arch "$ARCH" --tokens 300 --routing invalid
    MXB=$OUT/moe_mxfp4_bench.txt
    : > "$MXB"
    for f in examples/moe/gpt_oss_120b_tp1.mlir examples/moe/gpt_oss_120b_tp8.mlir; do
      for t in 1 256; do
        echo "== moec bench $f --tokens $t" >> "$MXB"
        timeout 120 "$MOEC" bench "$f" --arch "$ARCH" --tokens "$t" --routing uniform >> "$MXB" 2>&1 \
          || { echo "FAIL bench $f --tokens $t" | tee -a "$NUM"; status=1; }
      done
    done
  fi
fi

# 2. The benchmark against Triton.
if want bench; then
  timeout "${MOE_BENCH_TIMEOUT:-480}" python3 benchmarks/triton_fused_moe.py --moec "$MOEC" --out "$OUT" \
    --models "${MOE_MODELS:-mixtral,deepseek}" --ms "${MOE_MS:-1,16,64,256,1024,4096}" \
    --candidates "${MOE_CANDIDATES:-4}" $([ "${MOE_LAYER:-1}" = 0 ] && echo --no-layer) \
    || { echo "moe_h100: triton_fused_moe.py failed or timed out (partial results kept)"; [ $status = 0 ] && status=3; }
fi
exit $status
