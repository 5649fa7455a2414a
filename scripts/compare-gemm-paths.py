#!/usr/bin/env python3
"""Compare what two moec binaries make of the same moec.gemm kernels.

Issue 8 moved moec.gemm from the one-pass builder (moec-lower-to-kernels) to
the tile pipeline (moec-lower-gemm-to-tiles, the decision passes,
moec-tile-to-lanes). The switch was made only where the output is identical:
this script compiles a set of GEMMs (every activation, transposes, f16 / bf16
/ fp8 with per-tensor and per-channel scales, bias, f32 output, static and
dynamic sizes) over configs on every target (gfx942, gfx90a, gfx950, sm_90,
host: one knob at a time and some combinations) with both binaries and
compares the outputs byte for byte: ISA (AMD), PTX (NVIDIA), LLVM IR, and
the whole lowered module with the host code's launches (`--emit kernels`).

  scripts/compare-gemm-paths.py --old /tmp/base/moec --new build/bin/moec

Exit status 0 when every output is identical; the differing cases are
listed (with `--keep DIR`, both outputs are kept there).
"""
import argparse
import itertools
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

GEMMS = {
    # name: (function text, types that need fp8 renaming)
    "bf16_nt_static_k": """
func.func @g(%a: memref<?x256xbf16>, %b: memref<192x256xbf16>, %c: memref<?x192xbf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<>}
    : memref<?x256xbf16>, memref<192x256xbf16> -> memref<?x192xbf16>
  return
}""",
    "bf16_nn_dynamic": """
func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}""",
    "bf16_tt_bias_silu": """
func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>, %bias: memref<?xbf16>) {
  moec.gemm %a, %b -> %c bias(%bias : memref<?xbf16>) {transpose_a, transpose_b, activation = #moec.activation<silu>, config = #moec.config<>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}""",
    "f16_tn_bias_gelu_f32": """
func.func @g(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf32>, %bias: memref<?xf16>) {
  moec.gemm %a, %b -> %c bias(%bias : memref<?xf16>) {transpose_a, activation = #moec.activation<gelu>, config = #moec.config<>}
    : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf32>
  return
}""",
    "bf16_relu_static": """
func.func @g(%a: memref<100x96xbf16>, %b: memref<96x80xbf16>, %c: memref<100x80xbf16>) {
  moec.gemm %a, %b -> %c {activation = #moec.activation<relu>, config = #moec.config<>}
    : memref<100x96xbf16>, memref<96x80xbf16> -> memref<100x80xbf16>
  return
}""",
    "bf16_gelu_tanh_bias_f32": """
func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>, %bias: memref<?xf32>) {
  moec.gemm %a, %b -> %c bias(%bias : memref<?xf32>) {transpose_b, activation = #moec.activation<gelu_tanh>, config = #moec.config<>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}""",
    "fp8_per_tensor": """
func.func @g(%a: memref<?x?xFP8A>, %b: memref<?x?xFP8B>, %c: memref<?x?xbf16>, %sa: memref<f32>, %sb: memref<1xf32>) {
  moec.gemm %a, %b -> %c scale_a(%sa : memref<f32>) scale_b(%sb : memref<1xf32>) {transpose_b, config = #moec.config<>}
    : memref<?x?xFP8A>, memref<?x?xFP8B> -> memref<?x?xbf16>
  return
}""",
    "fp8_per_channel_bias_silu": """
func.func @g(%a: memref<?x?xFP8A>, %b: memref<?x?xFP8A>, %c: memref<?x?xbf16>, %bias: memref<?xbf16>, %sa: memref<?xf32>, %sb: memref<?xf32>) {
  moec.gemm %a, %b -> %c bias(%bias : memref<?xbf16>) scale_a(%sa : memref<?xf32>) scale_b(%sb : memref<?xf32>) {transpose_b, activation = #moec.activation<silu>, config = #moec.config<>}
    : memref<?x?xFP8A>, memref<?x?xFP8A> -> memref<?x?xbf16>
  return
}""",
}

FP8 = {
    "gfx942": ("f8E4M3FNUZ", "f8E5M2FNUZ"),
    "gfx950": ("f8E4M3FN", "f8E5M2"),
    "sm_90": ("f8E4M3FN", "f8E5M2"),
    "host": ("f8E4M3FN", "f8E5M2"),
}

BASE = ["--block-m", "64", "--block-n", "64", "--block-k", "64"]

# One knob at a time around BASE, per target family, then combinations.
AMD_KNOBS = [
    [], ["--num-stages", "1"], ["--num-stages", "3"], ["--num-stages", "4"],
    ["--epilogue", "lds"], ["--kpack", "2"], ["--matrix-instr-nonkdim", "32"],
    ["--assume-aligned"], ["--num-warps", "8", "--block-m", "128"],
    ["--waves-per-eu", "2"], ["--group-m", "4"],
    ["--block-m", "128", "--block-n", "128", "--num-stages", "3",
     "--epilogue", "lds", "--kpack", "2"],
    ["--block-m", "32", "--block-n", "32", "--block-k", "32",
     "--matrix-instr-nonkdim", "32", "--num-warps", "1", "--epilogue", "lds",
     "--assume-aligned"],
    ["--num-stages", "4", "--matrix-instr-nonkdim", "32", "--epilogue", "lds",
     "--assume-aligned"],
]
NV_KNOBS = [
    [], ["--num-stages", "1"], ["--num-stages", "3"], ["--num-stages", "4"],
    ["--async-copy"], ["--async-copy", "--num-stages", "3"],
    ["--async-copy", "--num-stages", "4", "--assume-aligned"],
    ["--epilogue", "lds"], ["--assume-aligned"],
    ["--num-warps", "8", "--block-m", "128", "--block-n", "128"],
    ["--block-m", "128", "--block-n", "256", "--num-warps", "8",
     "--num-stages", "4", "--async-copy", "--epilogue", "lds"],
    ["--block-m", "256", "--block-n", "256", "--num-warps", "8",
     "--num-stages", "4"],
]
HOST_KNOBS = [
    [], ["--num-stages", "1"], ["--num-stages", "3"], ["--num-stages", "4"],
    ["--epilogue", "lds"], ["--kpack", "2"], ["--assume-aligned"],
    ["--num-warps", "2"], ["--block-m", "32", "--block-n", "32",
                           "--block-k", "32", "--num-warps", "1"],
]
TARGETS = {
    "gfx942": (AMD_KNOBS, ["asm", "llvm", "kernels"]),
    "gfx90a": (AMD_KNOBS, ["asm"]),
    "gfx950": ([k for k in AMD_KNOBS if "--kpack" not in k], ["asm", "llvm"]),
    "sm_90": (NV_KNOBS, ["ptx", "llvm", "kernels"]),
    "host": (HOST_KNOBS, ["llvm", "kernels"]),
}


def cases(quick):
    for target, (knobs, emits) in TARGETS.items():
        for name, text in GEMMS.items():
            if "FP8" in text and target not in FP8:
                continue  # gfx90a has no fp8 matrix instructions
            # Every knob set for the first input of the target; the base
            # config and a few knob sets for the others.
            sets = knobs if name == "bf16_nn_dynamic" else knobs[:1] + knobs[4:7]
            if quick:
                sets = sets[:2]
            for k in sets:
                for emit in emits:
                    yield target, name, k, emit


def render(name, target):
    text = GEMMS[name]
    if "FP8" in text:
        a, b = FP8[target]
        text = text.replace("FP8A", a).replace("FP8B", b)
    return text


def compile_one(binary, path, target, knobs, emit):
    cmd = [binary, "compile", path, "--arch", target, "--emit", emit] + BASE + knobs
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        return "ERROR " + r.stderr.strip().splitlines()[0] if r.stderr else "ERROR"
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--keep", help="directory for the outputs of differing cases")
    ap.add_argument("--quick", action="store_true", help="two knob sets per input")
    ap.add_argument("-j", type=int, default=2)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="moec-cmp-")
    files = {}
    for target in TARGETS:
        for name in GEMMS:
            if "FP8" in GEMMS[name] and target not in FP8:
                continue
            p = os.path.join(tmp, f"{name}.{target}.mlir")
            with open(p, "w") as f:
                f.write(render(name, target))
            files[(name, target)] = p

    todo = list(cases(args.quick))

    def run(c):
        target, name, knobs, emit = c
        p = files[(name, target)]
        return c, compile_one(args.old, p, target, knobs, emit), \
            compile_one(args.new, p, target, knobs, emit)

    same = differ = errors = 0
    bad = []
    with ThreadPoolExecutor(args.j) as ex:
        for (target, name, knobs, emit), old, new in ex.map(run, todo):
            tag = f"{target} {name} {' '.join(knobs) or '(base)'} --emit {emit}"
            if old.startswith("ERROR") and new.startswith("ERROR"):
                errors += 1
                if old != new:
                    bad.append(f"different errors: {tag}\n  old: {old}\n  new: {new}")
                continue
            if old == new:
                same += 1
                continue
            differ += 1
            bad.append(f"DIFFERENT: {tag}")
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                stem = os.path.join(args.keep, f"{differ:03d}")
                with open(stem + ".old", "w") as f:
                    f.write(old)
                with open(stem + ".new", "w") as f:
                    f.write(new)
                with open(stem + ".case", "w") as f:
                    f.write(tag + "\n")
    for line in bad:
        print(line)
    print(f"{len(todo)} outputs: {same} identical, {differ} different, "
          f"{errors} refused by both")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
