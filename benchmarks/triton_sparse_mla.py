#!/usr/bin/env python3
"""A Triton sparse MLA decode kernel with moec.sparse_attention's semantics.

Per query token t and head h: attend over the `topk` latent KV rows named by
indices[t, :] (flat rows of a paged cache [blocks, page, d_qk]; -1 or a row
outside the cache is skipped), s = scale * q . kv, out = softmax(s) @ kv[:, :d_v]
with an online softmax in f32, P rounded to the KV dtype before P x V (as
moec and FlashMLA do), lse = natural log-sum-exp; a row with no valid index
gives zeros and lse = -inf. One program per (token, BLOCK_H heads): the
gathered rows are loaded once for the head group. d_qk = d_v + rope, both
powers of two (512 + 64 for DeepSeek V3.2).

    python3 benchmarks/triton_sparse_mla.py --check         # numerics vs torch
    python3 benchmarks/triton_sparse_mla.py --bench --h-q 128 --batch 1,8 --json r.json

Used by benchmarks/mla_h100.sh, which times moec against it. Own code,
written for this repository.
"""

import argparse
import itertools
import json
import math
import sys

import torch
import triton
import triton.language as tl


@triton.jit
def _sparse_mla_decode(Q, KV, IDX, OUT, LSE, scale_log2, H, TOPK, R,
                       sqt, sqh, skv, sit, sot, soh,
                       D_V: tl.constexpr, D_R: tl.constexpr,
                       BLOCK_H: tl.constexpr, BLOCK_KV: tl.constexpr,
                       HAS_LSE: tl.constexpr):
    t = tl.program_id(0)
    hg = tl.program_id(1)
    offs_h = hg * BLOCK_H + tl.arange(0, BLOCK_H)
    hmask = offs_h < H
    offs_v = tl.arange(0, D_V)
    q_base = Q + t.to(tl.int64) * sqt + offs_h[:, None] * sqh
    q_nope = tl.load(q_base + offs_v[None, :], mask=hmask[:, None], other=0.0)
    if D_R > 0:
        offs_r = D_V + tl.arange(0, D_R)
        q_pe = tl.load(q_base + offs_r[None, :], mask=hmask[:, None], other=0.0)
    m_i = tl.full([BLOCK_H], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_H], tl.float32)
    acc = tl.zeros([BLOCK_H, D_V], tl.float32)
    idx_base = IDX + t.to(tl.int64) * sit
    for start in range(0, TOPK, BLOCK_KV):
        offs_k = start + tl.arange(0, BLOCK_KV)
        idx = tl.load(idx_base + offs_k, mask=offs_k < TOPK, other=-1)
        valid = (idx >= 0) & (idx < R)
        rows = tl.where(valid, idx, 0).to(tl.int64) * skv
        kv_nope = tl.load(KV + rows[:, None] + offs_v[None, :],
                          mask=valid[:, None], other=0.0)
        s = tl.dot(q_nope, tl.trans(kv_nope))
        if D_R > 0:
            kv_pe = tl.load(KV + rows[:, None] + offs_r[None, :],
                            mask=valid[:, None], other=0.0)
            s = tl.dot(q_pe, tl.trans(kv_pe), s)
        s = tl.where(valid[None, :], s * scale_log2, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)
        alpha = tl.exp2(m_i - m_safe)
        p = tl.exp2(s - m_safe[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        acc = acc * alpha[:, None]
        acc = tl.dot(p.to(kv_nope.dtype), kv_nope, acc)
        m_i = m_new
    pos = l_i > 0
    out = tl.where(pos[:, None], acc / tl.where(pos, l_i, 1.0)[:, None], 0.0)
    o_ptr = OUT + t.to(tl.int64) * sot + offs_h[:, None] * soh + offs_v[None, :]
    tl.store(o_ptr, out.to(OUT.dtype.element_ty), mask=hmask[:, None])
    if HAS_LSE:
        lse = tl.where(pos, (m_i + tl.log2(tl.where(pos, l_i, 1.0))) * 0.6931471805599453,
                       float("-inf"))
        tl.store(LSE + t.to(tl.int64) * H + offs_h, lse, mask=hmask)


def sparse_mla_decode(q, kv_cache, indices, scale, d_v, out=None, lse=None,
                      block_h=16, block_kv=32, num_warps=4, num_stages=2):
    """q [T, H, d_qk], kv_cache [blocks, page, d_qk], indices [T, topk] int32."""
    T, H, dqk = q.shape
    kv = kv_cache.reshape(-1, dqk)
    d_r = dqk - d_v
    assert d_v & (d_v - 1) == 0 and (d_r == 0 or d_r & (d_r - 1) == 0)
    if out is None:
        out = torch.empty(T, H, d_v, dtype=q.dtype, device=q.device)
    grid = (T, triton.cdiv(H, block_h))
    _sparse_mla_decode[grid](
        q, kv, indices, out, lse if lse is not None else out,
        scale * 1.4426950408889634, H, indices.shape[1], kv.shape[0],
        q.stride(0), q.stride(1), kv.stride(0), indices.stride(0),
        out.stride(0), out.stride(1),
        D_V=d_v, D_R=d_r, BLOCK_H=block_h, BLOCK_KV=block_kv,
        HAS_LSE=lse is not None, num_warps=num_warps, num_stages=num_stages)
    return out


def make_inputs(tokens, h_q, d_qk, topk, page, rows, dtype=torch.bfloat16,
                pattern="random", seed=0):
    g = torch.Generator(device="cuda").manual_seed(seed)
    q = (torch.rand(tokens, h_q, d_qk, generator=g, device="cuda") * 2 - 1).to(dtype)
    blocks = (rows + page - 1) // page
    kv = (torch.rand(blocks, page, d_qk, generator=g, device="cuda") * 2 - 1).to(dtype)
    idx = torch.randint(0, blocks * page, (tokens, topk), generator=g,
                        device="cuda", dtype=torch.int32)
    # moec run's "random" pattern: about 1 in 8 entries masked.
    holes = torch.randint(0, 8, (tokens, topk), generator=g, device="cuda") == 0
    idx[holes] = -1
    if pattern == "invalid":
        idx[0::2] = -1
    return q, kv, idx


def reference(q, kv_cache, idx, scale, d_v):
    kv = kv_cache.reshape(-1, kv_cache.shape[-1]).double()
    T, H, _ = q.shape
    out = torch.zeros(T, H, d_v, dtype=torch.float64, device=q.device)
    lse = torch.full((T, H), float("-inf"), dtype=torch.float64, device=q.device)
    for t in range(T):
        r = idx[t].long()
        r = r[(r >= 0) & (r < kv.shape[0])]
        if r.numel() == 0:
            continue
        k = kv[r]
        s = scale * (q[t].double() @ k.T)
        lse[t] = torch.logsumexp(s, 1)
        out[t] = torch.softmax(s, 1) @ k[:, :d_v]
    return out, lse


def check():
    ok = True
    for (T, H, dqk, dv, topk, page, pattern) in [
            (3, 16, 576, 512, 300, 64, "random"), (2, 128, 576, 512, 100, 1, "invalid"),
            (4, 16, 128, 64, 2048, 64, "random")]:
        q, kv, idx = make_inputs(T, H, dqk, topk, page, max(2 * topk, 256),
                                 pattern=pattern, seed=T)
        scale = 1 / math.sqrt(192)
        lse = torch.empty(T, H, device="cuda", dtype=torch.float32)
        out = sparse_mla_decode(q, kv, idx, scale, dv, lse=lse)
        ro, rl = reference(q, kv, idx, scale, dv)
        err = (out.double() - ro).abs().max().item() / max(ro.abs().max().item(), 1e-30)
        fin = torch.isfinite(rl)
        lerr = (lse.double() - rl)[fin].abs().max().item() if fin.any() else 0.0
        bad = (~torch.isfinite(out)).sum().item() + (lse[~fin] != float("-inf")).sum().item()
        good = err < 1 / 64 and lerr < 1e-4 and bad == 0
        ok &= good
        print("triton check T={} H={} d={}/{} topk={} {}: rel_err {:.2e} lse_err {:.2e} "
              "bad {} -> {}".format(T, H, dqk, dv, topk, pattern, err, lerr, bad,
                                   "PASS" if good else "FAIL"))
    return ok


def time_ms(fn, warmup=10, repeat=50):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        a, b = torch.cuda.Event(True), torch.cuda.Event(True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


def bench(h_q, batches, topk, d_qk, d_v, page, configs):
    res = []
    scale = 1 / math.sqrt(192)
    for T in batches:
        rows = min(max(2 * topk, T * topk), 1 << 20)  # as moec run
        q, kv, idx = make_inputs(T, h_q, d_qk, topk, page, rows)
        out = torch.empty(T, h_q, d_v, dtype=q.dtype, device="cuda")
        lse = torch.empty(T, h_q, dtype=torch.float32, device="cuda")
        valid = ((idx >= 0) & (idx < kv.shape[0] * kv.shape[1])).sum().item()
        nbytes = valid * d_qk * 2 + q.numel() * 2 + out.numel() * 2 + lse.numel() * 4
        best = None
        for bh, bkv, w, s in configs:
            if bh > max(16, h_q):
                continue
            try:
                ms = time_ms(lambda: sparse_mla_decode(
                    q, kv, idx, scale, d_v, out, lse, bh, bkv, w, s))
            except Exception as e:  # out of resources: skip the config
                print("  config", (bh, bkv, w, s), "failed:", str(e).splitlines()[0][:100],
                      file=sys.stderr)
                continue
            if best is None or ms < best[0]:
                best = (ms, (bh, bkv, w, s))
        ms, cfg = best
        res.append({"impl": "triton", "tokens": T, "h_q": h_q, "topk": topk,
                    "d_qk": d_qk, "d_v": d_v, "page": page, "ms": ms,
                    "gbps": nbytes / ms / 1e6,
                    "config": "block_h={} block_kv={} num_warps={} num_stages={}".format(*cfg)})
        print(json.dumps(res[-1]), flush=True)
    return res


def copy_bandwidth():
    x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    ms = time_ms(lambda: y.copy_(x), 3, 20)
    return 2 * x.numel() / ms / 1e6  # GB/s, bytes read + written


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--copy", action="store_true", help="device copy bandwidth")
    ap.add_argument("--h-q", type=int, default=128)
    ap.add_argument("--batch", default="1,8,64,256,1024")
    ap.add_argument("--topk", type=int, default=2048)
    ap.add_argument("--d-qk", type=int, default=576)
    ap.add_argument("--d-v", type=int, default=512)
    ap.add_argument("--page", type=int, default=64)
    ap.add_argument("--quick", action="store_true", help="fewer configs")
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    rc = 0
    out = []
    if a.check and not check():
        rc = 1
    if a.copy:
        bw = copy_bandwidth()
        print(json.dumps({"impl": "copy", "gbps": bw}))
        out.append({"impl": "copy", "gbps": bw})
    if a.bench:
        configs = list(itertools.product([16, 32, 64], [16, 32, 64], [4, 8], [1, 2]))
        if a.quick:
            configs = [(16, 32, 4, 2), (32, 32, 4, 2), (64, 32, 8, 2), (16, 64, 4, 1)]
        out += bench(a.h_q, [int(b) for b in a.batch.split(",")], a.topk, a.d_qk,
                     a.d_v, a.page, configs)
    if a.json:
        with open(a.json, "a") as f:
            for r in out:
                f.write(json.dumps(r) + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
