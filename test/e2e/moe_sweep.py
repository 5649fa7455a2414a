#!/usr/bin/env python3
"""End-to-end sweep of the fused-MoE ops on the host target.

Runs `moec run --arch host` over a matrix of MoE functions and routings:
moe_align alone (every routing: uniform, skewed, one expert taking every
token, empty experts, -1 ids mixed in; expert maps with skipped experts;
M = 1, M = 0, M not a multiple of block_m, inputs large enough for several
workgroups; top_k 1, 2, 4, 8; E from 1 to 256; block_m 16..256), and, with
--kinds gemm,chain, moe_align followed by moe_gemm (gathered rows, per-block
experts, topk_weights, reduce) and the two-GEMM chain of a layer (w13 output
viewed per copy as the down GEMM's A, a_per_copy, topk_weights, reduce),
and with --kinds layer the whole layer (act_and_mul between the GEMMs);
gemm and chain include MXFP4 weights (packed e2m1 + e8m0 scales, bf16 A).
--kinds quant: fp8_w8a8 moe_gemm (per-tensor, per-token/per-channel and
block-wise [8, 32] scales; the gated activation; the target's e4m3: OCP on
the host and sm_90, fnuz on gfx942) and int8_w8a16 (per-channel), with
scales generated in [0.5, 2) by moec run.
With --arch gfx942 --emulate the AMD lane-level kernels run on the CPU
emulator (whole 64-lane waves, LDS with race checks, several workgroups).
moec run checks moe_align exactly against its reference (counts, padding,
order within each expert, expert ids, the padded length) and every moe_gemm
against float64; outputs are poisoned first. A failing case is printed with
moec run's output and a command line that reproduces it with its seed.

    moe_sweep.py --moec build/bin/moec --workdir /tmp/moe [-j 2]
                 [--arch gfx942 --emulate]
                 [--kinds align,gemm,chain,layer] [--filter SUBSTR] [--list]

Exit status: 0 when every case passes, 1 when any fails, 2 on a usage error.
"""

import argparse
import concurrent.futures
import itertools
import os
import re
import shlex
import subprocess
import sys
import time

ROUTINGS = ["uniform", "skewed", "one-expert", "empty-experts", "invalid"]


class Variant:
    """One MoE function: its kind, experts, top_k, dtypes and sizes."""

    def __init__(self, kind, experts, top_k, emap=False, local=None,
                 static_tokens=None, n=48, k=40, inter=24, dtype="bf16",
                 out="bf16", weights=False, reduce=False, act=None,
                 quant=None, fp8="f8E4M3FN"):
        self.kind, self.experts, self.top_k = kind, experts, top_k
        self.emap, self.static_tokens = emap, static_tokens
        self.local = local if local is not None else experts
        self.n, self.k, self.inter = n, k, inter
        self.dtype, self.out = dtype, out
        self.weights, self.reduce = weights, reduce
        # chain: the gated activation fused into the w13 moe_gemm
        # (activation = silu/gelu: its C is [T, top_k, I], no act_and_mul).
        self.act = act
        # quant: "tensor", "token", "block" (fp8_w8a8 in the `fp8` type),
        # "int8" (int8_w8a16).
        self.quant, self.fp8 = quant, fp8
        # dtype "mxfp4": bf16 activations, W [E, N, K/2] packed e2m1 bytes
        # with b_scale [E, N, K/32] f8E8M0FNU (gpt-oss); K a multiple of 32.
        self.mx = dtype == "mxfp4"
        self.adt = "bf16" if self.mx else dtype

    def weight(self, name, n, k):
        """W's type, the extra function argument and the op's suffix and
        attribute for a weight of N = n, K = k."""
        if not self.mx:
            return ("memref<{}x{}x{}x{}>".format(self.local, n, k, self.dtype),
                    [], "", "")
        st = "memref<{}x{}x{}xf8E8M0FNU>".format(self.local, n, k // 32)
        return ("memref<{}x{}x{}xi8>".format(self.local, n, k // 2),
                ["%{}_scale: {}".format(name, st)],
                " b_scale(%{}_scale : {})".format(name, st), "mxfp4, ")

    def name(self):
        s = "{}_e{}_k{}".format(self.kind, self.experts, self.top_k)
        if self.emap:
            # moec run maps half of the experts away without a GEMM, and
            # keeps W's experts with one.
            s += "_map" if self.kind == "align" else "_map{}".format(self.local)
        if self.static_tokens is not None:
            s += "_static{}".format(self.static_tokens)
        if self.kind != "align":
            s += "_{}x{}_{}_{}".format(self.n, self.k, self.dtype, self.out)
            if self.weights:
                s += "_tw"
            if self.reduce:
                s += "_reduce"
            if self.act:
                s += "_{}_and_mul_i{}".format(self.act, self.inter)
            if self.quant:
                s += "_" + self.quant + ("" if self.quant == "int8" else
                                         "_" + self.fp8)
        return s

    def mlir(self):
        t = "?" if self.static_tokens is None else str(self.static_tokens)
        ids = "memref<{}x{}xi32>".format(t, self.top_k)
        args = ["%ids: " + ids, "%sorted: memref<?xi32>",
                "%experts: memref<?xi32>", "%npad: memref<1xi32>"]
        body = []
        emap = ""
        if self.emap:
            args.append("%map: memref<{}xi32>".format(self.experts))
            emap = " expert_map(%map : memref<{}xi32>)".format(self.experts)
        body.append(
            "    moec.moe_align %ids -> %sorted, %experts, %npad{} "
            "{{num_experts = {} : i64, config = #moec.config<>}} : {} -> "
            "memref<?xi32>, memref<?xi32>, memref<1xi32>".format(
                emap, self.experts, ids))
        routing = ("routing(%sorted, %experts, %npad : memref<?xi32>, "
                   "memref<?xi32>, memref<1xi32>)")
        tw_type = "memref<{}x{}xf32>".format(t, self.top_k)
        if self.kind == "quant":
            body.append(self.quant_gemm(t, routing, tw_type, args))
        elif self.kind == "gemm":
            a = "memref<{}x{}x{}>".format(t, self.k, self.adt)
            w, wargs, wscale, wattr = self.weight("w", self.n, self.k)
            c = ("memref<{}x{}x{}>".format(t, self.n, self.out) if self.reduce
                 else "memref<{}x{}x{}x{}>".format(t, self.top_k, self.n,
                                                   self.out))
            args += ["%a: " + a, "%w: " + w, "%c: " + c]
            extra = ""
            if self.weights:
                args.append("%tw: " + tw_type)
                extra = " topk_weights(%tw : {})".format(tw_type)
            args += wargs
            extra += wscale
            attrs = "top_k = {} : i64, {}".format(self.top_k, wattr)
            if self.reduce:
                attrs += "reduce, "
            body.append(
                "    moec.moe_gemm %a, %w -> %c {}{} {{{}config = "
                "#moec.config<>}} : {}, {} -> {}".format(
                    routing, extra, attrs, a, w, c))
        elif self.kind in ("chain", "layer"):
            # Gate/up GEMM into [T, top_k, 2I], viewed as [T * top_k, 2I]:
            # the down GEMM's A, one row per copy, reduced into [T, N].
            two_i = 2 * self.inter
            h = "memref<{}x{}x{}>".format(t, self.k, self.adt)
            w13, w13args, w13scale, wattr = self.weight("w13", two_i, self.k)
            # With a fused activation the w13 GEMM writes act(gate) * up,
            # I wide.
            mid_i = self.inter if self.act else two_i
            mid = "memref<{}x{}x{}x{}>".format(t, self.top_k, mid_i,
                                               self.adt)
            copies = "?" if self.static_tokens is None else str(
                self.static_tokens * self.top_k)
            flat = "memref<{}x{}x{}>".format(copies, mid_i, self.adt)
            w2, w2args, w2scale, _ = self.weight("w2", self.n, mid_i)
            out = "memref<{}x{}x{}>".format(t, self.n, self.out)
            args += ["%h: " + h, "%w13: " + w13, "%mid: " + mid,
                     "%w2: " + w2, "%tw: " + tw_type, "%out: " + out]
            args += w13args + w2args
            body.append(
                "    moec.moe_gemm %h, %w13 -> %mid {}{} {{top_k = {} : i64, "
                "{}{}config = #moec.config<>}} : {}, {} -> {}".format(
                    routing, w13scale, self.top_k, wattr,
                    "activation = #moec.activation<{}>, ".format(self.act)
                    if self.act else "", h, w13, mid))
            if self.kind == "layer":
                # The real layer: silu(gate) * up between the GEMMs.
                act = "memref<{}x{}x{}x{}>".format(t, self.top_k, self.inter,
                                                   self.dtype)
                args.append("%act: " + act)
                body.append(
                    "    moec.act_and_mul %mid -> %act {{activation = "
                    "#moec.activation<silu>, config = #moec.config<>}} : {} -> "
                    "{}".format(mid, act))
                mid, two_i = act, self.inter
                flat = "memref<{}x{}x{}>".format(copies, two_i, self.dtype)
                w2 = "memref<{}x{}x{}x{}>".format(self.local, self.n, two_i,
                                                  self.dtype)
                args[args.index("%w2: " + "memref<{}x{}x{}x{}>".format(
                    self.local, self.n, 2 * self.inter, self.dtype))] = "%w2: " + w2
                body.append("    %flat = memref.collapse_shape %act [[0, 1], "
                            "[2]] : {} into {}".format(mid, flat))
            else:
                body.append("    %flat = memref.collapse_shape %mid [[0, 1], "
                            "[2]] : {} into {}".format(mid, flat))
            body.append(
                "    moec.moe_gemm %flat, %w2 -> %out {} topk_weights(%tw : "
                "{}){} {{top_k = {} : i64, {}a_per_copy, reduce, config = "
                "#moec.config<>}} : {}, {} -> {}".format(
                    routing, tw_type, w2scale, self.top_k, wattr, flat, w2,
                    out))
        return ("// Generated by test/e2e/moe_sweep.py.\nmodule {{\n"
                "  func.func @moe({}) {{\n{}\n    return\n  }}\n}}\n".format(
                    ", ".join(args), "\n".join(body)))


    GROUP_N, GROUP_K = 8, 32  # block-wise scales' block_shape

    def quant_gemm(self, t, routing, tw_type, args):
        """moe_gemm with quantized operands and their scale buffers."""
        k, n, e = self.k, self.n, self.local
        q = self.quant
        at = "bf16" if q == "int8" else self.fp8
        wt = "i8" if q == "int8" else self.fp8
        a = "memref<{}x{}x{}>".format(t, k, at)
        w = "memref<{}x{}x{}x{}>".format(e, n, k, wt)
        cn = n // 2 if self.act else n
        c = ("memref<{}x{}x{}>".format(t, cn, self.out) if self.reduce
             else "memref<{}x{}x{}x{}>".format(t, self.top_k, cn, self.out))
        args += ["%a: " + a, "%w: " + w, "%c: " + c]
        extra, attrs = "", "top_k = {} : i64, ".format(self.top_k)
        if self.weights:
            args.append("%tw: " + tw_type)
            extra += " topk_weights(%tw : {})".format(tw_type)
        kg = -(-k // self.GROUP_K)
        ng = -(-n // self.GROUP_N)
        scales = {"tensor": ("memref<f32>", "memref<{}xf32>".format(e)),
                  "token": ("memref<{}xf32>".format(t),
                            "memref<{}x{}xf32>".format(e, n)),
                  "block": ("memref<{}x{}xf32>".format(t, kg),
                            "memref<{}x{}x{}xf32>".format(e, ng, kg)),
                  "int8": (None, "memref<{}x{}xf32>".format(e, n))}[q]
        if scales[0]:
            args.append("%as: " + scales[0])
            extra += " a_scale(%as : {})".format(scales[0])
        args.append("%bs: " + scales[1])
        extra += " b_scale(%bs : {})".format(scales[1])
        if self.reduce:
            attrs += "reduce, "
        if q == "block":
            attrs += "group_n = {} : i64, group_k = {} : i64, ".format(
                self.GROUP_N, self.GROUP_K)
        if self.act:
            attrs += "activation = #moec.activation<{}>, ".format(self.act)
        return ("    moec.moe_gemm %a, %w -> %c {}{} {{{}config = "
                "#moec.config<>}} : {}, {} -> {}".format(
                    routing, extra, attrs, a, w, c))


class Case:
    def __init__(self, group, variant, tokens, routing, config):
        self.group, self.variant, self.tokens = group, variant, tokens
        self.routing, self.config = routing, config

    def name(self):
        cfg = "".join("_{}{}".format(k.replace("-", ""), v)
                      for k, v in sorted(self.config.items()))
        return "{}/{}/t{}_{}{}".format(self.group, self.variant.name(),
                                       self.tokens, self.routing, cfg)


def build_cases(kinds, arch="host"):
    cases = []
    V = Variant
    if "align" in kinds:
        # 1. Every routing on a few expert counts, top_k and token counts
        #    (M = 0, 1, not a multiple of block_m, several workgroups: the
        #    host takes 8192 copies per workgroup).
        shapes = [(8, 2), (1, 1), (3, 2), (64, 4), (256, 8), (128, 8),
                  (16, 1), (32, 8)]
        tokens = [0, 1, 7, 100, 1000, 2500]
        n = 0
        for e, k in shapes:
            for r in ROUTINGS:
                t = tokens[n % len(tokens)]
                bm = [16, 32, 64, 128, 256][n % 5]
                cases.append(Case("align", V("align", e, k), t, r,
                                  {"block-m": bm}))
                n += 1
        # 2. Large inputs: several workgroups, each counting every copy.
        for e, k, t, r in [(8, 2, 20000, "uniform"), (256, 8, 3000, "skewed"),
                           (64, 4, 9000, "invalid"),
                           (128, 8, 2100, "one-expert")]:
            cases.append(Case("align-large", V("align", e, k), t, r,
                              {"block-m": 64}))
        # 3. Expert-parallel maps: skipped experts get expert_ids = -1.
        for e, k, r in [(8, 2, "uniform"), (256, 8, "skewed"),
                        (16, 4, "invalid"), (64, 8, "one-expert"),
                        (2, 1, "empty-experts")]:
            cases.append(Case("align-map", V("align", e, k, emap=True), 333,
                              r, {"block-m": 16}))
        # 4. Static token counts; config knobs that must not change results.
        cases.append(Case("align-static", V("align", 8, 2, static_tokens=45),
                          45, "uniform", {"block-m": 16}))
        cases.append(Case("align-static", V("align", 4, 4, static_tokens=1),
                          1, "invalid", {"block-m": 32}))
        for w in [1, 2, 8, 16]:
            cases.append(Case("align-knobs", V("align", 32, 4), 77, "skewed",
                              {"block-m": 16, "num-warps": w}))
    if "gemm" in kinds:
        # moe_align then moe_gemm: gather, per-block experts, topk_weights,
        # reduce, dtypes, expert maps.
        for n, (e, k, r) in enumerate([(8, 2, "uniform"), (4, 1, "one-expert"),
                                       (16, 4, "skewed"), (32, 8, "invalid"),
                                       (8, 8, "empty-experts")]):
            for t in [1, 37]:
                for bm in [16, 64]:
                    cfg = {"block-m": bm, "block-n": [16, 32][n % 2],
                           "block-k": [16, 32][(n + 1) % 2]}
                    cases.append(Case("gemm", V("gemm", e, k,
                                                weights=n % 2 == 1,
                                                reduce=n % 3 == 2,
                                                dtype=["bf16", "f16"][n % 2],
                                                out=["bf16", "f16", "f32"][n % 3]),
                                      t, r, cfg))
        # Every K-loop variant with both epilogues (the host runs the GPU
        # lane program: the LDS ring, the gathered rows' slots, the parked
        # tile's scatter), with and without reduce.
        for n, (st, epi) in enumerate(itertools.product(
                [1, 2, 3, 4], ["direct", "lds"])):
            cases.append(Case("gemm-pipeline",
                              V("gemm", 8, 2, weights=n % 2 == 0,
                                reduce=n % 3 == 1,
                                dtype=["bf16", "f16"][n % 2],
                                out=["bf16", "f16", "f32"][n % 3]),
                              37, ["skewed", "uniform"][n % 2],
                              {"block-m": 16, "block-n": 32, "block-k": 16,
                               "num-stages": st, "epilogue": epi}))
        cases.append(Case("gemm-map", V("gemm", 8, 2, emap=True, local=3), 50,
                          "uniform", {"block-m": 16}))
        cases.append(Case("gemm-map", V("gemm", 16, 4, emap=True, local=5,
                                        weights=True, reduce=True), 50,
                          "invalid", {"block-m": 16}))
        # MXFP4 weights: K = 96 over block_k 64 (a half tile at the K edge),
        # M = 1, top_k 1 and 4, empty experts, -1 ids, expert maps.
        for n, (e, k, t, r) in enumerate([(8, 4, 37, "uniform"),
                                          (4, 1, 1, "one-expert"),
                                          (16, 4, 29, "empty-experts"),
                                          (8, 2, 23, "invalid")]):
            cases.append(Case("gemm-mxfp4", V("gemm", e, k, k=96, n=40,
                                              dtype="mxfp4",
                                              weights=n % 2 == 0,
                                              reduce=n % 2 == 1,
                                              out=["bf16", "f32"][n % 2]),
                              t, r, {"block-m": 16, "block-n": 32,
                                     "block-k": [64, 32][n % 2]}))
        cases.append(Case("gemm-mxfp4", V("gemm", 16, 4, emap=True, local=5,
                                          k=64, dtype="mxfp4"), 50,
                          "skewed", {"block-m": 16}))
    if "chain" in kinds:
        for e, k, t, r in [(8, 2, 19, "uniform"), (16, 4, 1, "skewed"),
                           (8, 8, 33, "invalid")]:
            cases.append(Case("chain", V("chain", e, k), t, r,
                              {"block-m": 16, "block-n": 32, "block-k": 16}))
        cases.append(Case("chain", V("chain", 16, 4, emap=True, local=6), 21,
                          "one-expert", {"block-m": 16}))
        # The gated activation fused into w13 (I = 24, 40: the last
        # workgroup's gate/up halves partly outside N/2).
        for e, k, t, r, act, inter in [(8, 2, 19, "uniform", "silu", 24),
                                       (16, 4, 7, "skewed", "gelu", 40),
                                       (8, 8, 33, "invalid", "silu", 40)]:
            cases.append(Case("chain-fused", V("chain", e, k, act=act,
                                               inter=inter), t, r,
                              {"block-m": 16, "block-n": 32, "block-k": 16}))
        # MXFP4 up and down projections (I = 64, 96: K of the down GEMM a
        # multiple of 32), unfused and with silu fused.
        for e, k, t, r, act, inter in [(8, 4, 19, "uniform", None, 64),
                                       (16, 4, 1, "invalid", "silu", 96)]:
            cases.append(Case("chain-mxfp4", V("chain", e, k, act=act,
                                               inter=inter, k=64,
                                               dtype="mxfp4"), t, r,
                              {"block-m": 16, "block-n": 32, "block-k": 32}))
    if "layer" in kinds:
        # The whole layer: align, w13, act_and_mul, w2 with topk_weights and
        # reduce; f16 and bf16, expert maps, -1 ids, one expert for all.
        for n, (e, k, t, r) in enumerate([(8, 2, 19, "uniform"),
                                          (16, 4, 1, "skewed"),
                                          (8, 8, 45, "invalid"),
                                          (4, 1, 17, "one-expert"),
                                          (32, 8, 9, "empty-experts")]):
            cases.append(Case("layer", V("layer", e, k,
                                         dtype=["bf16", "f16"][n % 2],
                                         out=["bf16", "f16", "f32"][n % 3]),
                              t, r, {"block-m": [16, 32][n % 2],
                                     "block-n": 32, "block-k": 16}))
        cases.append(Case("layer", V("layer", 16, 4, emap=True, local=7), 29,
                          "uniform", {"block-m": 16}))
    if "quant" in kinds:
        # fp8_w8a8 and int8_w8a16 moe_gemm after moe_align: every scale
        # layout, topk_weights, reduce, the gated activation, routings with
        # -1 ids, empty experts and one expert for all; block_k 16 (host)
        # and 32 (the K groups of 32 take two or one K tiles).
        fp8 = "f8E4M3FNUZ" if arch.startswith("gfx94") else "f8E4M3FN"
        for n, (q, e, k, t, r) in enumerate([
                ("tensor", 8, 2, 37, "uniform"), ("token", 16, 4, 1, "skewed"),
                ("block", 8, 2, 45, "invalid"), ("token", 4, 1, 17, "one-expert"),
                ("block", 32, 8, 9, "empty-experts"), ("int8", 8, 2, 29, "uniform"),
                ("int8", 16, 4, 7, "invalid"), ("tensor", 8, 8, 33, "skewed")]):
            # The GPUs' fp8 matrix instructions take K = 32 at a time.
            bks = [32] if arch != "host" and q != "int8" else [16, 32]
            for bk in bks:
                cases.append(Case("quant", V("quant", e, k, n=48, k=64,
                                             weights=n % 2 == 1,
                                             reduce=n % 3 == 1,
                                             out=["bf16", "f32", "f16"][n % 3],
                                             quant=q, fp8=fp8),
                                  t, r, {"block-m": [16, 32][n % 2],
                                         "block-n": 16, "block-k": bk}))
        # The gated activation on quantized w13 (N/2 = 24 columns).
        for q, act in [("token", "silu"), ("block", "gelu"), ("int8", "silu")]:
            cases.append(Case("quant-gated", V("quant", 8, 2, n=48, k=64,
                                               act=act, quant=q, fp8=fp8),
                              23, "uniform", {"block-m": 16, "block-n": 32,
                                              "block-k": 32}))
    return cases


RESULT_RE = re.compile(r"-> (PASS|FAIL)$", re.M)
SEED_RE = re.compile(r"seed=(\d+)")


def run_case(moec, path, case, ops, seed, timeout, arch="host", emulate=False,
             extra=()):
    cmd = [moec, "run", path, "--arch", arch, "--tokens", str(case.tokens),
           "--routing", case.routing]
    if emulate:
        cmd.append("--emulate")
        # One wave covers every MFMA tile of the sweep's small GEMM tiles
        # (num_warps must divide the 16x16 tiles evenly on AMD).
        if case.variant.kind != "align" and "num-warps" not in case.config:
            cmd += ["--num-warps", "1"]
    for k, v in case.config.items():
        cmd += ["--" + k, str(v)]
    cmd += list(extra)
    if seed is not None:
        cmd += ["--seed", str(seed)]
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out, rc = (p.stdout + p.stderr).strip(), p.returncode
    except subprocess.TimeoutExpired:
        out, rc = "timed out after {} s".format(timeout), -1
    ms = (time.monotonic() - start) * 1e3
    results = RESULT_RE.findall(out)
    ok = rc == 0 and len(results) == ops and all(r == "PASS" for r in results)
    m = SEED_RE.search(out)
    if m and seed is None:
        cmd += ["--seed", m.group(1)]
    return ok, rc, out, ms, cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moec", default="moec", help="the moec binary")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--kinds", default="align",
                    help="comma-separated: align, gemm, chain, layer, quant")
    ap.add_argument("--arch", default="host",
                    help="moec run's target: host here, sm_90 on the H100, "
                    "an AMD chip with --emulate")
    ap.add_argument("--emulate", action="store_true",
                    help="run the AMD lane-level kernels on the CPU emulator "
                    "(multi-lane workgroups, LDS race checks)")
    ap.add_argument("--filter", default="")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--run-flags", default="",
                    help="more moec run flags for every case, e.g. "
                    "'--num-warps 2' (sm_90: 4 warps cannot cover a 16x16 "
                    "tile)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    kinds = set(args.kinds.split(","))
    if not kinds <= {"align", "gemm", "chain", "layer", "quant"}:
        print("error: --kinds takes align, gemm, chain, layer, quant")
        return 2
    cases = [c for c in build_cases(kinds, args.arch) if args.filter in c.name()]
    if args.list:
        for c in cases:
            print(c.name())
        print("{} cases".format(len(cases)))
        return 0
    if not cases:
        print("error: no case matches --filter {!r}".format(args.filter))
        return 2
    os.makedirs(args.workdir, exist_ok=True)
    paths = {}
    for c in cases:
        name = c.variant.name()
        if name not in paths:
            paths[name] = os.path.join(args.workdir, "moe_{}.mlir".format(name))
            with open(paths[name], "w") as f:
                f.write(c.variant.mlir())
    ops = {"align": 1, "gemm": 2, "chain": 3, "layer": 4, "quant": 2}
    start = time.monotonic()
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, args.moec, paths[c.variant.name()], c,
                               ops[c.variant.kind], args.seed, args.timeout,
                               args.arch, args.emulate, args.run_flags.split())
                   for c in cases]
        for i, (c, fut) in enumerate(zip(cases, futures)):
            ok, rc, out, ms, cmd = fut.result()
            print("[{:3d}/{}] {} {} ({:.0f} ms)".format(
                i + 1, len(cases), "PASS" if ok else "FAIL", c.name(), ms),
                flush=True)
            if not ok or args.verbose:
                print("    " + out.replace("\n", "\n    "))
            if not ok:
                print("    exit status {}; reproduce: {}".format(
                    rc, " ".join(map(shlex.quote, cmd))))
                failures.append(c)
    print("{} cases, {} passed, {} failed in {:.1f} s ({} files in {})".format(
        len(cases), len(cases) - len(failures), len(failures),
        time.monotonic() - start, len(paths), args.workdir))
    if failures:
        print("FAILED CASES:")
        for c in failures:
            print("  " + c.name())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
