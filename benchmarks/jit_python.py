#!/usr/bin/env python3
"""The moec Python module on the H100: numerics sweep, launch overhead, and
the GEMM table against torch (cuBLAS) and Triton, all in one process.

    MOEC_LIBRARY=<bundle>/lib/libmoec.so PYTHONPATH=<bundle>/python \\
        python3 benchmarks/jit_python.py [--out DIR] [--steps numerics,overhead,table]
            [--shapes 4096x4096x4096,...] [--budget-ms 150]

numerics  moec.gemm over M in {1, 7, 16, 33, 100, 257, 1024}, bf16/f16 inputs,
          bf16/f16/f32 outputs, B as K x N or as a transposed N x K weight,
          bias and activations, aligned and unaligned leading dimensions;
          each against an f32 torch reference (poisoned output first).
overhead  host time per call on a cache hit, from Python: moec.Jit.gemm,
          torch.mm(out=), a cached Triton launch, same tiny problem
          (M=16, N=K=128 bf16), median over bursts of 256 calls (shorter
          than the launch queue), synchronized between bursts outside the
          timed region.
          Goal: moec < 8 us per call.
table     the GEMM table of gemm_peers_h100.py (bf16, B = N x K weight used
          transposed), each timed the same way (CUDA graphs of back-to-back
          calls, inputs rotated past the L2), moec through the Python module
          with its heuristic config and with a few overrides (best kept).

Writes DIR/jit_python.json and DIR/jit_python.md (DIR: --out, else $OUT,
else ./jit_python_out) and prints the markdown. Exit status 1 if a numerics
case failed.
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import gemm_peers_h100 as peers  # noqa: E402

OVERRIDES = [
    "block_m = 128, block_n = 128, block_k = 64, num_warps = 4, num_stages = 3",
    "block_m = 128, block_n = 256, block_k = 64, num_warps = 8, num_stages = 3",
    "block_m = 64, block_n = 128, block_k = 64, num_warps = 4, num_stages = 3",
    "block_m = 16, block_n = 128, block_k = 128, num_warps = 4, num_stages = 3",
]


def log(*a):
    print(*a, flush=True)


def numerics(torch, moec):
    dev = torch.device("cuda")
    cases = []
    dts = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}
    for m in (1, 7, 16, 33, 100, 257, 1024):
        for (n, k) in ((256, 512), (96, 200), (4096, 1024), (130, 66)):
            for dt in ("bf16", "f16"):
                for out in (dt, "f32"):
                    for layout in ("kn", "nk"):
                        cases.append((m, n, k, dt, out, layout, None, "none"))
    for act in ("relu", "silu", "gelu", "gelu_tanh"):
        for bias_dt in ("f32", "bf16"):
            cases.append((33, 256, 512, "bf16", "bf16", "nk", bias_dt, act))
    torch.manual_seed(0)
    rows, failures = [], 0
    for (m, n, k, dt, out, layout, bias_dt, act) in cases:
        a = torch.randn(m, k, device=dev, dtype=dts[dt])
        if layout == "kn":
            b = torch.randn(k, n, device=dev, dtype=dts[dt])
        else:
            b = torch.randn(n, k, device=dev, dtype=dts[dt]).t()
        bias = torch.randn(n, device=dev, dtype=dts[bias_dt]) if bias_dt else None
        c = torch.full((m, n), float("nan"), device=dev, dtype=dts[out])
        err = None
        try:
            moec.gemm(a, b, out=c, bias=bias, activation=act)
            torch.cuda.synchronize()
            ref = a.float() @ b.float()
            if bias is not None:
                ref = ref + bias.float()
            ref = {"none": lambda x: x, "relu": torch.relu,
                   "silu": torch.nn.functional.silu,
                   "gelu": torch.nn.functional.gelu,
                   "gelu_tanh": lambda x: torch.nn.functional.gelu(x, approximate="tanh")}[act](ref)
            rel = peers.rel_err(torch, c, ref)
            # bf16 output keeps 8 bits, f16 11; f32 output: accumulation only.
            tol = {"bf16": 1e-2, "f16": 2e-3, "f32": 1e-3}[out]
            ok = rel <= tol
            v = moec.last_variant()
        except Exception as ex:  # a refused case is a failure too
            rel, ok, v, err = float("inf"), False, {}, str(ex)[:300]
        failures += not ok
        rows.append({"m": m, "n": n, "k": k, "dtype": dt, "out": out, "b": layout,
                     "bias": bias_dt, "act": act, "rel_err": rel, "ok": ok,
                     "aligned": v.get("aligned"), "config": v.get("config"), "error": err})
        if not ok:
            log("  FAIL", rows[-1])
    log("numerics: %d cases, %d failed" % (len(rows), failures))
    return rows, failures


def capture(torch, moec):
    """A cache miss during CUDA graph capture is an error; a hit is captured
    and replays correctly."""
    dev = torch.device("cuda")
    a = torch.randn(16, 512, device=dev, dtype=torch.bfloat16)
    w = torch.randn(256, 512, device=dev, dtype=torch.bfloat16)
    c = torch.zeros(16, 256, device=dev, dtype=torch.bfloat16)
    cfg = "block_m = 32, block_n = 32, block_k = 32, num_warps = 4"
    res = {}
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    g = torch.cuda.CUDAGraph()
    try:
        with torch.cuda.stream(s):
            with torch.cuda.graph(g, stream=s):
                moec.gemm(a, w.t(), out=c, config=cfg)
        res["miss_during_capture"] = "no error (WRONG)"
    except moec.Error as ex:
        res["miss_during_capture"] = "error: " + str(ex)[:200]
    except Exception as ex:
        res["miss_during_capture"] = "other error: %s: %s" % (type(ex).__name__, str(ex)[:200])
    torch.cuda.synchronize()
    moec.gemm(a, w.t(), out=c, config=cfg)  # warm: now a hit
    torch.cuda.synchronize()
    c.zero_()
    g2 = torch.cuda.CUDAGraph()
    with torch.cuda.stream(s):
        with torch.cuda.graph(g2, stream=s):
            moec.gemm(a, w.t(), out=c, config=cfg)
    torch.cuda.synchronize()
    g2.replay()
    torch.cuda.synchronize()
    res["hit_captured_rel_err"] = peers.rel_err(torch, c, a.float() @ w.float().t())
    res["ok"] = res["miss_during_capture"].startswith("error:") and "captur" in res["miss_during_capture"] \
        and res["hit_captured_rel_err"] < 1e-2
    log("capture: %s" % res)
    return res


def overhead(torch, moec, triton_pack, burst=256, bursts=60):
    # A tiny problem (kernel of a few us) and bursts shorter than the launch
    # queue, synchronized between bursts outside the timed region: each call
    # then returns as soon as the launch is queued, so the time is the host's
    # cost per call and not the GPU's time per kernel (a long loop of a
    # 24 us kernel fills the queue and every launch waits for the GPU).
    dev = torch.device("cuda")
    m, n, k = 16, 128, 128
    a = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
    w = torch.randn(n, k, device=dev, dtype=torch.bfloat16)
    c = torch.empty(m, n, device=dev, dtype=torch.bfloat16)
    jit = moec.jit_for("cuda:0")
    wt = w.t()

    def per_call(fn):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        out = []
        for _ in range(bursts):
            torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(burst):
                fn()
            out.append((time.perf_counter() - t) / burst * 1e6)
        torch.cuda.synchronize()
        return statistics.median(out)

    res = {"shape": [m, n, k], "burst": burst, "bursts": bursts,
           "method": "median over bursts of host time per call, sync between bursts (untimed)"}
    res["moec_jit_gemm_us"] = per_call(lambda: jit.gemm(a, wt, c))
    res["moec_gemm_us"] = per_call(lambda: moec.gemm(a, wt, out=c))
    s = torch.cuda.current_stream().cuda_stream
    res["moec_jit_gemm_given_stream_us"] = per_call(lambda: jit.gemm(a, wt, c, stream=s))
    # The floor of the Python path: the bound ctypes plan run with the
    # pointers and the stream precomputed (no signature lookup).
    sig = getattr(moec, "_sig_ptr", None)
    entry = sig and jit._plans.get((sig(a)[0], sig(wt)[0], sig(c)[0], None, False, False,
                                    None, None))
    if entry:
        plan = entry[0]
        run, pa, pw, pc = jit._run, a.data_ptr(), wt.data_ptr(), c.data_ptr()
        res["moec_plan_run_raw_us"] = per_call(lambda: run(plan, pa, pw, pc, None, s))
    res["torch_mm_us"] = per_call(lambda: torch.mm(a, wt, out=c))
    if triton_pack:
        triton, kernel = triton_pack
        call = peers.make_triton_call(triton, kernel, (16, 64, 128, 1, 4, 4))
        res["triton_us"] = per_call(lambda: call(a, wt, c))
    log("overhead per call (us): " + ", ".join("%s %.2f" % (k_, v) for k_, v in res.items() if k_.endswith("_us")))
    return res


def table(torch, moec, triton_pack, shapes, budget_ms):
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    l2 = int(getattr(props, "L2_cache_size", 0) or 50 * 1024 * 1024)
    timer = peers.Timer(torch, budget_ms)
    rows = []
    for (m, n, k) in shapes:
        nsets = peers.buffer_sets(m, n, k, l2)
        sets = [(torch.randn(m, k, device=dev, dtype=torch.bfloat16),
                 torch.randn(n, k, device=dev, dtype=torch.bfloat16).t(),
                 torch.empty(m, n, device=dev, dtype=torch.bfloat16)) for _ in range(nsets)]
        a0, b0, c0 = sets[0]
        ref = a0.float() @ b0.float()
        row = {"shape": [m, n, k], "tflops": {}}

        def tf(ms):
            return peers.flops(m, n, k) / (ms * 1e-3) / 1e12

        r = timer.time(lambda a, b, c: torch.matmul(a, b, out=c), sets)
        row["torch"] = r
        row["tflops"]["torch"] = tf(r["ms"])
        best = None
        for cfg in [None] + OVERRIDES:
            try:
                c0.fill_(float("nan"))
                moec.gemm(a0, b0, out=c0, config=cfg)
                torch.cuda.synchronize()
                err = peers.rel_err(torch, c0, ref)
                if err > 1e-2:
                    log("  moec config %s: rel_err %.3g, skipped" % (cfg, err))
                    continue
                r = timer.time(lambda a, b, c, cfg=cfg: moec.gemm(a, b, out=c, config=cfg), sets)
                r["config"] = cfg or "heuristic: " + moec.last_variant()["config"]
                r["rel_err"] = err
                if cfg is None:
                    row["moec_heuristic"] = r
                if best is None or r["ms"] < best["ms"]:
                    best = r
            except Exception as ex:
                log("  moec config %s: %s" % (cfg, str(ex)[:200]))
        if best:
            row["moec"] = best
            row["tflops"]["moec"] = tf(best["ms"])
        if triton_pack:
            triton, kernel = triton_pack
            tb = None
            for cfg in peers.TRITON_CONFIGS[:8] if m > 64 else peers.TRITON_CONFIGS[8:]:
                call = peers.make_triton_call(triton, kernel, cfg)
                try:
                    r = timer.time(call, sets)
                except Exception:
                    continue
                if tb is None or r["ms"] < tb["ms"]:
                    tb = dict(r, config=list(cfg))
            if tb:
                row["triton"] = tb
                row["tflops"]["triton"] = tf(tb["ms"])
        log("%dx%dx%d: %s" % (m, n, k, ", ".join("%s %.1f TFLOP/s" % kv for kv in row["tflops"].items())))
        rows.append(row)
    return rows


def markdown(res):
    out = ["# moec Python module on %s" % res.get("device", "?"), ""]
    if "numerics" in res:
        n = res["numerics"]
        out.append("numerics sweep: %d cases, %d failed" % (len(n["cases"]), n["failures"]))
        out.append("")
    if "capture" in res:
        out += ["graph capture: %s" % res["capture"], ""]
    if "overhead" in res:
        o = res["overhead"]
        out += ["## host time per call on a cache hit (M=%d N=%d K=%d bf16)" % tuple(o["shape"]), "",
                "median over %d bursts of %d calls, synchronized between bursts (untimed)" % (
                    o.get("bursts", 0), o.get("burst", 0)), "",
                "| call | us |", "|---|---|"]
        for k, v in o.items():
            if k.endswith("_us"):
                out.append("| %s | %.2f |" % (k[:-3], v))
        out.append("")
    if "table" in res:
        out += ["## GEMM table (bf16, B = N x K weight; TFLOP/s)", "",
                "| M x N x K | torch | Triton | moec | moec config |", "|---|---|---|---|---|"]
        for r in res["table"]:
            t = r["tflops"]
            out.append("| %s | %s | %s | %s | %s |" % (
                "x".join(map(str, r["shape"])),
                *("%.1f" % t[k] if k in t else "-" for k in ("torch", "triton", "moec")),
                r.get("moec", {}).get("config", "-")))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--steps", default="numerics,overhead,table")
    ap.add_argument("--shapes")
    ap.add_argument("--budget-ms", type=float, default=100)
    args = ap.parse_args()
    outdir = args.out or os.environ.get("OUT") or "jit_python_out"
    os.makedirs(outdir, exist_ok=True)
    import torch
    import moec
    if not torch.cuda.is_available():
        raise SystemExit("jit_python: no CUDA device")
    steps = args.steps.split(",")
    res = {"device": torch.cuda.get_device_name(0), "moec": moec.version(),
           "torch": torch.__version__}
    try:
        triton_pack = peers.build_triton_kernel()
        res["triton"] = triton_pack[0].__version__
    except Exception as ex:
        log("no Triton: %s" % ex)
        triton_pack = None
    failures = 0
    if "numerics" in steps:
        cases, failures = numerics(torch, moec)
        res["numerics"] = {"cases": cases, "failures": failures}
        try:
            res["capture"] = capture(torch, moec)
        except Exception as ex:
            res["capture"] = {"ok": False, "error": "%s: %s" % (type(ex).__name__, ex)}
        failures += not res["capture"].get("ok")
    if "overhead" in steps:
        res["overhead"] = overhead(torch, moec, triton_pack)
    if "table" in steps:
        shapes = peers.parse_shapes(args.shapes) if args.shapes else peers.SHAPES
        res["table"] = table(torch, moec, triton_pack, shapes, args.budget_ms)
    with open(os.path.join(outdir, "jit_python.json"), "w") as f:
        json.dump(res, f, indent=1, default=str)
    md = markdown(res)
    with open(os.path.join(outdir, "jit_python.md"), "w") as f:
        f.write(md)
    print(md)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
