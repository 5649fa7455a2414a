#!/usr/bin/env python3
"""End-to-end numerical sweep of moec.gemm on the AMD targets, emulated.

Runs `moec run --arch {gfx942,gfx90a,gfx950} --emulate` over a matrix of
cases: the lane-level kernel (the IR that moec-convert-kernels-to-llvm turns
into LLVM IR) is executed by lib/Emulator on the CPU, 64-lane waves with the
MFMA layouts and buffer range checks of the hardware, and compared with moec
run's float64 reference over a NaN-poisoned output. Every tuning parameter
value (block sizes, group_m, num_warps, num_stages 1/2/3+, waves_per_eu,
matrix_instr_nonkdim 16/32, kpack 1/2, epilogue direct/lds), f16/bf16 and
fp8 (fnuz on gfx942, OCP on gfx950) inputs, every layout, bias and
activation, unaligned and --assume-aligned kernels, edge shapes.

    amd_sweep.py --moec build/bin/moec --workdir /tmp/amd [-j 2]
                 [--arch gfx942,gfx90a,gfx950] [--full] [--filter S] [--list]
                 [--min gfx942=100,gfx90a=20,gfx950=20]

The default set is what CI runs (small shapes); --full is the longer sweep:
the whole cross product of the GPU knobs, more shapes and tiles. A case the
verifier rejects counts as a failure (the generator must only make valid
configs), and --min fails the run when fewer cases than asked pass per
target, so the suite cannot shrink silently.
"""

import argparse
import concurrent.futures
import itertools
import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gemm_sweep import ACTIVATIONS, RESULT_RE, Variant, S  # noqa: E402

LAYOUTS = [(False, True), (False, False), (True, False), (True, True)]
FP8 = {"gfx942": ["f8E4M3FNUZ", "f8E5M2FNUZ"], "gfx950": ["f8E4M3FN", "f8E5M2"],
       "gfx90a": []}


class Case:
    def __init__(self, arch, group, variant, sizes, config=None, aligned=False):
        self.arch, self.group, self.variant = arch, group, variant
        self.sizes, self.config = sizes, dict(config or {})
        self.aligned = aligned

    def name(self):
        cfg = "".join(" --{} {}".format(k, v) for k, v in self.config.items())
        return "{} {}: {} M={M} N={N} K={K}{}{}".format(
            self.arch, self.group, self.variant.name(), cfg,
            " --assume-aligned" if self.aligned else "", **self.sizes)


def cases_for(arch, full):
    out = []
    base = Variant("bf16", "bf16", tb=True)
    kpacks = [1] if arch == "gfx950" else [1, 2]
    shapes = [S(67, 45, 83), S(97, 70, 50), S(40, 100, 129)]

    # 1. Each parameter over all its values, the others at their defaults
    #    (64x64x32, 4 waves, 2 stages, nonkdim 16, kpack 1, direct).
    params = {
        "block-m": [16, 32, 64, 128], "block-n": [16, 32, 64, 128],
        "block-k": [16, 32, 64, 128], "group-m": [1, 4, 8],
        "num-warps": [1, 2, 4, 8], "num-stages": [1, 2, 3, 4],
        "waves-per-eu": [0, 1, 2, 4], "matrix-instr-nonkdim": [16, 32],
        "kpack": kpacks, "epilogue": ["direct", "lds"],
    }
    if arch != "gfx942" and not full:
        params = {k: v for k, v in params.items()
                  if k in ("matrix-instr-nonkdim", "kpack", "num-stages",
                           "epilogue")}
    n = 0
    for param, values in params.items():
        for v in values:
            out.append(Case(arch, "param", base, shapes[n % 3], {param: v}))
            n += 1

    # 2. The GPU knobs crossed: MFMA family x kpack x waves x stages x
    #    epilogue, rotating layouts, dtypes and shapes.
    dtypes = [("bf16", "bf16"), ("f16", "f16"), ("bf16", "f32"),
              ("f16", "bf16"), ("f16", "f32"), ("bf16", "f16")]
    warps = [1, 2, 4] if (full or arch == "gfx942") else [1, 4]
    stages = [1, 2, 3] if (full or arch != "gfx90a") else [1, 3]
    cross = list(itertools.product([16, 32], kpacks, warps, stages,
                                   ["direct", "lds"]))
    for n, (nk, kp, nw, st, ep) in enumerate(cross):
        ta, tb = LAYOUTS[n % 4]
        a, c = dtypes[n % 6]
        cfg = {"block-m": 64, "block-n": 64, "block-k": [32, 64][n % 2],
               "num-warps": nw, "num-stages": st,
               "matrix-instr-nonkdim": nk, "kpack": kp, "epilogue": ep,
               "group-m": [1, 4][n % 2]}
        out.append(Case(arch, "knobs", Variant(a, c, ta, tb), shapes[n % 3], cfg))

    # 3. fp8 (fnuz on gfx942, OCP on gfx950): both formats, every layout,
    #    both MFMA families; block_k 128 reaches gfx950's f8f6f4 MFMAs.
    for n, (t, (ta, tb), nk) in enumerate(itertools.product(
            FP8[arch], LAYOUTS, [16, 32])):
        if arch == "gfx950" and not full and n % 2:
            continue
        cfg = {"block-m": 32, "block-n": 64,
               "block-k": 128 if (arch == "gfx950" and n % 4 < 2) else 64,
               "matrix-instr-nonkdim": nk, "num-warps": [1, 2][n % 2],
               "kpack": kpacks[n % len(kpacks)],
               "epilogue": ["direct", "lds"][n // 2 % 2]}
        out.append(Case(arch, "fp8", Variant(t, ["bf16", "f32", "f16"][n % 3],
                                             ta, tb), S(50, 70, 200), cfg))

    # 4. Epilogue: each bias type with each activation (CI: a rotation).
    combos = list(itertools.product(["f16", "bf16", "f32"], ACTIVATIONS))
    if not full:
        combos = combos[::3] if arch == "gfx942" else combos[::5]
    for n, (bias, act) in enumerate(combos):
        ta, tb = LAYOUTS[n % 4]
        out.append(Case(arch, "epilogue",
                        Variant(["bf16", "f16"][n % 2], ["bf16", "f16", "f32"][n % 3],
                                ta, tb, bias, act),
                        S(70, 90, 40), {"block-m": 32, "block-n": 32,
                                        "epilogue": ["direct", "lds"][n % 2]}))

    # 5. The aligned specialization (16-byte leading dimensions).
    for n, (ta, tb) in enumerate(LAYOUTS[: 4 if arch == "gfx942" else 2]):
        out.append(Case(arch, "aligned", Variant("bf16", "bf16", ta, tb),
                        S(64, 48, 96), {"block-m": 32, "block-n": 32,
                                        "num-warps": [4, 1][n % 2],
                                        "matrix-instr-nonkdim": [16, 32][n % 2],
                                        "epilogue": ["lds", "direct"][n % 2]},
                        aligned=True))

    # 6. Edge shapes: one element, one row/column, K = 1 and 0, empty.
    edges = [S(1, 1, 1), S(1, 77, 50), S(77, 1, 50), S(40, 30, 1),
             S(33, 20, 0), S(0, 20, 30), S(128, 128, 64), S(129, 65, 33)]
    if arch != "gfx942" and not full:
        edges = edges[::2]
    for n, shape in enumerate(edges):
        ta, tb = LAYOUTS[n % 4]
        out.append(Case(arch, "shape", Variant("bf16", "f32", ta, tb), shape,
                        {"block-m": [32, 64][n % 2], "block-n": [32, 64][n % 2],
                         "num-warps": 2, "matrix-instr-nonkdim": [16, 32][n % 2]}))

    if full:
        # 7. Tiles x waves x families on a larger shape.
        for n, (bm, bn, bk, nw, nk) in enumerate(itertools.product(
                [16, 32, 64, 128], [16, 32, 64, 128], [32, 64], [1, 2, 4, 8],
                [16, 32])):
            tm, tn = bm // nk, bn // nk
            if tm == 0 or tn == 0 or not any(
                    tm % wm == 0 and tn % (nw // wm) == 0
                    for wm in [1, 2, 4, 8] if wm <= nw):
                continue
            ta, tb = LAYOUTS[n % 4]
            out.append(Case(arch, "tiles", Variant("f16", "f32", ta, tb),
                            S(200, 150, 130),
                            {"block-m": bm, "block-n": bn, "block-k": bk,
                             "num-warps": nw, "matrix-instr-nonkdim": nk}))
    return out


def run_case(moec, path, case, seed, timeout):
    cmd = [moec, "run", path, "--arch", case.arch, "--emulate", "--sizes",
           ",".join("{}={}".format(k, v) for k, v in case.sizes.items())]
    for k, v in case.config.items():
        cmd += ["--" + k, str(v)]
    if case.aligned:
        cmd.append("--assume-aligned")
    if seed is not None:
        cmd += ["--seed", str(seed)]
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out, rc = (p.stdout + p.stderr).strip(), p.returncode
    except subprocess.TimeoutExpired:
        out, rc = "timed out after {} s".format(timeout), -1
    ms = (time.monotonic() - start) * 1e3
    m = RESULT_RE.search(out)
    ok = rc == 0 and m is not None and m.group(5) == "PASS"
    if m and seed is None:
        cmd += ["--seed", m.group(1)]
    return ok, out, ms, cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moec", default="moec")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--arch", default="gfx942,gfx90a,gfx950")
    ap.add_argument("--full", action="store_true",
                    help="the longer sweep (not run in CI)")
    ap.add_argument("--filter", default="")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--min", default="",
                    help="ARCH=N,...: fail unless at least N cases of ARCH pass")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    cases = [c for arch in args.arch.split(",") for c in cases_for(arch, args.full)
             if args.filter in c.name()]
    if args.list:
        for c in cases:
            print(c.name())
        for arch in args.arch.split(","):
            print("{}: {} cases".format(arch, sum(c.arch == arch for c in cases)))
        return 0
    if not cases:
        print("error: no case matches --filter {!r}".format(args.filter))
        return 2
    os.makedirs(args.workdir, exist_ok=True)
    paths = {}
    for c in cases:
        name = c.variant.name()
        if name not in paths:
            paths[name] = os.path.join(args.workdir, "gemm_{}.mlir".format(name))
            with open(paths[name], "w") as f:
                f.write(c.variant.mlir())

    start = time.monotonic()
    failures, passed = [], {}
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, args.moec, paths[c.variant.name()], c,
                               args.seed, args.timeout) for c in cases]
        for i, (c, fut) in enumerate(zip(cases, futures)):
            ok, out, ms, cmd = fut.result()
            m = RESULT_RE.search(out)
            err = ("max_rel_err={} tolerance {}".format(m.group(2), m.group(3))
                   if m else "no result")
            print("[{:3d}/{}] {} {} ({}, {:.0f} ms)".format(
                i + 1, len(cases), "PASS" if ok else "FAIL", c.name(), err, ms),
                flush=True)
            if not ok or args.verbose:
                print("    " + out.replace("\n", "\n    "))
            if ok:
                passed[c.arch] = passed.get(c.arch, 0) + 1
            else:
                print("    reproduce: " + " ".join(map(shlex.quote, cmd)))
                failures.append(c)
    elapsed = time.monotonic() - start
    print("{} cases, {} passed, {} failed in {:.1f} s; verified per target: {}"
          .format(len(cases), len(cases) - len(failures), len(failures), elapsed,
                  ", ".join("{} {}".format(a, n) for a, n in sorted(passed.items()))))
    status = 0
    if failures:
        print("FAILED CASES:")
        for c in failures:
            print("  " + c.name())
        status = 1
    for item in filter(None, args.min.split(",")):
        arch, want = item.split("=")
        if passed.get(arch, 0) < int(want):
            print("error: {} cases of {} verified, fewer than the {} asked"
                  .format(passed.get(arch, 0), arch, want))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
