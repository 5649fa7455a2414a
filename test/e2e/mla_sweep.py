#!/usr/bin/env python3
"""End-to-end numerical sweep of moec.sparse_attention (sparse MLA decode).

Writes one small .mlir function per case and runs `moec run` on it: the
host target (the same skeleton as the GPUs, the scalar core) and, with
--emulate, gfx942's lane-level kernel on the CPU emulator (64-lane waves,
MFMA layouts, buffer range checks). moec run compares `out` and `lse` with
a float64 dense-attention reference over the gathered rows, over
NaN-poisoned outputs, and checks that all-masked rows give zeros and
lse = -inf.

    mla_sweep.py --moec build/bin/moec --workdir /tmp/mla [-j 2]
                 [--filter S] [--list] [--min host=40,gfx942=8]

The matrix: index patterns random / duplicates / invalid (all -1 rows) /
window (short windows through a page table), topk a multiple of block_kv
and not, page sizes 1 and 64, h_q 16 and 128, batch 1 and 3, small
d_qk/d_v (64/32) for speed plus 576/512 cases, bf16 and f16 inputs, bf16
and f32 outputs, with and without lse, and the tunables (block_h,
block_kv, num_warps, num_stages, matrix_instr_nonkdim, kpack,
waves_per_eu) on the emulated gfx942 kernel, and split-KV (a workspace,
1 to 4 splits, the merge kernel) on both. --min fails the run when
fewer cases than asked pass per target, so the suite cannot shrink
silently.
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

RESULT_RE = re.compile(r"-> (PASS|FAIL)")

TEMPLATE = """module {{
  func.func @mla(%q: memref<?x{h}x{dqk}x{qt}>, %kv: memref<?x{page}x{kvrow}x{kvt}>,
                 %idx: memref<?x{topk}xi32>, %out: memref<?x{h}x{dv}x{ot}>{lse_arg}{ws_arg}) {{
    moec.sparse_attention %q, %kv, %idx -> %out{lse_use}{ws_use} {{
      scale = {scale} : f32,{kv_format} config = #moec.config<{config}>
    }} : memref<?x{h}x{dqk}x{qt}>, memref<?x{page}x{kvrow}x{kvt}>, memref<?x{topk}xi32>
        -> memref<?x{h}x{dv}x{ot}>
    return
  }}
}}
"""


class Case:
    def __init__(self, arch, pattern, tokens, h, dqk, dv, topk, page,
                 qt="bf16", ot="bf16", lse=True, config=None, splits=0,
                 kv=None):
        self.arch, self.pattern, self.tokens = arch, pattern, tokens
        # kv "fp8": DeepSeek-V3.2's fp8_ds_mla cache (656-byte rows of e4m3
        # codes, 4 f32 scales, bf16 rope; d 576/512); None: q's type.
        self.kv = kv
        self.h, self.dqk, self.dv, self.topk, self.page = h, dqk, dv, topk, page
        self.qt, self.ot, self.lse = qt, ot, lse
        self.config = dict(config or {})
        # splits > 0: a workspace, kv_splits = 4, the launch uses `splits`.
        self.splits = splits
        if splits:
            self.config["kv_splits"] = 4

    def name(self):
        cfg = "".join(" {}={}".format(k, v) for k, v in self.config.items())
        return "{} {} tokens={} h_q={} d={}/{} topk={} page={} {}->{}{}{}".format(
            self.arch, self.pattern, self.tokens, self.h, self.dqk, self.dv,
            self.topk, self.page,
            self.qt + ("/fp8_ds_mla" if self.kv == "fp8" else ""), self.ot,
            "" if self.lse else " no-lse",
            cfg) + (" splits={}".format(self.splits) if self.splits else "")

    def mlir(self):
        cfg = ", ".join("{} = {}".format(k, v) for k, v in self.config.items())
        fp8 = self.kv == "fp8"
        return TEMPLATE.format(
            kvrow=656 if fp8 else self.dqk, kvt="i8" if fp8 else self.qt,
            kv_format=" kv_format = #moec.kv_format<fp8_ds_mla>," if fp8 else "",
            h=self.h, dqk=self.dqk, dv=self.dv, qt=self.qt, ot=self.ot,
            page=self.page, topk=self.topk, scale=1.0 / (self.dqk ** 0.5) * 2,
            config=cfg,
            lse_arg=", %lse: memref<?x{}xf32>".format(self.h) if self.lse else "",
            lse_use=" lse(%lse : memref<?x{}xf32>)".format(self.h)
            if self.lse else "",
            ws_arg=", %ws: memref<?x?x{}xf32>".format(self.dv + 1)
            if self.splits else "",
            ws_use=" workspace(%ws : memref<?x?x{}xf32>)".format(self.dv + 1)
            if self.splits else "")


def cases():
    out = []
    small = dict(dqk=64, dv=32)
    # Host: every pattern x topk (multiple of block_kv or not) x page x h_q.
    for pattern in ["random", "duplicates", "invalid", "window"]:
        for topk in [64, 100]:
            for page in [1, 64]:
                for h in [16, 128]:
                    out.append(Case("host", pattern, 1 if h == 128 else 3, h,
                                    topk=topk, page=page, **small))
    # Host: dtypes, lse, configs, a batch where several tokens share rows.
    out += [
        Case("host", "random", 3, 16, 64, 32, 100, 16, qt="f16", ot="f16"),
        Case("host", "random", 3, 16, 64, 32, 100, 16, ot="f32", lse=False),
        Case("host", "window", 5, 16, 64, 64, 77, 64,
             config={"block_kv": 16}),
        Case("host", "random", 2, 16, 64, 32, 200, 64,
             config={"block_kv": 64, "block_h": 32}),
        # The DeepSeek shape: 576 = 512 latent + 64 rope, V = first 512.
        Case("host", "random", 1, 16, 576, 512, 300, 64),
        Case("host", "invalid", 2, 16, 576, 512, 96, 1),
    ]
    # The host runs the GPU lane program: its KV pipeline of every depth
    # (one buffer without prefetch, the register prefetch, a ring) and the
    # wave counts, as on gfx942.
    for cfg in [{"num_stages": 1}, {"num_stages": 3}, {"num_stages": 4},
                {"num_warps": 1}, {"num_warps": 8, "block_kv": 64}]:
        out.append(Case("host", "random", 3, 16, 64, 32, 200, 16, config=cfg))
    # Split-KV: a workspace and 1..4 splits (1: no merge), uneven block
    # ranges (topk 200 = 7 blocks), empty splits (short windows), masked rows.
    for splits in [1, 2, 3, 4]:
        out.append(Case("host", "random", 3, 16, 64, 32, 200, 16, splits=splits))
    out += [
        Case("host", "window", 4, 16, 64, 32, 200, 64, splits=4),
        Case("host", "invalid", 2, 128, 64, 32, 100, 1, splits=3, lse=False),
        Case("host", "random", 1, 16, 576, 512, 256, 64, splits=4),
    ]
    # gfx942 on the emulator: the tunables, each away from its default.
    emu = dict(pattern="random", tokens=2, h=16, dqk=64, dv=32, topk=100,
               page=16)
    for cfg in [{}, {"num_stages": 1}, {"num_stages": 3}, {"num_warps": 1},
                {"num_warps": 8}, {"block_kv": 64, "num_warps": 2},
                {"block_kv": 16}, {"block_h": 32, "matrix_instr_nonkdim": 32},
                {"kpack": 2}, {"waves_per_eu": 2}]:
        out.append(Case("gfx942", config=cfg, **emu))
    for pattern in ["duplicates", "invalid", "window"]:
        out.append(Case("gfx942", pattern, 2, 16, 64, 32, 100, 1))
    out.append(Case("gfx942", "window", 1, 128, 576, 512, 90, 64))
    out.append(Case("gfx942", "random", 2, 16, 64, 32, 200, 16, splits=3))
    out.append(Case("gfx942", "invalid", 2, 16, 64, 32, 200, 16, splits=2,
                    config={"num_stages": 3}))
    out.append(Case("gfx90a", "random", 2, 16, 64, 32, 70, 16))
    out += fp8_cases()
    out.append(Case("gfx950", "invalid", 2, 32, 64, 32, 70, 64,
                    config={"block_h": 32}))
    return out


def fp8_cases():
    """The fp8_ds_mla KV cache (d_qk 576 = 512 e4m3 latent + 64 bf16 rope,
    d_v 512): the same matrix as bf16 at the DeepSeek shape."""
    out = []
    fp8 = dict(dqk=576, dv=512, kv="fp8")
    # Host: every pattern x page x h_q at topk 100 (not a multiple of
    # block_kv 32), and topk 64 (a multiple).
    for pattern in ["random", "duplicates", "invalid", "window"]:
        for page in [1, 64]:
            for h in [16, 128]:
                out.append(Case("host", pattern, 1 if h == 128 else 2, h,
                                topk=100, page=page, **fp8))
    out += [
        Case("host", "random", 2, 16, topk=64, page=64, **fp8),
        Case("host", "random", 2, 16, topk=100, page=16, ot="f32", lse=False,
             **fp8),
        # The register pipeline of every depth and other tiles.
        Case("host", "random", 2, 16, topk=200, page=64,
             config={"num_stages": 1}, **fp8),
        Case("host", "duplicates", 2, 16, topk=200, page=64,
             config={"num_stages": 3}, **fp8),
        Case("host", "random", 1, 32, topk=150, page=64,
             config={"block_h": 32, "block_kv": 64}, **fp8),
        # async_copy is ignored with fp8 (the gather converts in registers).
        Case("host", "random", 2, 16, topk=100, page=64,
             config={"async_copy": "true", "num_stages": 3}, **fp8),
        # Split-KV: batch 1 split 4 ways, uneven and empty splits.
        Case("host", "random", 1, 16, topk=300, page=64, splits=4, **fp8),
        Case("host", "window", 3, 128, topk=200, page=64, splits=3, **fp8),
        Case("host", "invalid", 2, 16, topk=100, page=1, splits=2, **fp8),
    ]
    # AMD on the emulator: gfx942 (fnuz hardware: the OCP codes are decoded
    # in software), gfx90a, gfx950.
    out += [
        Case("gfx942", "random", 2, 16, topk=100, page=64, **fp8),
        Case("gfx942", "duplicates", 1, 16, topk=100, page=1, **fp8),
        Case("gfx942", "invalid", 2, 16, topk=70, page=16, **fp8),
        Case("gfx942", "window", 1, 128, topk=90, page=64, **fp8),
        Case("gfx942", "random", 2, 16, topk=100, page=64,
             config={"num_stages": 1, "kpack": 2}, **fp8),
        Case("gfx942", "random", 1, 16, topk=200, page=64, splits=3, **fp8),
        Case("gfx90a", "random", 2, 16, topk=100, page=64, **fp8),
        Case("gfx950", "window", 2, 16, topk=100, page=64, **fp8),
    ]
    return out


def run_case(args, i, case):
    path = os.path.join(args.workdir, "case{}.mlir".format(i))
    with open(path, "w") as f:
        f.write(case.mlir())
    cmd = [args.moec, "run", path, "--arch", case.arch, "--seed", str(100 + i),
           "--index-pattern", case.pattern,
           "--sizes", "tokens={}".format(case.tokens) +
           (",splits={}".format(case.splits) if case.splits else "")]
    if case.arch != "host":
        cmd.append("--emulate")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    m = RESULT_RE.search(p.stdout)
    ok = p.returncode == 0 and m is not None and m.group(1) == "PASS"
    return case, ok, p.stdout.strip(), " ".join(cmd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--moec", default="moec")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--filter", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--min", default="")
    args = ap.parse_args()
    todo = [c for c in cases() if args.filter in c.name()]
    if args.list:
        for c in todo:
            print(c.name())
        return 0
    os.makedirs(args.workdir, exist_ok=True)
    passed, failed = {}, []
    with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
        for case, ok, output, cmd in pool.map(
                lambda ic: run_case(args, *ic), enumerate(todo)):
            if ok:
                passed[case.arch] = passed.get(case.arch, 0) + 1
            else:
                failed.append(case)
                print("FAIL {}\n  {}\n  {}".format(case.name(), cmd,
                                                   output.replace("\n", "\n  ")))
    for arch in sorted(passed):
        print("{}: {} passed".format(arch, passed[arch]))
    short = []
    for want in filter(None, args.min.split(",")):
        arch, n = want.split("=")
        if passed.get(arch, 0) < int(n):
            short.append("{} passed {} < {}".format(arch, passed.get(arch, 0), n))
    if short:
        print("too few cases passed: " + "; ".join(short))
    print("{} cases, {} failed".format(len(todo), len(failed)))
    return 1 if failed or short else 0


if __name__ == "__main__":
    sys.exit(main())
