#!/usr/bin/env python3
"""Per-op config sweep of whole MoE layers on the GPU: which moe_gemm config
reads the weights fastest, for w13 and w2 separately, at each token count.

    python3 benchmarks/moe_configs_h100.py --moec /tmp/moec/bin/moec --out $OUT \
        [--layers mixtral,deepseek] [--ms 64,256] [--arch sm_90] [--budget 420]
        [--configs "m,n,k,g,w,s,async;..."]

`moec bench FILE --tokens M --routing uniform` times every op of a layer
file; the config flags set every op's config, so one run gives the w13 and
the w2 time of that config, and the best config of each op is chosen
independently (what the JIT's per-op table needs). The weight floor of an op
is its active experts' weights read once at the copy bandwidth measured in
the same run (torch, 1 GiB, bytes read + written); "% copy" is floor / time.
Writes OUT/moe_configs.jsonl (every run) and OUT/moe_configs.md (best per op).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

LAYERS = {
    "mixtral": "examples/moe/mixtral_8x7b_tp1_fused.mlir",
    "deepseek": "examples/moe/deepseek_v3_tp1.mlir",
}

# (block_m, block_n, block_k, group_m, num_warps, num_stages, async_copy):
# small-M rows (16/32) with deep K pipelines; the tuner's winners of
# NOTES.md (m16 n64 k256 s4 async at 16 tokens, m128 n256 k64 w8 s4 async
# at 256); and large-M rows.
CONFIGS = [
    (16, 64, 128, 1, 4, 3, 0), (16, 64, 256, 1, 4, 4, 1), (16, 128, 128, 1, 4, 4, 1),
    (16, 64, 128, 1, 4, 4, 1), (16, 128, 64, 1, 4, 4, 1), (16, 256, 64, 1, 4, 4, 1),
    (32, 64, 128, 1, 4, 4, 1), (32, 128, 64, 1, 4, 4, 1), (32, 128, 128, 1, 4, 3, 1),
    (32, 64, 256, 1, 4, 3, 1), (32, 256, 64, 1, 8, 4, 1),
    (64, 64, 128, 1, 4, 4, 1), (64, 128, 64, 1, 4, 4, 1), (64, 128, 64, 8, 4, 3, 1),
    (64, 256, 64, 1, 8, 4, 1), (64, 128, 128, 1, 8, 3, 1), (64, 256, 64, 8, 8, 3, 1),
    (128, 256, 64, 1, 8, 4, 1), (128, 128, 64, 1, 8, 4, 1), (128, 128, 64, 8, 4, 3, 1),
    (128, 256, 64, 8, 8, 3, 1), (128, 64, 64, 8, 4, 4, 1),
]


def flags(c):
    bm, bn, bk, g, w, s, a = c
    f = ["--block-m", str(bm), "--block-n", str(bn), "--block-k", str(bk),
         "--group-m", str(g), "--num-warps", str(w), "--num-stages", str(s)]
    return f + (["--async-copy"] if a else [])


def copy_gbs():
    import torch
    x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    y = torch.empty_like(x)
    for _ in range(3):
        y.copy_(x)
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(20):
        y.copy_(x)
    torch.cuda.synchronize()
    return 2 * (1 << 30) * 20 / (time.perf_counter() - t) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moec", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", default="mixtral,deepseek")
    ap.add_argument("--ms", default="64,256")
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--configs", default="",
                    help="m,n,k,g,w,s,async;... instead of the built-in list")
    ap.add_argument("--budget", type=float, default=420.0,
                    help="seconds for the whole sweep; configs left are skipped")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    configs = [tuple(int(v) for v in c.split(",")) for c in args.configs.split(";") if c] \
        or CONFIGS
    gbs = copy_gbs()
    print("copy bandwidth {:.0f} GB/s".format(gbs), flush=True)
    t0 = time.monotonic()
    rows = []
    work = tempfile.mkdtemp()
    log = open(os.path.join(args.out, "moe_configs.jsonl"), "w")
    for layer in args.layers.split(","):
        for m in [int(x) for x in args.ms.split(",")]:
            for c in configs:
                if time.monotonic() - t0 > args.budget:
                    print("budget spent; skipping the rest", flush=True)
                    break
                js = os.path.join(work, "b.jsonl")
                if os.path.exists(js):
                    os.remove(js)
                cmd = [args.moec, "bench", LAYERS[layer], "--arch", args.arch,
                       "--tokens", str(m), "--routing", "uniform", "--seed", "1",
                       "--warmup", "5", "--repeat", "20", "--json", js] + flags(c)
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
                if p.returncode != 0 or not os.path.exists(js):
                    err = [l for l in (p.stdout + p.stderr).splitlines() if "error" in l][:1]
                    print("{} M{} {} rejected: {}".format(layer, m, c, " ".join(err)[:150]),
                          flush=True)
                    continue
                rec = json.loads([l for l in open(js) if l.strip()][-1])
                gemms = [o for o in rec["ops"] if o["op"] == "moe_gemm"]
                for i, o in enumerate(gemms):
                    floor = o["weight_bytes"] / gbs / 1e6
                    r = dict(layer=layer, m=m, op="w13" if i == 0 else "w2", cfg=c,
                             ms=o["ms"], floor_ms=floor, pct_copy=floor / o["ms"])
                    rows.append(r)
                    log.write(json.dumps(r) + "\n")
                print("{} M{} {}: {}".format(layer, m, c, ", ".join(
                    "{} {:.4f} ms ({:.0%})".format(r["op"], r["ms"], r["pct_copy"])
                    for r in rows[-len(gemms):])), flush=True)
    with open(os.path.join(args.out, "moe_configs.md"), "w") as md:
        md.write("copy {:.0f} GB/s\n\n| layer | M | op | best config (m,n,k,g,w,s,async) | ms |"
                 " % copy | 2nd | ms |\n|---|---|---|---|---|---|---|---|\n".format(gbs))
        keys = sorted({(r["layer"], r["m"], r["op"]) for r in rows})
        for k in keys:
            rs = sorted([r for r in rows if (r["layer"], r["m"], r["op"]) == k],
                        key=lambda r: r["ms"])
            sec = rs[1] if len(rs) > 1 else None
            md.write("| {} | {} | {} | {} | {:.4f} | {:.0%} | {} | {} |\n".format(
                k[0], k[1], k[2], rs[0]["cfg"], rs[0]["ms"], rs[0]["pct_copy"],
                sec["cfg"] if sec else "-", "{:.4f}".format(sec["ms"]) if sec else "-"))
    print(open(os.path.join(args.out, "moe_configs.md")).read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
