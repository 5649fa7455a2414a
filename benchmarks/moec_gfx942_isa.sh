#!/usr/bin/env bash
# moec's side of the gfx942 ISA comparison: the configs of
# triton_gfx942_isa.py, same layout (B K x N), through benchmarks/isa_report.py.
#   bash benchmarks/moec_gfx942_isa.sh [build/bin/moec] > table.md
# Triton specializes its kernel on arguments divisible by 16 (the compared
# kernels were), so moec compiles with --assume-aligned by default; set
# MOEC_ISA_FLAGS= (empty) for the generic kernel, which also carries the
# element-by-element path for unaligned leading dimensions. MOEC_ISA_DIR=DIR
# keeps the .s files there (benchmarks/asm_corpus.sh's isa/ part).
set -euo pipefail
FLAGS=${MOEC_ISA_FLAGS---assume-aligned}
HERE=$(cd "$(dirname "$0")" && pwd)
MOEC=${1:-$HERE/../build/bin/moec}
W=${MOEC_ISA_DIR:-$(mktemp -d)}
mkdir -p "$W"
# name: block_m block_n block_k num_warps num_stages nonkdim kpack waves_per_eu
while read -r name bm bn bk w s nk kp wpe; do
  "$MOEC" compile "$HERE/gemm_bf16_kn.mlir" --arch gfx942 --emit asm -o "$W/$name.s" \
    --block-m "$bm" --block-n "$bn" --block-k "$bk" --num-warps "$w" --num-stages "$s" \
    --matrix-instr-nonkdim "$nk" --kpack "$kp" --waves-per-eu "$wpe" $FLAGS 2>/dev/null \
    || echo "$name: does not compile (verifier or backend), skipped" >&2
done <<'CFG'
m128n128k64_w4_s2_nk16_kp1 128 128 64 4 2 16 1 0
m256n128k64_w8_s2_nk16_kp1 256 128 64 8 2 16 1 0
m128n128k64_w4_s2_nk32_kp1 128 128 64 4 2 32 1 0
m64n64k32_w4_s2_nk16_kp1 64 64 32 4 2 16 1 0
m128n256k64_w8_s2_wpe2_nk16_kp1 128 256 64 8 2 16 1 2
m128n128k64_w4_s3_nk16_kp1 128 128 64 4 3 16 1 0
m128n128k64_w4_s2_nk16_kp2 128 128 64 4 2 16 2 0
m16n128k128_w4_s2_nk16_kp1 16 128 128 4 2 16 1 0
CFG
python3 "$HERE/isa_report.py" "$W"/*.s --md /dev/stdout
[ -n "${MOEC_ISA_DIR:-}" ] || rm -rf "$W"
