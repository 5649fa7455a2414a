#!/usr/bin/env python3
"""moec.sparse_mla_decode (Jit::sparseMlaDecode) on a CUDA device with torch
tensors: numerics against a float64 torch reference, and where each call's
config came from (the tuning database when MOEC_TUNING_DB has the shape's
file, else the per-shape table), plus the time of a cache-hit call.

    MOEC_LIBRARY=/tmp/moec/lib/libmoec.so PYTHONPATH=/tmp/moec/python \\
        python3 benchmarks/mla_jit_h100.py --json OUT.jsonl

h_q 16 and 128, d_qk 576, d_v 512, page 64, topk 2048, batch 1, 8, 64 (and
--batches): random index rows with about 1 in 8 entries -1 and one all -1
row (zeros, lse = -inf). Exit status 1 if a case fails.
"""
import argparse
import json
import math
import sys
import time

import torch

import moec


def reference(q, kv, idx, scale, d_v):
    T, H, D = q.shape
    rows = kv.reshape(-1, D).double()
    out = torch.zeros(T, H, d_v, dtype=torch.float64, device=q.device)
    lse = torch.full((T, H), -math.inf, dtype=torch.float64, device=q.device)
    for t in range(T):
        sel = idx[t][idx[t] >= 0].long()
        if sel.numel() == 0:
            continue
        k = rows[sel]
        s = scale * (q[t].double() @ k.T)
        m = s.max(dim=1, keepdim=True).values
        p = torch.exp(s - m)
        l = p.sum(dim=1, keepdim=True)
        out[t] = (p @ k[:, :d_v]) / l
        lse[t] = (m + torch.log(l))[:, 0]
    return out, lse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", default=None)
    ap.add_argument("--batches", default="1,8,64")
    ap.add_argument("--heads", default="16,128")
    ap.add_argument("--topk", type=int, default=2048)
    ap.add_argument("--page", type=int, default=64)
    args = ap.parse_args()
    dev = torch.device("cuda", 0)
    torch.manual_seed(0)
    D, DV, scale = 576, 512, 0.0721687836
    status = 0
    lines = []
    for h in [int(x) for x in args.heads.split(",")]:
        for T in [int(x) for x in args.batches.split(",")]:
            rows = min(max(2 * args.topk, T * args.topk), 1 << 20)
            blocks = (rows + args.page - 1) // args.page
            q = (torch.rand(T, h, D, device=dev) * 2 - 1).to(torch.bfloat16)
            kv = (torch.rand(blocks, args.page, D, device=dev) * 2 - 1).to(torch.bfloat16)
            idx = torch.randint(0, blocks * args.page, (T, args.topk), device=dev,
                                dtype=torch.int32)
            idx[torch.rand(T, args.topk, device=dev) < 0.125] = -1
            if T > 1:
                idx[1] = -1
            lse = torch.empty(T, h, device=dev, dtype=torch.float32)
            out = moec.sparse_mla_decode(q, kv, idx, lse=lse, d_v=DV, scale=scale)
            torch.cuda.synchronize()
            v = moec.last_variant()
            check = list(range(T)) if T <= 8 else [0, 1, T // 2, T - 1]
            ref, ref_lse = reference(q[check], kv, idx[check], float(torch.tensor(scale,
                                     dtype=torch.float32)), DV)
            got = out[check].double()
            err = ((got - ref).abs().max() / ref.abs().max().clamp_min(1e-30)).item()
            finite = ref_lse.isfinite()
            lerr = (lse[check].double()[finite] - ref_lse[finite]).abs().max().item() \
                if finite.any() else 0.0
            empty_ok = bool(torch.all(out[1] == 0).item() and
                            torch.all(torch.isneginf(lse[1])).item()) if T > 1 else True
            ok = err <= 1 / 64 and lerr <= 1e-4 and empty_ok and \
                bool(torch.isfinite(got).all().item())
            # A cache-hit call's wall time (host + launch; the kernel's time
            # is moec bench's business).
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(20):
                moec.sparse_mla_decode(q, kv, idx, out, lse, d_v=DV, scale=scale)
            torch.cuda.synchronize()
            us = (time.perf_counter() - t0) / 20 * 1e6
            r = {"h_q": h, "tokens": T, "topk": args.topk, "page": args.page,
                 "rel_err": err, "lse_err": lerr, "empty_rows_ok": empty_ok,
                 "result": "PASS" if ok else "FAIL", "config": v["config"],
                 "config_source": v["config_source"], "kernel": v["kernel"],
                 "call_us": us}
            print(json.dumps(r))
            lines.append(r)
            if not ok:
                status = 1
    if args.json:
        with open(args.json, "a") as f:
            for r in lines:
                f.write(json.dumps(dict(r, kind="jit")) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
