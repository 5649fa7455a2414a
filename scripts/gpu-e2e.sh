#!/usr/bin/env bash
# GPU end-to-end numerics of moec.gemm: `moec run` (fresh random inputs,
# NaN-poisoned output, float64 reference) over a sweep of configs, layouts,
# dtypes, epilogues and edge shapes, on the device the target names.
#   MOEC=/tmp/moec/bin/moec ARCH=sm_90 bash scripts/gpu-e2e.sh [log]
# Prints one line per case and a summary; exit 1 if any case failed.
set -uo pipefail
MOEC=${MOEC:-build/bin/moec}
ARCH=${ARCH:-sm_90}
LOG=${1:-/dev/stdout}
W=$(mktemp -d)

gemm() { # name ta tb in out bias act
  local name=$1 ta=$2 tb=$3 in=$4 out=$5 bias=$6 act=$7 attrs="" biasarg="" biastype=""
  [ "$ta" = 1 ] && attrs="$attrs transpose_a,"
  [ "$tb" = 1 ] && attrs="$attrs transpose_b,"
  [ "$act" != none ] && attrs="$attrs activation = #moec.activation<$act>,"
  if [ "$bias" != none ]; then biasarg=" bias(%bias : memref<?x$bias>)"; biastype=", %bias: memref<?x$bias>"; fi
  cat > "$W/$name.mlir" <<MLIR
func.func @$name(%a: memref<?x?x$in>, %b: memref<?x?x$in>, %c: memref<?x?x$out>$biastype) {
  moec.gemm %a, %b -> %c$biasarg {$attrs config = #moec.config<>} : memref<?x?x$in>, memref<?x?x$in> -> memref<?x?x$out>
  return
}
MLIR
}
gemm nt_bf16 0 1 bf16 bf16 none none
gemm nn_f16 0 0 f16 f16 none none
gemm tn_bf16 1 0 bf16 f32 none none
gemm tt_f16 1 1 f16 bf16 none none
gemm bias_silu 0 1 bf16 bf16 bf16 silu
gemm bias_gelu 0 1 f16 f16 f32 gelu
gemm relu_tanh 0 1 bf16 bf16 f16 gelu_tanh

CONFIGS=(
  "--block-m 16 --block-n 16 --block-k 16 --num-warps 1 --num-stages 1"
  "--block-m 32 --block-n 32 --block-k 32 --num-warps 2 --num-stages 2"
  "--block-m 64 --block-n 64 --block-k 32 --num-warps 4 --num-stages 1"
  "--block-m 64 --block-n 64 --block-k 32 --num-warps 4 --num-stages 2 --epilogue lds"
  "--block-m 128 --block-n 128 --block-k 32 --num-warps 4 --num-stages 2 --group-m 1"
  "--block-m 128 --block-n 128 --block-k 64 --num-warps 8 --num-stages 3"
  "--block-m 64 --block-n 128 --block-k 64 --num-warps 4 --num-stages 3 --async-copy"
  "--block-m 128 --block-n 64 --block-k 32 --num-warps 4 --num-stages 4 --epilogue lds"
)
SHAPES=("M=1,N=1,K=1" "M=1,N=257,K=129" "M=65,N=33,K=17" "M=300,N=200,K=150" "M=256,N=512,K=1024" "M=0,N=64,K=64" "M=17,N=64,K=0")
# One line per case: the cases run JOBS at a time (they share the GPU).
JOBS=${JOBS:-8}
CASES=$W/cases.txt
for f in "$W"/*.mlir; do
  for cfg in "${CONFIGS[@]}"; do
    for sz in "${SHAPES[@]}"; do echo "$f|$cfg|$sz"; done
  done
done > "$CASES"
# --assume-aligned kernels (no element-by-element path) on shapes whose
# leading dimensions, M included for the transposed-A files, are multiples of
# 16 bytes, edges still inside the tiles.
ALIGNED_SHAPES=("M=72,N=40,K=24" "M=8,N=264,K=136" "M=256,N=512,K=1024")
for f in "$W"/*.mlir; do
  for cfg in "${CONFIGS[@]}"; do
    for sz in "${ALIGNED_SHAPES[@]}"; do echo "$f|$cfg --assume-aligned|$sz"; done
  done
done >> "$CASES"
export MOEC ARCH
runcase() {
  IFS='|' read -r f cfg sz <<< "$1"
  if out=$(timeout 60 "$MOEC" run "$f" --arch "$ARCH" --sizes "$sz" $cfg 2>&1); then r=PASS; else r=FAIL; fi
  echo "$r $(basename "$f" .mlir) [$cfg] $sz: $(echo "$out" | tail -n 1)"
}
export -f runcase
xargs -d '\n' -P "$JOBS" -I{} bash -c 'runcase "$@"' _ {} < "$CASES" > "$W/results.txt"
cat "$W/results.txt" >> "$LOG"
pass=$(grep -c '^PASS' "$W/results.txt"); fail=$(grep -c '^FAIL' "$W/results.txt")
echo "gpu-e2e on $ARCH: $pass passed, $fail failed of $(wc -l < "$CASES") cases" | tee -a "$LOG"
grep '^FAIL' "$W/results.txt" | head -40 | sed 's/^/  /'
total=$(wc -l < "$CASES")
rm -rf "$W"
[ "$fail" -eq 0 ] && [ "$pass" -eq "$total" ]
