#!/usr/bin/env bash
# moec.fused_moe (the JIT's fused-MoE layer, issue 11 item 3) on the H100,
# through the Python module with torch tensors. From the repository root on
# the GPU machine, with the bundle of scripts/make-bundle.sh:
#
#   OUT=$OUT bash benchmarks/moe_jit_h100.sh
#
# Runs benchmarks/moe_jit_h100.py: CUDA numerics of fused_moe against a torch
# reference (dtypes, activations, fused/unfused, top-k, expert maps, -1 ids,
# CUDA-graph capture and replay, an unwarmed shape refused under capture),
# the host overhead of a cache-hit call, and the full Mixtral/DeepSeek TP1
# layers against the Triton layer of benchmarks/triton_fused_moe.py and
# moec's own unfused (op-by-op) path. Writes $OUT/moe_jit.md, moe_jit.json
# and moe_jit_log.txt.
# Environment: MOEC_DIR (default /tmp/moec: the bundle is unpacked there when
# lib/libmoec.so is missing), MOE_JIT_STEPS (numerics,overhead,layer),
# MOE_JIT_MODELS (mixtral,deepseek), MOE_JIT_MS (1,16,64,256,1024,4096),
# MOE_JIT_CANDIDATES (2), MOE_JIT_BUDGET (seconds for the layer step, 420).
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
exec timeout 570 python3 benchmarks/moe_jit_h100.py --out "$OUT" \
  --steps "${MOE_JIT_STEPS:-numerics,overhead,layer}" \
  --models "${MOE_JIT_MODELS:-mixtral,deepseek}" --ms "${MOE_JIT_MS:-1,16,64,256,1024,4096}" \
  --candidates "${MOE_JIT_CANDIDATES:-2}" --budget-s "${MOE_JIT_BUDGET:-420}"
