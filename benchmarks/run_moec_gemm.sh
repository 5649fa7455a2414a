#!/usr/bin/env bash
# moec's side of the H100 GEMM comparison (gemm_peers_h100.py is the peer):
# for each shape, `moec bench` every config of a small set (the same budget
# as the Triton peer's config list), keep the fastest that passes its check,
# and write [{shape, ms, config}] to $MOEC_RESULTS.
#
#   MOEC_BIN_DIR=/tmp/moec/bin MOEC_RESULTS=out.json bash benchmarks/run_moec_gemm.sh
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MOEC=${MOEC_BIN_DIR:-$HERE/../build/bin}/moec
RESULTS=${MOEC_RESULTS:-moec_results.json}
ARCH=${MOEC_ARCH:-sm_90}
LINES=$(mktemp)

SHAPES="4096,4096,4096 8192,8192,8192 256,14336,4096 16,4096,4096"
# block_m block_n block_k num_warps num_stages
# block_m block_n block_k num_warps num_stages [async: cp.async ring]
CONFIGS=(
  "128 128 32 4 2" "256 128 32 8 2" "128 128 32 4 3"
  "128 128 32 4 3 async" "128 128 64 4 3 async" "128 256 32 8 3 async"
  "256 128 64 8 3 async" "128 128 32 4 4 async"
  "16 64 128 4 2" "16 32 256 2 2" "16 64 128 4 4 async" "16 64 256 4 3 async"
  "16 32 256 2 4 async" "32 64 128 4 3 async"
)
for shape in $SHAPES; do
  IFS=, read -r M N K <<< "$shape"
  for cfg in "${CONFIGS[@]}"; do
    read -r bm bn bk w s async <<< "$cfg"
    # Every shape here has leading dimensions that are multiples of 16
    # bytes: specialize as Triton does (divisibility by 16).
    extra=(--assume-aligned)
    [ "${async:-}" = async ] && extra+=(--async-copy)
    # Small-M configs for the decode shape only, big tiles for the rest.
    if [ "$M" -le 64 ] && [ "$bm" -gt 64 ]; then continue; fi
    if [ "$M" -gt 64 ] && [ "$bm" -lt 64 ]; then continue; fi
    if [ "$M" -le 64 ] && [ "$bm" -gt 32 ]; then continue; fi
    echo "== $shape $cfg"
    timeout 60 "$MOEC" bench "$HERE/gemm_bf16_nk.mlir" --arch "$ARCH" \
      --sizes "M=$M,N=$N,K=$K" --block-m "$bm" --block-n "$bn" --block-k "$bk" \
      --num-warps "$w" --num-stages "$s" "${extra[@]}" --warmup 5 --repeat 20 --json "$LINES" \
      || echo "   (config failed or did not verify)"
  done
done
python3 - "$LINES" "$RESULTS" <<'PY'
import json, sys
best = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    key = tuple(r["shape"])
    if key not in best or r["ms"] < best[key]["ms"]:
        best[key] = r
out = [{"shape": list(k), "ms": v["ms"], "config": v["config"], "tflops": v["tflops"]}
       for k, v in best.items()]
json.dump(out, open(sys.argv[2], "w"), indent=1)
for r in out:
    print(f"moec best {r['shape']}: {r['ms']:.4f} ms {r['tflops']:.1f} TFLOP/s {r['config']}")
PY
