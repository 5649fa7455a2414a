#!/usr/bin/env python3
"""Fused MoE on the H100: moec against a Triton fused-MoE kernel.

    python3 benchmarks/triton_fused_moe.py [--moec /tmp/moec/bin/moec] [--out DIR]
            [--models mixtral,deepseek] [--ms 1,16,64,256,1024,4096]
            [--candidates 6] [--no-layer] [--no-moec]
    python3 benchmarks/triton_fused_moe.py --dry-run   # the plan, no GPU needed

The Triton side is this file's own code with the semantics of vLLM's
`fused_moe_kernel`: rows of the hidden states gathered through
`sorted_token_ids // top_k`, each M block's expert from `expert_ids` (-1:
skipped), padding rows (ids >= tokens * top_k) masked, optional multiply by
`topk_weights`, bf16 in and out, f32 accumulation; its moe_align is a
vectorized torch implementation (stable sort by expert, padded to BLOCK_M).

Shapes: the w13 (gate/up) GEMM of Mixtral-8x7B TP 1 (E 8, N 28672, K 4096,
top-2) and DeepSeek-V3 TP 1 (E 256, N 4096, K 7168, top-8), bf16, for each M,
with uniform routing (every token picks top_k distinct experts); and the full
layer (align, w13, silu_and_mul, w2 with topk_weights, sum of the top-k
copies) of both (examples/moe/*_tp1.mlir on the moec side).

Tuning: both sides walk the same list of configs (the sm_90 space moec's
tuner uses, benchmarks/tune/space_sm90_{small,large}.json, ordered by how
well BLOCK_M fits the rows per expert, then a seeded shuffle) and get the
same budget: the first --candidates configs of that list that moec's
verifier accepts for sm_90 (LDS, registers; Triton has no async_copy knob:
its duplicates are dropped). Each Triton candidate is checked
against torch first (poisoned output); moec's through `moec bench`, which
checks every output before timing. The full layer uses each side's winning
w13 config for both GEMMs. Reported: time, TFLOP/s, weight GB/s against the
floor (each active expert's weights read once; peak = the device copy
bandwidth measured here, bytes read + written by a torch copy of 1 GiB), the
winning configs, the tuning wall time of each side.

Writes DIR/moe_bench.json and DIR/moe_bench.md (DIR: --out, else $OUT, else
./moe_bench_out), the markdown also printed last, and DIR/moe_bench_log.txt.
"""

import argparse
import itertools
import json
import math
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

MODELS = {
    # name: (title, experts, top_k, hidden, intermediate, layer example)
    "mixtral": ("Mixtral-8x7B TP1", 8, 2, 4096, 14336, "examples/moe/mixtral_8x7b_tp1.mlir"),
    "deepseek": ("DeepSeek-V3 TP1", 256, 8, 7168, 2048, "examples/moe/deepseek_v3_tp1.mlir"),
}
MS = [1, 16, 64, 256, 1024, 4096]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LOG = None


def log(*a):
    text = " ".join(str(x) for x in a)
    print(text, flush=True)
    if LOG:
        LOG.write(text + "\n")
        LOG.flush()


# ------------------------------------------------------------ config space --

def load_space(rows_per_expert):
    """The sm_90 space moec's tuner uses: the large-tile one once an expert's
    block of rows fills 128."""
    name = ("space_sm90_large.json" if rows_per_expert >= 128
            else "space_sm90_small.json")
    path = os.path.join(HERE, "tune", name)
    try:
        space = json.load(open(path))
    except OSError:
        space = {"block_m": [16, 32, 64, 128], "block_n": [64, 128],
                 "block_k": [64], "group_m": [1, 8], "num_warps": [4],
                 "num_stages": [2, 3], "async_copy": [0]}
    keys = ["block_m", "block_n", "block_k", "group_m", "num_warps",
            "num_stages", "async_copy"]
    out = []
    for vals in itertools.product(*(space.get(k, [0]) for k in keys)):
        out.append(dict(zip(keys, vals)))
    return out, name


def ordered_candidates(m, top_k, experts, seed=0):
    """The space, ordered: BLOCK_M near the expected rows per active expert
    first, then a seeded shuffle (ties)."""
    copies = m * top_k
    active = min(experts, copies)
    rows = max(1, copies // max(active, 1))
    want = min(256, max(16, 1 << (rows - 1).bit_length()))
    space, name = load_space(want)
    rng = random.Random(seed)
    rng.shuffle(space)
    space.sort(key=lambda c: abs(math.log2(c["block_m"]) - math.log2(want)))
    return space, name


def triton_configs(cands):
    seen, out = set(), []
    for c in cands:
        key = (c["block_m"], c["block_n"], c["block_k"], c["group_m"],
               c["num_warps"], c["num_stages"])
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def cfg_text(c):
    return "{block_m}/{block_n}/{block_k} g{group_m} w{num_warps} s{num_stages}".format(
        **c) + (" async" if c.get("async_copy") else "")


# ------------------------------------------------------------------ Triton --

def build_kernel():
    import triton
    import triton.language as tl

    @triton.jit
    def fused_moe(a_ptr, w_ptr, c_ptr, tw_ptr, sorted_ptr, expert_ptr, npad_ptr,
                  N, K, num_valid, top_k,
                  stride_am, stride_we, stride_wn, stride_cm,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                  BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                  A_PER_COPY: tl.constexpr, MUL_WEIGHT: tl.constexpr):
        # Program -> (block of sorted rows, block of N) with the group swizzle.
        pid = tl.program_id(0)
        npad = tl.load(npad_ptr)
        num_m = tl.cdiv(npad, BLOCK_M)
        num_n = tl.cdiv(N, BLOCK_N)
        group = GROUP_M * num_n
        first_m = (pid // group) * GROUP_M
        size_m = tl.minimum(num_m - first_m, GROUP_M)
        if size_m <= 0:
            return
        pid_m = first_m + (pid % group) % size_m
        pid_n = (pid % group) // size_m
        if pid_m * BLOCK_M >= npad:
            return
        expert = tl.load(expert_ptr + pid_m).to(tl.int64)
        offs_s = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        ids = tl.load(sorted_ptr + offs_s)
        row_ok = ids < num_valid
        offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        if expert < 0:
            return  # another rank's expert: vLLM writes zeros, C is unused here
        if A_PER_COPY:
            rows = ids
        else:
            rows = ids // top_k
        offs_k = tl.arange(0, BLOCK_K)
        a_ptrs = a_ptr + rows[:, None].to(tl.int64) * stride_am + offs_k[None, :]
        w_ptrs = (w_ptr + expert * stride_we + offs_n[None, :].to(tl.int64) * stride_wn
                  + offs_k[:, None])
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        for k in range(0, tl.cdiv(K, BLOCK_K)):
            k_left = K - k * BLOCK_K
            a = tl.load(a_ptrs, mask=row_ok[:, None] & (offs_k[None, :] < k_left), other=0.0)
            w = tl.load(w_ptrs, mask=(offs_k[:, None] < k_left) & (offs_n[None, :] < N),
                        other=0.0)
            acc = tl.dot(a, w, acc)
            a_ptrs += BLOCK_K
            w_ptrs += BLOCK_K
        if MUL_WEIGHT:
            tw = tl.load(tw_ptr + ids, mask=row_ok, other=0.0)
            acc = acc * tw[:, None]
        c_ptrs = c_ptr + ids[:, None].to(tl.int64) * stride_cm + offs_n[None, :]
        tl.store(c_ptrs, acc.to(tl.bfloat16), mask=row_ok[:, None] & (offs_n[None, :] < N))

    return fused_moe


def build_fp8_block_kernel():
    """The same kernel for block-wise fp8_w8a8 (vLLM's use_fp8_w8a8 with
    block_shape [GROUP_N, GROUP_K]): fp8 A and W, each K tile's product
    scaled by a_scale[row, k group] x w_scale[e, n group, k group] (BLOCK_K
    divides GROUP_K), bf16 out."""
    import triton
    import triton.language as tl

    @triton.jit
    def fused_moe_fp8(a_ptr, w_ptr, c_ptr, tw_ptr, sorted_ptr, expert_ptr, npad_ptr,
                      as_ptr, ws_ptr,
                      N, K, num_valid, top_k,
                      stride_am, stride_we, stride_wn, stride_cm,
                      stride_asm, stride_wse, stride_wsn,
                      GROUP_N: tl.constexpr, GROUP_K: tl.constexpr,
                      BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                      BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                      A_PER_COPY: tl.constexpr, MUL_WEIGHT: tl.constexpr):
        pid = tl.program_id(0)
        npad = tl.load(npad_ptr)
        num_m = tl.cdiv(npad, BLOCK_M)
        num_n = tl.cdiv(N, BLOCK_N)
        group = GROUP_M * num_n
        first_m = (pid // group) * GROUP_M
        size_m = tl.minimum(num_m - first_m, GROUP_M)
        if size_m <= 0:
            return
        pid_m = first_m + (pid % group) % size_m
        pid_n = (pid % group) // size_m
        if pid_m * BLOCK_M >= npad:
            return
        expert = tl.load(expert_ptr + pid_m).to(tl.int64)
        offs_s = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        ids = tl.load(sorted_ptr + offs_s)
        row_ok = ids < num_valid
        offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        if expert < 0:
            return
        if A_PER_COPY:
            rows = ids
        else:
            rows = ids // top_k
        offs_k = tl.arange(0, BLOCK_K)
        a_ptrs = a_ptr + rows[:, None].to(tl.int64) * stride_am + offs_k[None, :]
        w_ptrs = (w_ptr + expert * stride_we + offs_n[None, :].to(tl.int64) * stride_wn
                  + offs_k[:, None])
        as_ptrs = as_ptr + rows.to(tl.int64) * stride_asm
        ws_ptrs = ws_ptr + expert * stride_wse + (offs_n // GROUP_N) * stride_wsn
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        for k in range(0, tl.cdiv(K, BLOCK_K)):
            k_left = K - k * BLOCK_K
            a = tl.load(a_ptrs, mask=row_ok[:, None] & (offs_k[None, :] < k_left), other=0.0)
            w = tl.load(w_ptrs, mask=(offs_k[:, None] < k_left) & (offs_n[None, :] < N),
                        other=0.0)
            kg = (k * BLOCK_K) // GROUP_K
            a_s = tl.load(as_ptrs + kg, mask=row_ok, other=0.0)
            w_s = tl.load(ws_ptrs + kg, mask=offs_n < N, other=0.0)
            acc += tl.dot(a, w) * a_s[:, None] * w_s[None, :]
            a_ptrs += BLOCK_K
            w_ptrs += BLOCK_K
        if MUL_WEIGHT:
            tw = tl.load(tw_ptr + ids, mask=row_ok, other=0.0)
            acc = acc * tw[:, None]
        c_ptrs = c_ptr + ids[:, None].to(tl.int64) * stride_cm + offs_n[None, :]
        tl.store(c_ptrs, acc.to(tl.bfloat16), mask=row_ok[:, None] & (offs_n[None, :] < N))

    return fused_moe_fp8


def torch_group_quant(x, group_k):
    """vLLM's per_token_group_quant_fp8 in torch: x [R, K] (K a multiple of
    group_k) -> e4m3fn [R, K] and f32 scales [R, K / group_k]."""
    import torch
    r, k = x.shape
    g = x.float().view(r, k // group_k, group_k)
    s = g.abs().amax(-1).clamp_min(1e-10) / 448.0
    q = (g / s[..., None]).clamp(-448.0, 448.0).to(torch.float8_e4m3fn)
    return q.view(r, k), s.contiguous()


def triton_layer_fp8_block(kernel, hidden, w13, w13_s, w2, w2_s, topk_ids, topk_w, experts,
                           top_k, cfg, group_n, group_k):
    """The block-wise fp8 layer: torch group quant of hidden, Triton fp8 w13,
    torch silu_and_mul, torch group quant, Triton fp8 w2 with the weights,
    torch sum over top_k. Returns the run function (timed by the caller)."""
    import torch
    import triton
    m, h = hidden.shape
    inter = w2.shape[2]
    gate_up = torch.empty((m * top_k, 2 * inter), dtype=torch.bfloat16, device="cuda")
    down = torch.empty((m * top_k, h), dtype=torch.bfloat16, device="cuda")
    tw = topk_w.flatten().contiguous()

    def gemm(a, a_s, w, w_s, c, r, a_per_copy, weights):
        sorted_ids, expert_ids, npad = r
        n, k = w.shape[1], w.shape[2]
        grid = (triton.cdiv(sorted_ids.numel(), cfg["block_m"]) *
                triton.cdiv(n, cfg["block_n"]),)
        num_valid = a.shape[0] if a_per_copy else a.shape[0] * top_k
        kernel[grid](a, w, c, weights if weights is not None else c, sorted_ids, expert_ids,
                     npad, a_s, w_s, n, k, num_valid, top_k, a.stride(0), w.stride(0),
                     w.stride(1), c.stride(0), a_s.stride(0), w_s.stride(0), w_s.stride(1),
                     GROUP_N=group_n, GROUP_K=group_k,
                     BLOCK_M=cfg["block_m"], BLOCK_N=cfg["block_n"],
                     BLOCK_K=min(cfg["block_k"], group_k), GROUP_M=cfg["group_m"],
                     A_PER_COPY=a_per_copy, MUL_WEIGHT=weights is not None,
                     num_warps=cfg["num_warps"], num_stages=cfg["num_stages"])

    def run():
        r = torch_align(topk_ids, experts, cfg["block_m"])
        xq, xs = torch_group_quant(hidden, group_k)
        gemm(xq, xs, w13, w13_s, gate_up, r, False, None)
        act = torch.nn.functional.silu(gate_up[:, :inter]) * gate_up[:, inter:]
        aq, as_ = torch_group_quant(act, group_k)
        gemm(aq, as_, w2, w2_s, down, r, True, tw)
        return down.view(m, top_k, h).sum(1)
    return run


def torch_align(topk_ids, experts, block_m):
    """moe_align_block_size: stable within an expert, padded per expert."""
    import torch
    flat = topk_ids.flatten().to(torch.int64)
    numel = flat.numel()
    counts = torch.bincount(flat, minlength=experts)
    padded = (counts + block_m - 1) // block_m * block_m
    ends = torch.cumsum(padded, 0)
    starts = ends - padded
    order = torch.argsort(flat, stable=True)
    e_sorted = flat[order]
    count_starts = torch.cumsum(counts, 0) - counts
    rank = torch.arange(numel, device=flat.device) - count_starts[e_sorted]
    pos = starts[e_sorted] + rank
    max_sorted = numel + experts * (block_m - 1)
    sorted_ids = torch.full((max_sorted,), numel, dtype=torch.int32, device=flat.device)
    sorted_ids[pos] = order.to(torch.int32)
    max_blocks = (max_sorted + block_m - 1) // block_m
    expert_ids = torch.full((max_blocks,), -1, dtype=torch.int32, device=flat.device)
    blocks = torch.repeat_interleave(torch.arange(experts, device=flat.device),
                                     padded // block_m)
    expert_ids[:blocks.numel()] = blocks.to(torch.int32)
    npad = ends[-1:].to(torch.int32)
    return sorted_ids, expert_ids, npad


def launch(kernel, a, w, c, tw, routing, top_k, cfg, a_per_copy=False):
    import triton
    sorted_ids, expert_ids, npad = routing
    n, k = w.shape[1], w.shape[2]
    grid = (triton.cdiv(sorted_ids.numel(), cfg["block_m"]) * triton.cdiv(n, cfg["block_n"]),)
    num_valid = (a.shape[0] if a_per_copy else a.shape[0] * top_k)
    kernel[grid](a, w, c, tw if tw is not None else c, sorted_ids, expert_ids, npad,
                 n, k, num_valid, top_k, a.stride(0), w.stride(0), w.stride(1), c.stride(0),
                 BLOCK_M=cfg["block_m"], BLOCK_N=cfg["block_n"], BLOCK_K=cfg["block_k"],
                 GROUP_M=cfg["group_m"], A_PER_COPY=a_per_copy, MUL_WEIGHT=tw is not None,
                 num_warps=cfg["num_warps"], num_stages=cfg["num_stages"])


def time_ms(fn, warmup=3, repeat=15):
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    return statistics.median(times)


def copy_bandwidth():
    import torch
    n = 1 << 30
    src = torch.empty(n, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src), warmup=3, repeat=20)
    return 2 * n / ms / 1e6  # GB/s, bytes read + written


def route(m, experts, top_k, gen):
    import torch
    scores = torch.rand((m, experts), generator=gen, device="cuda")
    weights, ids = torch.topk(scores, top_k, dim=1)
    weights = (weights / weights.sum(1, keepdim=True)).float()
    return ids.to(torch.int32), weights


def reference_w13(hidden, w, topk_ids, rows=16):
    """C[t, j] = hidden[t] @ w[e].T for a sample of copies, in f32."""
    import torch
    m, top_k = topk_ids.shape
    out = {}
    for s in sorted(set([0, m * top_k - 1] + [random.randrange(m * top_k) for _ in range(rows)])):
        t, j = divmod(s, top_k)
        e = int(topk_ids[t, j])
        out[s] = (hidden[t].float() @ w[e].float().T)
    return out


def tune_triton(kernel, hidden, w, topk_ids, cands, experts, top_k):
    import torch
    m = hidden.shape[0]
    n = w.shape[1]
    ref = reference_w13(hidden, w, topk_ids)
    c = torch.empty((m * top_k, n), dtype=torch.bfloat16, device="cuda")
    results = []
    t0 = time.monotonic()
    routings = {}
    for cfg in cands:
        bm = cfg["block_m"]
        if bm not in routings:
            routings[bm] = torch_align(topk_ids, experts, bm)
        r = routings[bm]
        try:
            c.fill_(float("nan"))
            launch(kernel, hidden, w, c, None, r, top_k, cfg)
            torch.cuda.synchronize()
            err = max(float((c[s].float() - v).abs().max() / v.abs().max().clamp_min(1e-6))
                      for s, v in ref.items())
            if not err <= 2 ** -6:
                results.append(dict(cfg, ok=False, err=err))
                log("   triton {} WRONG (rel err {:.3e})".format(cfg_text(cfg), err))
                continue
            ms = time_ms(lambda: launch(kernel, hidden, w, c, None, r, top_k, cfg))
            results.append(dict(cfg, ok=True, ms=ms, err=err))
            log("   triton {} {:.4f} ms".format(cfg_text(cfg), ms))
        except Exception as ex:  # a config Triton cannot build (shared memory)
            results.append(dict(cfg, ok=False, error=str(ex).splitlines()[0][:200]))
            log("   triton {} failed: {}".format(cfg_text(cfg), str(ex).splitlines()[0][:120]))
    wall = time.monotonic() - t0
    good = [r for r in results if r.get("ok")]
    best = min(good, key=lambda r: r["ms"]) if good else None
    return best, results, wall


# -------------------------------------------------------------------- moec --

W13_TEMPLATE = """module {{
  func.func @{name}(%ids: memref<?x{k}xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>,
      %npad: memref<1xi32>, %hidden: memref<?x{hid}xbf16>, %w13: memref<{e}x{n}x{hid}xbf16>,
      %out: memref<?x{k}x{n}xbf16>) {{
    moec.moe_align %ids -> %sorted, %experts, %npad {{num_experts = {e} : i64, config = #moec.config<>}}
      : memref<?x{k}xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %out
      routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      {{top_k = {k} : i64, config = #moec.config<>}}
      : memref<?x{hid}xbf16>, memref<{e}x{n}x{hid}xbf16> -> memref<?x{k}x{n}xbf16>
    return
  }}
}}
"""


def moec_flags(cfg):
    f = ["--block-m", str(cfg["block_m"]), "--block-n", str(cfg["block_n"]),
         "--block-k", str(cfg["block_k"]), "--group-m", str(cfg["group_m"]),
         "--num-warps", str(cfg["num_warps"]), "--num-stages", str(cfg["num_stages"])]
    if cfg.get("async_copy"):
        f.append("--async-copy")
    return f


def moec_bench(moec, path, m, flags, work, timeout=240, repeat=20):
    """Runs `moec bench` once; returns (record or None, output)."""
    js = os.path.join(work, "bench.jsonl")
    if os.path.exists(js):
        os.remove(js)
    cmd = [moec, "bench", path, "--arch", "sm_90", "--tokens", str(m), "--routing", "uniform",
           "--seed", "1", "--warmup", "5", "--repeat", str(repeat), "--json", js] + flags
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        out = (p.stdout + p.stderr).strip()
        ok = p.returncode == 0
    except subprocess.TimeoutExpired:
        out, ok = "timed out after {} s".format(timeout), False
    rec = None
    if ok and os.path.exists(js):
        lines = [l for l in open(js) if l.strip()]
        if lines:
            rec = json.loads(lines[-1])
    return rec, out, " ".join(map(shlex.quote, cmd))


def prune(moec, path, cands, want, work):
    """The first `want` candidates moec's verifier accepts for sm_90 (LDS,
    registers, warps covering the tile): resource pruning as moec's tuner
    does it, applied to the list both sides then share."""
    out = []
    for c in cands:
        if len(out) == want:
            break
        p = subprocess.run([moec, "compile", path, "--arch", "sm_90", "--emit", "mlir",
                            "-o", os.path.join(work, "pruned.mlir")] + moec_flags(c),
                           capture_output=True, text=True)
        if p.returncode == 0:
            out.append(c)
    return out


def tune_moec(moec, path, m, cands, work):
    results = []
    t0 = time.monotonic()
    for cfg in cands:
        rec, out, cmd = moec_bench(moec, path, m, moec_flags(cfg), work)
        if rec is None:
            first = [l for l in out.splitlines() if "error" in l or "FAIL" in l][:2]
            results.append(dict(cfg, ok=False, error=" | ".join(first)[:300], cmd=cmd))
            log("   moec {} failed: {}".format(cfg_text(cfg), " | ".join(first)[:160]))
            continue
        gemm = [o for o in rec["ops"] if o["op"] == "moe_gemm"]
        align = [o for o in rec["ops"] if o["op"] == "moe_align"]
        ms = gemm[0]["ms"] if gemm else rec["ms"]
        results.append(dict(cfg, ok=True, ms=ms, align_ms=align[0]["ms"] if align else None,
                            total_ms=rec["ms"], weight_bytes=gemm[0]["weight_bytes"] if gemm else 0,
                            flops=gemm[0]["flops"] if gemm else 0))
        log("   moec {} {:.4f} ms (align {:.4f} ms)".format(
            cfg_text(cfg), ms, results[-1]["align_ms"] or 0))
    wall = time.monotonic() - t0
    good = [r for r in results if r.get("ok")]
    best = min(good, key=lambda r: r["ms"]) if good else None
    return best, results, wall


# ------------------------------------------------------------------- layer --

def triton_layer(kernel, hidden, w13, w2, topk_ids, topk_w, experts, top_k, cfg):
    import torch
    m, h = hidden.shape
    inter = w2.shape[2]
    gate_up = torch.empty((m * top_k, 2 * inter), dtype=torch.bfloat16, device="cuda")
    down = torch.empty((m * top_k, h), dtype=torch.bfloat16, device="cuda")
    tw = topk_w.flatten().contiguous()

    def run():
        r = torch_align(topk_ids, experts, cfg["block_m"])
        launch(kernel, hidden, w13, gate_up, None, r, top_k, cfg)
        act = torch.nn.functional.silu(gate_up[:, :inter]) * gate_up[:, inter:]
        launch(kernel, act, w2, down, tw, r, top_k, cfg, a_per_copy=True)
        return down.view(m, top_k, h).sum(1)
    out = run()
    torch.cuda.synchronize()
    # Check a few tokens against torch.
    err = 0.0
    for t in sorted(set([0, m - 1, m // 2])):
        acc = torch.zeros(h, device="cuda")
        for j in range(top_k):
            e = int(topk_ids[t, j])
            gu = hidden[t].float() @ w13[e].float().T
            a = torch.nn.functional.silu(gu[:inter]) * gu[inter:]
            acc += topk_w[t, j] * (a.bfloat16().float() @ w2[e].float().T)
        err = max(err, float((out[t].float() - acc).abs().max() / acc.abs().max().clamp_min(1e-6)))
    return time_ms(run), err


# -------------------------------------------------------------------- main --

def summarize(res):
    bw = res.get("copy_gbs")
    lines = ["# Fused MoE on {}: moec vs Triton".format(res.get("device", "?")), "",
             "Copy bandwidth (torch copy of 1 GiB, bytes read + written): {} GB/s".format(
                 "{:.0f}".format(bw) if bw else "-"),
             "", "## w13 GEMM (bf16, uniform routing)", "",
             "| model | M | active experts | floor ms | Triton ms | Triton TFLOP/s | Triton GB/s (x copy) "
             "| moec ms | moec TFLOP/s | moec GB/s (x copy) | moec/Triton speed | Triton config | moec config "
             "| tuning s (Triton / moec) | align ms (torch / moec) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res.get("w13", []):
        t, mo = r.get("triton"), r.get("moec")
        def f(x, fmt="{:.4f}"):
            return fmt.format(x) if x is not None else "-"
        tms = t["ms"] if t else None
        mms = mo["ms"] if mo else None
        wb, fl = r["weight_bytes"], r["flops"]
        def gbs(ms):
            return "{:.0f} ({:.2f})".format(wb / ms / 1e6, wb / ms / 1e6 / bw) if ms and bw else "-"
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} / {} |".format(
            r["model"], r["m"], r["active_experts"], f(r.get("floor_ms")), f(tms),
            f(fl / tms / 1e9 if tms else None, "{:.1f}"), gbs(tms), f(mms),
            f(fl / mms / 1e9 if mms else None, "{:.1f}"), gbs(mms),
            f(tms / mms if tms and mms else None, "{:.2f}x"),
            cfg_text(t) if t else "-", cfg_text(mo) if mo else "-",
            f(r.get("triton_tune_s"), "{:.1f}"), f(r.get("moec_tune_s"), "{:.1f}"),
            f(r.get("torch_align_ms")), f(mo.get("align_ms") if mo else None)))
    if res.get("layer"):
        lines += ["", "## Full layer (align, w13, silu_and_mul, w2 with topk_weights, top-k sum)", "",
                  "| model | M | Triton+torch ms | moec ms | moec/Triton speed | moec per op (ms) | floor ms |",
                  "|---|---|---|---|---|---|---|"]
        for r in res["layer"]:
            tms, mms = r.get("triton_ms"), r.get("moec_ms")
            lines.append("| {} | {} | {} | {} | {} | {} | {} |".format(
                r["model"], r["m"], "{:.4f}".format(tms) if tms else "-",
                "{:.4f}".format(mms) if mms else "-",
                "{:.2f}x".format(tms / mms) if tms and mms else "-",
                " + ".join("{} {:.4f}".format(o["op"], o["ms"]) for o in r.get("moec_ops", [])) or r.get("moec_error", "-")[:80],
                "{:.4f}".format(r["floor_ms"]) if r.get("floor_ms") else "-"))
    lines += ["", "Floor: each active expert's weights read once at the copy bandwidth. "
              "Both sides tuned over the same ordered candidate list ({} candidates each; "
              "Triton drops the async_copy duplicates).".format(res.get("candidates"))]
    return "\n".join(lines) + "\n"


def main():
    global LOG
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moec", default=os.environ.get("MOEC", "/tmp/moec/bin/moec"))
    ap.add_argument("--out", default=os.environ.get("OUT", "moe_bench_out"))
    ap.add_argument("--models", default="mixtral,deepseek")
    ap.add_argument("--ms", default=",".join(map(str, MS)))
    ap.add_argument("--candidates", type=int, default=6)
    ap.add_argument("--no-layer", action="store_true")
    ap.add_argument("--no-moec", action="store_true")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    models = [x for x in args.models.split(",") if x]
    ms = [int(x) for x in args.ms.split(",") if x]
    for m in models:
        if m not in MODELS:
            ap.error("unknown model {} (known: {})".format(m, ", ".join(MODELS)))
    if args.dry_run:
        for name in models:
            title, e, k, h, inter, layer = MODELS[name]
            for m in ms:
                cands, space = ordered_candidates(m, k, e)
                print("{} M={}: w13 E={} N={} K={} top-{}; {} of {} candidates from {}: {}".format(
                    title, m, e, 2 * inter, h, k, args.candidates, len(cands), space,
                    "; ".join(cfg_text(c) for c in cands[:args.candidates])))
            print("{}: layer {}".format(title, layer))
        return 0

    import torch
    os.makedirs(args.out, exist_ok=True)
    LOG = open(os.path.join(args.out, "moe_bench_log.txt"), "w")
    work = tempfile.mkdtemp(prefix="moe_bench_")
    res = {"device": torch.cuda.get_device_name(0), "candidates": args.candidates,
           "w13": [], "layer": []}
    have_moec = not args.no_moec and os.access(args.moec, os.X_OK)
    if not args.no_moec and not have_moec:
        log("no moec at {}: Triton only".format(args.moec))
    res["copy_gbs"] = copy_bandwidth()
    log("copy bandwidth {:.0f} GB/s (read + written)".format(res["copy_gbs"]))
    kernel = build_kernel()
    out_json = os.path.join(args.out, "moe_bench.json")

    def save():
        json.dump(res, open(out_json, "w"), indent=1)
        open(os.path.join(args.out, "moe_bench.md"), "w").write(summarize(res))

    gen = torch.Generator(device="cuda")
    for name in models:
        title, e, k, h, inter, layer_file = MODELS[name]
        n = 2 * inter
        # In place: DeepSeek-V3's w13 alone is 15 GB.
        w13 = torch.randn((e, n, h), device="cuda", dtype=torch.bfloat16).mul_(0.05)
        w13_file = os.path.join(work, "{}_w13.mlir".format(name))
        open(w13_file, "w").write(W13_TEMPLATE.format(name=name + "_w13", k=k, e=e, n=n, hid=h))
        best_cfg = {}
        for m in ms:
            gen.manual_seed(1000 + m)
            hidden = torch.randn((m, h), device="cuda", dtype=torch.bfloat16, generator=gen)
            topk_ids, _ = route(m, e, k, gen)
            active = int(torch.unique(topk_ids).numel())
            weight_bytes = active * n * h * 2
            row = {"model": title, "m": m, "experts": e, "n": n, "k": h, "top_k": k,
                   "active_experts": active, "weight_bytes": weight_bytes,
                   "flops": 2.0 * m * k * n * h,
                   "floor_ms": weight_bytes / (res["copy_gbs"] * 1e6)}
            cands, space = ordered_candidates(m, k, e)
            cands = (prune(args.moec, w13_file, cands, args.candidates, work)
                     if have_moec else cands[:args.candidates])
            row["space"] = space
            log("== {} w13 M={} ({} active experts)".format(title, m, active))
            row["torch_align_ms"] = time_ms(lambda: torch_align(topk_ids, e, 64))
            best, tri_all, wall = tune_triton(kernel, hidden, w13, topk_ids,
                                              triton_configs(cands), e, k)
            row.update(triton=best, triton_all=tri_all, triton_tune_s=wall)
            if have_moec:
                mbest, m_all, mwall = tune_moec(args.moec, w13_file, m, cands, work)
                row.update(moec=mbest, moec_all=m_all, moec_tune_s=mwall)
            best_cfg[m] = (best, row.get("moec"))
            res["w13"].append(row)
            save()
        del hidden
        if args.no_layer:
            del w13
            continue
        w2 = torch.randn((e, h, inter), device="cuda", dtype=torch.bfloat16).mul_(0.05)
        for m in ms:
            gen.manual_seed(2000 + m)
            hidden = torch.randn((m, h), device="cuda", dtype=torch.bfloat16, generator=gen)
            topk_ids, topk_w = route(m, e, k, gen)
            active = int(torch.unique(topk_ids).numel())
            tcfg, mcfg = best_cfg.get(m, (None, None))
            row = {"model": title, "m": m, "active_experts": active,
                   "floor_ms": active * 3 * inter * h * 2 / (res["copy_gbs"] * 1e6)}
            log("== {} layer M={}".format(title, m))
            if tcfg:
                try:
                    row["triton_ms"], row["triton_err"] = triton_layer(
                        kernel, hidden, w13, w2, topk_ids, topk_w, e, k, tcfg)
                    log("   triton layer {:.4f} ms (rel err {:.2e})".format(row["triton_ms"], row["triton_err"]))
                except Exception as ex:
                    row["triton_error"] = str(ex).splitlines()[0][:200]
            if have_moec and mcfg:
                rec, out, cmd = moec_bench(args.moec, os.path.join(ROOT, layer_file), m,
                                           moec_flags(mcfg), work, repeat=10)
                if rec:
                    row["moec_ms"] = rec["ms"]
                    row["moec_ops"] = [{"op": o["op"], "ms": o["ms"]} for o in rec["ops"]]
                    log("   moec layer {:.4f} ms".format(rec["ms"]))
                else:
                    row["moec_error"] = " | ".join(l for l in out.splitlines() if "error" in l or "FAIL" in l)[:300]
                    row["moec_cmd"] = cmd
                    log("   moec layer failed: " + row["moec_error"][:160])
            elif have_moec:
                row["moec_error"] = "no working w13 config"
            res["layer"].append(row)
            save()
        del w13, w2
        torch.cuda.empty_cache()
    save()
    md = summarize(res)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
