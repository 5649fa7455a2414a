#!/usr/bin/env bash
# Regenerates the seed part of the fuzz corpora in test/fuzz/corpus from
# examples/ and test/ (committed; rerun when those change):
#   mlir/seed-*        every .mlir of examples/ and test/, split at `// -----`
#   codeobject/seed-*  code objects built from the examples and test inputs
#   tuning/seed-*      vLLM/SGLang config files, model config.json, shape logs
# Files named crash-* / regress-* are found crashes, kept as regression tests.
# Needs a built build/bin/moec and LLVM 22's llc and ld.lld.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin}
LLVM=/usr/lib/llvm-22/bin
out=test/fuzz/corpus
mkdir -p $out/mlir $out/codeobject $out/tuning
rm -f $out/mlir/seed-* $out/codeobject/seed-* $out/tuning/seed-*

python3 - "$out/mlir" <<'PY'
import hashlib, pathlib, sys
out = pathlib.Path(sys.argv[1])
n = 0
for path in sorted(list(pathlib.Path("examples").glob("*.mlir")) +
                   list(pathlib.Path("test").rglob("*.mlir")) +
                   list(pathlib.Path("benchmarks").rglob("*.mlir"))):
    if "fuzz" in path.parts:
        continue
    for piece in path.read_text().split("// -----"):
        if "moec." not in piece:
            continue
        digest = hashlib.sha1(piece.encode()).hexdigest()[:12]
        (out / f"seed-{path.stem}-{digest}.mlir").write_text(piece)
        n += 1
print(f"{n} mlir seeds")
PY

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for arch in gfx90a gfx942 gfx950; do
  for f in examples/gemm.mlir test/e2e/Inputs/gemm_f16_tn_bias_gelu.mlir; do
    $BIN/moec compile "$f" --arch $arch --emit hsaco -o "$out/codeobject/seed-$(basename "$f" .mlir)-$arch.hsaco" || true
  done
done
for ll in test/Target/Inputs/amdgpu-kernels.ll test/Target/Inputs/amdgpu-spill.ll; do
  $LLVM/llc -mtriple=amdgcn-amd-amdhsa -mcpu=gfx942 -filetype=obj "$ll" -o "$tmp/k.o"
  $LLVM/ld.lld -shared "$tmp/k.o" -o "$out/codeobject/seed-$(basename "$ll" .ll)-gfx942.hsaco"
  cp "$tmp/k.o" "$out/codeobject/seed-$(basename "$ll" .ll)-gfx942.o"
done
ls $out/codeobject | wc -l | sed 's/$/ code-object seeds/'

# Tuning DB: vLLM/SGLang config files, model config.json files, shape-log
# lines (the records the tests log).
i=0
for f in test/tools/moec/Inputs/vllm-db/*.json examples/models/*.json; do
  cp "$f" "$out/tuning/seed-$i.json"
  i=$((i + 1))
done
grep -ho "'{\"op\": [^']*'" test/tools/moec/*.test | tr -d "'" > "$out/tuning/seed-shapes.jsonl" || true
ls $out/tuning | wc -l | sed 's/$/ tuning seeds/'
