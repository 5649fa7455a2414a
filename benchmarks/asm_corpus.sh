#!/usr/bin/env bash
# Compiles a fixed corpus of AMDGPU kernels to assembly, one .s per kernel
# module, so that a compiler change can be checked for "the ISA did not
# change" with `diff -r` (or, where it did, measured with isa_report.py):
#   bash benchmarks/asm_corpus.sh OUTDIR [build/bin/moec]
#   diff -r OLD NEW && echo identical
# The corpus:
#   bench/   the variants moec-compile-bench compiles (examples/gemm.mlir,
#            gfx942; the flags come from its --json)
#   isa/     the 8 configs of moec_gfx942_isa.sh (--assume-aligned)
#   lit/     every chunk (split on `// -----`) of the test/ .mlir files whose
#            RUN lines name a target, for each target named (AMD chips:
#            assembly; sm_80/sm_90: PTX; host: LLVM IR), with the chunk's
#            own config; chunks that do not compile (the error tests) are
#            skipped
# Prints how many files each part wrote. Needs moec and moec-compile-bench.
set -uo pipefail
OUT=${1:?usage: asm_corpus.sh OUTDIR [moec]}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MOEC=${2:-$ROOT/build/bin/moec}
BENCH=$(dirname "$MOEC")/moec-compile-bench
mkdir -p "$OUT/bench" "$OUT/isa" "$OUT/lit"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$BENCH" --quiet --variants 24 --json "$TMP/b.json" >/dev/null 2>&1
python3 - "$TMP/b.json" > "$TMP/flags" <<'PY'
import json, sys
for v in json.load(open(sys.argv[1]))["variants"]:
    print(v["flags"])
PY
i=0
while read -r flags; do
  "$MOEC" compile "$ROOT/examples/gemm.mlir" --arch gfx942 --emit asm \
    -o "$OUT/bench/v$(printf %02d $i).s" $flags 2>/dev/null
  i=$((i + 1))
done < "$TMP/flags"

MOEC_ISA_DIR="$OUT/isa" MOEC_ISA_FLAGS=--assume-aligned \
  bash "$HERE/moec_gfx942_isa.sh" "$MOEC" >/dev/null 2>&1

for f in $(grep -rlE "RUN:.*(gfx9[0-9a]+|sm_[0-9]+|host)" "$ROOT/test" --include='*.mlir' | sort); do
  base=$(basename "$f" .mlir)
  chips=$(grep -E "RUN:" "$f" | grep -oE "gfx9[0-9a]+|sm_[0-9]+|host" | sort -u)
  awk -v dir="$TMP" -v base="$base" '
    BEGIN { n = 0; out = dir "/" base "." n ".mlir" }
    /^\/\/ -----/ { close(out); n++; out = dir "/" base "." n ".mlir"; next }
    { print > out }' "$f"
  for chunk in "$TMP/$base".*.mlir; do
    grep -qE "moec\.(gemm|moe_gemm|sparse_attention|fused_moe|act_and_mul|moe_align)" "$chunk" || continue
    n=$(basename "$chunk" .mlir); n=${n##*.}
    for chip in $chips; do
      case $chip in
        gfx*) emit=asm ext=s ;;
        sm_*) emit=ptx ext=ptx ;;
        *) emit=llvm ext=ll ;;
      esac
      o="$OUT/lit/$base.$n.$chip.$ext"
      "$MOEC" compile "$chunk" --arch "$chip" --emit $emit -o "$o" 2>/dev/null \
        || rm -f "$o"
    done
  done
  rm -f "$TMP/$base".*.mlir
done
for d in bench isa lit; do
  echo "$d: $(ls "$OUT/$d" | wc -l) files"
done
