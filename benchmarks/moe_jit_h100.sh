#!/usr/bin/env bash
# moec.fused_moe (the JIT's fused-MoE layer, issue 11 item 3) on the H100,
# through the Python module with torch tensors. From the repository root on
# the GPU machine, with the bundle of scripts/make-bundle.sh:
#
#   OUT=$OUT bash benchmarks/moe_jit_h100.sh
#
# First fp8_w8a8 / int8_w8a16 on sm_90 through `moec run` and `moec bench`
# ($OUT/moe_fp8.txt; MOE_JIT_FP8=0 skips it). Then
# benchmarks/moe_jit_h100.py: CUDA numerics of fused_moe against a torch
# reference (dtypes, activations, fused/unfused, top-k, expert maps, -1 ids,
# CUDA-graph capture and replay, an unwarmed shape refused under capture),
# the host overhead of a cache-hit call, and the full Mixtral/DeepSeek TP1
# layers against the Triton layer of benchmarks/triton_fused_moe.py and
# moec's own unfused (op-by-op) path. Writes $OUT/moe_jit.md, moe_jit.json
# and moe_jit_log.txt.
# Environment: MOEC_DIR (default /tmp/moec: the bundle is unpacked there when
# lib/libmoec.so is missing), MOE_JIT_STEPS (numerics,overhead,layer),
# MOE_JIT_MODELS (mixtral,deepseek), MOE_JIT_MS (1,16,64,256,1024,4096),
# MOE_JIT_CANDIDATES (2), MOE_JIT_TOTAL (the whole script's seconds, 580),
# MOE_JIT_BUDGET (seconds after which the layer step starts no new shape;
# default: what is left minus 60), MOE_JIT_QUANT (the modes of the `quant`
# step: quantized fused_moe numerics and the quantized layers against bf16
# and, for fp8_block, Triton; default fp8_block,fp8_token,int8,mxfp4; the
# step runs when MOE_JIT_STEPS names `quant`, or its halves `quant_numerics`
# and `quant_layer`), MOE_JIT_QUANT_MS (1,16,64,256).
# To fit one device call each:
#   MOE_JIT_STEPS=numerics,overhead bash benchmarks/moe_jit_h100.sh
#   MOE_JIT_FP8=0 MOE_JIT_STEPS=layer bash benchmarks/moe_jit_h100.sh
#   MOE_JIT_FP8=0 MOE_JIT_STEPS=quant_numerics,quant_layer MOE_JIT_MODELS=mixtral \
#     bash benchmarks/moe_jit_h100.sh
#   MOE_JIT_FP8=0 MOE_JIT_STEPS=quant_layer MOE_JIT_MODELS=deepseek bash benchmarks/moe_jit_h100.sh
# Exit status: 1 if a numerics case failed, 2 if the bundle is missing.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
OUT=${OUT:-$ROOT/device-out}
mkdir -p "$OUT"
MOEC=${MOEC_DIR:-/tmp/moec}
if [ ! -f "$MOEC/lib/libmoec.so" ] && [ -f "$ROOT/bundle/moec-bundle.tar.xz" ]; then
  mkdir -p "$MOEC" && tar -C "$MOEC" -xJf "$ROOT/bundle/moec-bundle.tar.xz"
fi
[ -f "$MOEC/lib/libmoec.so" ] || { echo "moe_jit_h100: no $MOEC/lib/libmoec.so (bundle missing?)" >&2; exit 2; }
export LD_LIBRARY_PATH="$MOEC/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export MOEC_LIBRARY="$MOEC/lib/libmoec.so"
export PYTHONPATH="$MOEC/python${PYTHONPATH:+:$PYTHONPATH}"
export MOEC_CACHE_DIR=${MOEC_CACHE_DIR:-$MOEC/cache}
export PYTHONUNBUFFERED=1
status=0

# fp8_w8a8 (and int8_w8a16) on sm_90 through `moec run` (float64 reference
# of the dequantized inputs): GEMMs in e4m3 and e5m2, the MoE functions at
# several token counts and routings, then fp8 against bf16 for Mixtral TP8's
# w13 (moec bench). Writes $OUT/moe_fp8.txt.
if [ "${MOE_JIT_FP8:-1}" = 1 ]; then
  F8=$OUT/moe_fp8.txt
  : > "$F8"
  MOEC_BIN=$MOEC/bin/moec
  T=$(mktemp -d)
  frun() {
    if timeout 120 "$MOEC_BIN" "$@" >> "$F8" 2>&1; then echo "PASS $*" | tee -a "$F8"
    else echo "FAIL $*" | tee -a "$F8"; status=1; fi
  }
  for ty in f8E4M3FN f8E5M2; do
    sed "s/FP8/$ty/g" test/e2e/Inputs/gemm_fp8_nt_scaled.mlir > "$T/g_$ty.mlir"
    for m in 1 37 300; do frun run "$T/g_$ty.mlir" --arch sm_90 --sizes M=$m; done
  done
  for r in uniform invalid one-expert; do
    frun run test/e2e/Inputs/moe-fp8-small.mlir --arch sm_90 --tokens 37 --routing $r
    frun run test/e2e/Inputs/moe-layer-int8-small.mlir --arch sm_90 --tokens 37 --routing $r
  done
  frun run test/e2e/Inputs/moe-fp8-small.mlir --arch sm_90 --tokens 1 --routing uniform
  frun run test/e2e/Inputs/moe-fp8-small.mlir --arch sm_90 --tokens 1000 --routing skewed
  frun run benchmarks/moe_w13_fp8_mixtral_tp8.mlir --arch sm_90 --tokens 64 --routing uniform
  # The CI sweep's quantized cases on the GPU (2 warps cover its 16-row tiles).
  if timeout 240 python3 test/e2e/moe_sweep.py --moec "$MOEC_BIN" --workdir "$T/sweep" -j 4 \
       --arch sm_90 --kinds quant --run-flags "--num-warps 2" >> "$F8" 2>&1; then
    echo "PASS moe_sweep.py --kinds quant --arch sm_90" | tee -a "$F8"
  else
    echo "FAIL moe_sweep.py --kinds quant --arch sm_90 (see moe_fp8.txt)" | tee -a "$F8"; status=1
  fi
  for m in 16 256 2048; do
    frun bench benchmarks/moe_w13_fp8_mixtral_tp8.mlir --arch sm_90 --tokens $m --routing uniform
    frun bench benchmarks/moe_w13_bf16_mixtral_tp8.mlir --arch sm_90 --tokens $m --routing uniform
  done
  rm -rf "$T"
fi

# What is left of the device call's 10 minutes (MOE_JIT_TOTAL, default 580 s)
# goes to the Python part; its layer step stops starting shapes 60 s before.
left=$(( ${MOE_JIT_TOTAL:-580} - SECONDS ))
[ $left -lt 60 ] && left=60
budget=${MOE_JIT_BUDGET:-$(( left - 60 ))}
echo "moe_jit_h100: fp8 step took ${SECONDS} s; ${left} s left for moe_jit_h100.py"
timeout $left python3 benchmarks/moe_jit_h100.py --out "$OUT" \
  --steps "${MOE_JIT_STEPS:-numerics,overhead,layer}" \
  --models "${MOE_JIT_MODELS:-mixtral,deepseek}" --ms "${MOE_JIT_MS:-1,16,64,256,1024,4096}" \
  --candidates "${MOE_JIT_CANDIDATES:-2}" --budget-s "$budget" \
  --quant "${MOE_JIT_QUANT:-fp8_block,fp8_token,int8,mxfp4}" \
  --quant-ms "${MOE_JIT_QUANT_MS:-1,16,64,256}" || status=1
exit $status
