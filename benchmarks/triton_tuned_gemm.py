#!/usr/bin/env python3
"""The Triton peer of `moec tune` (issue 10): a bf16 Triton matmul tuned over
its own config list, the way Triton users tune (a config list of the Triton
tutorial / vLLM kind, each timed with triton.testing.do_bench), on the shapes
of benchmarks/tune_h100.sh, in the same call as moec's tuning.

    python3 benchmarks/triton_tuned_gemm.py [--shapes 4096x4096x4096,...]
            [--out DIR] [--jobs N] [--warmup-ms 5] [--rep-ms 20]
            [--budget-s 120] [--max-configs N]
    python3 benchmarks/triton_tuned_gemm.py --dry-run   # the plan, no GPU

C[M,N] = A[M,K] @ W[N,K]^T (bf16 in and out, f32 accumulation; W as
nn.Linear keeps it), the layout of benchmarks/gemm_bf16_nk.mlir.

What is measured, per run:
- compile: every config of the list that some shape keeps is compiled once
  (all shapes share one kernel specialization: every size is a multiple of
  16, as Triton specializes), in parallel in --jobs worker processes that
  share a fresh TRITON_CACHE_DIR (cold cache, as a first tuning run);
  wall time, configs/s, configs that failed (e.g. out of shared memory);
- per shape, the tuning: each kept config timed with triton.testing.do_bench
  (its own L2 clearing, mean over the window), --warmup-ms/--rep-ms each
  (Triton's autotuner default is 25/100 ms: set those to match it);
  the wall time of this loop is the shape's tuning time (the first shape
  also paid the compile);
- per shape, the winner checked against torch.matmul (f32 reference) and
  re-timed the way `moec bench` times (5 warm-up launches, median of 20
  launches each between two CUDA events, inputs rotated over enough copies
  to exceed 128 MB, each launch queued behind a short GPU sleep so that
  Python's launch cost is not timed): the time compared with moec's.

Environment defaults for the flags: TRITON_TUNE_SHAPES, TRITON_TUNE_JOBS,
TRITON_TUNE_WARMUP_MS, TRITON_TUNE_REP_MS, TRITON_TUNE_BUDGET_S,
TRITON_TUNE_MAX_CONFIGS. Writes DIR/triton_tuned_gemm.json (DIR: --out, else
$OUT, else ./triton_tuned_out) and prints a markdown table.
"""

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time

SHAPES = [(4096, 4096, 4096), (8192, 8192, 8192), (256, 14336, 4096), (16, 4096, 4096)]

# The config list: tiles of the Triton tutorial / vLLM's compute-bound list
# (BLOCK_M 16..256, BLOCK_N 32..256, BLOCK_K 32..128), GROUP_M 8, num_warps
# 4/8, num_stages 2/3/4; those that cannot fit the H100 (shared memory over
# 227 KiB, more than 256 f32 accumulators per thread) are left out.
SMEM_LIMIT = 227 * 1024
CONFIG_KEYS = ("BLOCK_M", "BLOCK_N", "BLOCK_K", "GROUP_M", "num_warps", "num_stages")


def config_list():
    out = []
    for bm, bn, bk, w, s in itertools.product(
            (16, 32, 64, 128, 256), (32, 64, 128, 256), (32, 64, 128), (4, 8), (2, 3, 4)):
        if s * (bm + bn) * bk * 2 > SMEM_LIMIT:
            continue
        if bm * bn // (32 * w) > 256:
            continue
        if bm * bn < 32 * w * 4:  # fewer than 4 outputs per thread
            continue
        out.append(dict(zip(CONFIG_KEYS, (bm, bn, bk, 8, w, s))))
    return out


def configs_for_shape(configs, m, n, k):
    """The rules `moec tune` applies to its own space (pruneForShape): no
    tile over twice the problem in M or N (the smallest tile always stays),
    no K step over K, no tile under 64 in M or N on a large problem."""
    min_bm = min(c["BLOCK_M"] for c in configs)
    min_bn = min(c["BLOCK_N"] for c in configs)
    large = m >= 2048 and n >= 2048
    kept = []
    for c in configs:
        bm, bn, bk = c["BLOCK_M"], c["BLOCK_N"], c["BLOCK_K"]
        if (bm > 2 * m and bm != min_bm) or (bn > 2 * n and bn != min_bn):
            continue
        if bk > k:
            continue
        if large and (bm < 64 or bn < 64):
            continue
        kept.append(c)
    return kept


def cfg_label(c):
    return "%d/%d/%d g%d w%d s%d" % tuple(c[k] for k in CONFIG_KEYS)


def cfg_key(c):
    return tuple(c[k] for k in CONFIG_KEYS)


try:  # the kernel needs Triton; --dry-run does not
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - the build machine has no Triton
    triton = None

if triton is not None:

    @triton.jit
    def _matmul_nt(a_ptr, w_ptr, c_ptr, M, N, K,
                   stride_am, stride_ak, stride_wn, stride_wk, stride_cm, stride_cn,
                   BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                   GROUP_M: tl.constexpr):
        # Grouped ordering of the output tiles (L2 reuse), then a K loop.
        pid = tl.program_id(0)
        tiles_m = tl.cdiv(M, BLOCK_M)
        tiles_n = tl.cdiv(N, BLOCK_N)
        per_group = GROUP_M * tiles_n
        group = pid // per_group
        first_m = group * GROUP_M
        rows = min(tiles_m - first_m, GROUP_M)
        pid_m = first_m + ((pid % per_group) % rows)
        pid_n = (pid % per_group) // rows
        rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        rk = tl.arange(0, BLOCK_K)
        a_ptrs = a_ptr + rm[:, None] * stride_am + rk[None, :] * stride_ak
        w_ptrs = w_ptr + rn[None, :] * stride_wn + rk[:, None] * stride_wk
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        for kk in range(0, tl.cdiv(K, BLOCK_K)):
            left = K - kk * BLOCK_K
            a = tl.load(a_ptrs, mask=(rm[:, None] < M) & (rk[None, :] < left), other=0.0)
            b = tl.load(w_ptrs, mask=(rn[None, :] < N) & (rk[:, None] < left), other=0.0)
            acc = tl.dot(a, b, acc)
            a_ptrs += BLOCK_K * stride_ak
            w_ptrs += BLOCK_K * stride_wk
        c_ptrs = c_ptr + rm[:, None] * stride_cm + rn[None, :] * stride_cn
        tl.store(c_ptrs, acc.to(tl.bfloat16), mask=(rm[:, None] < M) & (rn[None, :] < N))


def launch(cfg, a, w, c):
    m, k = a.shape
    n = w.shape[0]
    grid = (triton.cdiv(m, cfg["BLOCK_M"]) * triton.cdiv(n, cfg["BLOCK_N"]),)
    _matmul_nt[grid](a, w, c, m, n, k,
                     a.stride(0), a.stride(1), w.stride(0), w.stride(1),
                     c.stride(0), c.stride(1),
                     BLOCK_M=cfg["BLOCK_M"], BLOCK_N=cfg["BLOCK_N"],
                     BLOCK_K=cfg["BLOCK_K"], GROUP_M=cfg["GROUP_M"],
                     num_warps=cfg["num_warps"], num_stages=cfg["num_stages"])


# ---------------------------------------------------------------------------
# Parallel compile: worker processes launch each config once on a small
# problem of the same specialization (sizes multiples of 16), which compiles
# it into the shared TRITON_CACHE_DIR.
# ---------------------------------------------------------------------------
_WORK = {}


def _worker_init():
    import torch
    torch.cuda.set_device(0)
    g = torch.Generator(device="cuda").manual_seed(0)
    _WORK["a"] = torch.randn(256, 256, device="cuda", dtype=torch.bfloat16, generator=g)
    _WORK["w"] = torch.randn(256, 256, device="cuda", dtype=torch.bfloat16, generator=g)
    _WORK["c"] = torch.empty(256, 256, device="cuda", dtype=torch.bfloat16)


def _compile_one(cfg):
    import torch
    t0 = time.perf_counter()
    try:
        launch(cfg, _WORK["a"], _WORK["w"], _WORK["c"])
        torch.cuda.synchronize()
        return cfg, time.perf_counter() - t0, None
    except Exception as e:  # out of resources and the like: not a candidate
        return cfg, time.perf_counter() - t0, "%s: %s" % (type(e).__name__, str(e)[:300])


def compile_all(configs, jobs):
    import concurrent.futures as cf
    import multiprocessing as mp
    t0 = time.perf_counter()
    ok, failed, cpu = [], [], 0.0
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"),
                                initializer=_worker_init) as pool:
        for cfg, secs, err in pool.map(_compile_one, configs):
            cpu += secs
            (failed if err else ok).append((cfg, err))
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "jobs": jobs, "configs": len(configs), "ok": len(ok),
            "failed": len(failed), "per_s": len(configs) / wall if wall > 0 else 0,
            "worker_s": cpu, "failures": [cfg_label(c) + ": " + e for c, e in failed[:10]]}, \
        {cfg_key(c) for c, _ in ok}


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------
def make_inputs(m, n, k, copies):
    import torch
    g = torch.Generator(device="cuda").manual_seed(1234)
    sets = []
    for _ in range(copies):
        a = (torch.rand(m, k, device="cuda", generator=g) * 2 - 1).to(torch.bfloat16)
        w = (torch.rand(n, k, device="cuda", generator=g) * 2 - 1).to(torch.bfloat16)
        sets.append((a, w))
    return sets, torch.empty(m, n, device="cuda", dtype=torch.bfloat16)


def copies_for(m, n, k):
    # As `moec bench` and `moec tune`: enough copies to exceed 128 MB.
    in_bytes = 2 * (m * k + n * k)
    return max(1, min(16, (128 << 20) // max(in_bytes, 1) + 1))


def time_like_moec(cfg, sets, c, warmup=5, repeat=20):
    """Median of `repeat` launches, each between two CUDA events, inputs
    rotated, after `warmup` launches; a GPU sleep queued before each launch
    keeps the GPU behind the host, so the events time the kernel only."""
    import torch
    sleep = getattr(torch.cuda, "_sleep", None)
    for i in range(warmup):
        a, w = sets[i % len(sets)]
        launch(cfg, a, w, c)
    ev = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
          for _ in range(repeat)]
    for i in range(repeat):
        a, w = sets[(warmup + i) % len(sets)]
        if sleep:
            sleep(100000)  # ~50 us at H100 clocks
        ev[i][0].record()
        launch(cfg, a, w, c)
        ev[i][1].record()
    torch.cuda.synchronize()
    return statistics.median(s.elapsed_time(e) for s, e in ev)


def check(cfg, a, w, c):
    """Against torch (f32 accumulation): the max error relative to the
    largest reference value, under bf16's 1/128 (as moec checks)."""
    import torch
    c.fill_(float("nan"))
    launch(cfg, a, w, c)
    ref = a.float() @ w.float().t()
    err = (c.float() - ref).abs().max().item()
    rel = err / max(ref.abs().max().item(), 1e-30)
    return rel == rel and rel <= 1.0 / 128, rel


def tune_shape(shape, configs, compiled, args, deadline):
    import torch
    from triton.testing import do_bench
    m, n, k = shape
    sets, c = make_inputs(m, n, k, copies_for(m, n, k))
    a0, w0 = sets[0]
    t0 = time.perf_counter()
    results, stopped = [], False
    for cfg in configs:
        if cfg_key(cfg) not in compiled:
            continue
        if time.perf_counter() > deadline:
            stopped = True
            break
        try:
            ms = do_bench(lambda: launch(cfg, a0, w0, c), warmup=args.warmup_ms, rep=args.rep_ms)
        except Exception as e:  # a launch failure at this shape
            print("  %s: %s" % (cfg_label(cfg), e), file=sys.stderr)
            continue
        if isinstance(ms, (list, tuple)):
            ms = ms[0]
        results.append((float(ms), cfg))
    tune_wall = time.perf_counter() - t0
    results.sort(key=lambda r: r[0])
    out = {"shape": [m, n, k], "configs": len(configs), "timed": len(results),
           "stopped_at_budget": stopped, "tune_wall_s": tune_wall}
    for ms, cfg in results:  # the fastest that passes the check
        ok, rel = check(cfg, a0, w0, c)
        if not ok:
            out.setdefault("wrong", []).append(cfg_label(cfg))
            continue
        best_ms = time_like_moec(cfg, sets, c)
        out.update({"best_config": cfg, "best_label": cfg_label(cfg),
                    "do_bench_ms": ms, "ms": best_ms,
                    "tflops": 2.0 * m * n * k / (best_ms * 1e-3) / 1e12,
                    "max_rel_err": rel})
        break
    del sets, c
    torch.cuda.empty_cache()
    return out


def env(name, default):
    return os.environ.get(name, default)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shapes", default=env("TRITON_TUNE_SHAPES", ""))
    p.add_argument("--out", default="")
    p.add_argument("--jobs", type=int, default=int(env("TRITON_TUNE_JOBS", "0")))
    p.add_argument("--warmup-ms", type=float, default=float(env("TRITON_TUNE_WARMUP_MS", "5")))
    p.add_argument("--rep-ms", type=float, default=float(env("TRITON_TUNE_REP_MS", "20")))
    p.add_argument("--budget-s", type=float, default=float(env("TRITON_TUNE_BUDGET_S", "120")))
    p.add_argument("--max-configs", type=int, default=int(env("TRITON_TUNE_MAX_CONFIGS", "0")))
    p.add_argument("--dry-run", action="store_true")
    args = p.parse_args()
    shapes = SHAPES
    if args.shapes:
        shapes = [tuple(int(x) for x in s.lower().split("x")) for s in args.shapes.split(",")]
    configs = config_list()
    if args.max_configs:
        configs = configs[:args.max_configs]
    per_shape = {s: configs_for_shape(configs, *s) for s in shapes}
    needed = [c for c in configs if any(cfg_key(c) in {cfg_key(x) for x in v} for v in per_shape.values())]
    print("triton_tuned_gemm: %d configs in the list, %d kept by some shape; per shape: %s"
          % (len(configs), len(needed), ", ".join("%dx%dx%d: %d" % (s + (len(v),)) for s, v in per_shape.items())),
          flush=True)
    if args.dry_run:
        return 0
    if triton is None:
        print("triton_tuned_gemm: Triton is not installed", file=sys.stderr)
        return 2
    import torch
    out_dir = args.out or os.environ.get("OUT") or "triton_tuned_out"
    os.makedirs(out_dir, exist_ok=True)
    # A cold cache of our own, shared by the compile workers and this process.
    cache = tempfile.mkdtemp(prefix="triton-tune-cache-")
    os.environ["TRITON_CACHE_DIR"] = cache
    jobs = args.jobs or os.cpu_count() or 1
    t_start = time.perf_counter()
    deadline = t_start + args.budget_s
    comp, compiled = compile_all(needed, jobs)
    print("compile: %d configs in %.1f s on %d processes (%.1f configs/s), %d failed"
          % (comp["configs"], comp["wall_s"], jobs, comp["per_s"], comp["failed"]), flush=True)
    torch.cuda.set_device(0)
    rows = []
    for s in shapes:
        try:
            r = tune_shape(s, per_shape[s], compiled, args, deadline)
        except Exception as e:  # keep the other shapes and the JSON
            r = {"shape": list(s), "configs": len(per_shape[s]), "timed": 0,
                 "stopped_at_budget": False, "tune_wall_s": 0.0,
                 "error": "%s: %s" % (type(e).__name__, str(e)[:500])}
            print("%dx%dx%d: %s" % (tuple(s) + (r["error"],)), file=sys.stderr)
        rows.append(r)
        print("%dx%dx%d: %d configs, %d timed in %.1f s%s; best %s %.4f ms (do_bench %.4f ms)"
              % (tuple(s) + (r["configs"], r["timed"], r["tune_wall_s"],
                             " (budget reached)" if r["stopped_at_budget"] else "",
                             r.get("best_label", "-"), r.get("ms", float("nan")),
                             r.get("do_bench_ms", float("nan")))), flush=True)
    if rows:
        rows[0]["tune_wall_with_compile_s"] = rows[0]["tune_wall_s"] + comp["wall_s"]
    result = {"device": torch.cuda.get_device_name(0), "triton": triton.__version__,
              "torch": torch.__version__, "configs_in_list": len(configs),
              "configs_compiled": len(needed), "compile": comp,
              "method": {"tuning": "triton.testing.do_bench(warmup=%g ms, rep=%g ms)"
                                   % (args.warmup_ms, args.rep_ms),
                         "winner": "median of 20 launches after 5 warm-up, CUDA events per "
                                   "launch, inputs rotated past the L2 (as moec bench)"},
              "total_wall_s": time.perf_counter() - t_start, "shapes": rows}
    path = os.path.join(out_dir, "triton_tuned_gemm.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
    print("| shape | configs | timed | tuning s | best config | ms | TFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %d | %.1f | %s | %s | %s |" % (
            "x".join(map(str, r["shape"])), r["configs"], r["timed"], r["tune_wall_s"],
            r.get("best_label", "-"), "%.4f" % r["ms"] if "ms" in r else "-",
            "%.0f" % r["tflops"] if "tflops" in r else "-"))
    print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
