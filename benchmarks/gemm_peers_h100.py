#!/usr/bin/env python3
"""bf16 GEMM peers on the H100: cuBLAS (torch.matmul) and the Triton tutorial
matmul tuned over a small config set, on the shapes moec is measured on.

    python3 benchmarks/gemm_peers_h100.py [--out DIR] [--b-layout kn|nk]
            [--shapes 4096x4096x4096,16x4096x4096] [--budget-ms 150]
            [--moec-results moec.json]
    python3 benchmarks/gemm_peers_h100.py --from-json DIR/gemm_peers_h100.json \
            --moec-results moec.json          # tables again, no GPU needed
    python3 benchmarks/gemm_peers_h100.py --dry-run   # the plan, no GPU needed

C[M,N] = A[M,K] @ B, bf16 operands, f32 accumulation, bf16 result. B is K x N
row-major (--b-layout kn, default) or N x K row-major used transposed (nk, as
nn.Linear stores weights). Timing (METHOD.md): warm-up, then repeats of a
CUDA graph of back-to-back calls (a plain loop if capture fails) between CUDA
events, median over repeats; each call uses the next of several input sets, so
that the sets together exceed the L2 several times over and the cache does not
flatter small shapes. Every candidate gets the same time budget. Triton configs
are checked against an f32 reference first (poisoned output, fresh random
inputs); a wrong config can't win.

Writes DIR/gemm_peers_h100.json and DIR/gemm_peers_h100.md (DIR: --out, else
$OUT, else ./gemm_peers_out) and prints the markdown last.

--moec-results: a JSON list of {"shape": [M, N, K], "ms": float, "config": ...}
(extra keys kept); adds moec's TFLOP/s and the ratios moec/Triton and
moec/cuBLAS of throughput (> 1: moec is faster).
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

SHAPES = [(4096, 4096, 4096), (8192, 8192, 8192), (256, 14336, 4096), (16, 4096, 4096)]
# Triton tutorial configs for sm_90 plus small-M ones for decode-sized M.
# (BLOCK_M, BLOCK_N, BLOCK_K, GROUP_M, num_warps, num_stages)
TRITON_CONFIGS = [
    (128, 256, 64, 8, 8, 3),
    (256, 128, 64, 8, 8, 3),
    (128, 128, 64, 8, 4, 4),
    (128, 128, 32, 8, 4, 4),
    (64, 256, 32, 8, 4, 4),
    (128, 64, 32, 8, 4, 4),
    (64, 128, 32, 8, 4, 4),
    (64, 64, 64, 8, 4, 4),
    (16, 64, 128, 1, 4, 4),
    (16, 128, 128, 1, 4, 4),
    (32, 64, 256, 1, 4, 3),
    (16, 256, 64, 1, 4, 4),
]
CONFIG_KEYS = ["BLOCK_M", "BLOCK_N", "BLOCK_K", "GROUP_M", "num_warps", "num_stages"]
BF16 = 2


def log(*a):
    print(*a, flush=True)


def flops(m, n, k):
    return 2.0 * m * n * k


def min_bytes(m, n, k):
    return BF16 * (m * k + k * n + m * n)


def parse_shapes(text):
    out = []
    for s in text.split(","):
        m, n, k = (int(x) for x in s.lower().split("x"))
        out.append((m, n, k))
    return out


def buffer_sets(m, n, k, l2_bytes):
    """Input sets so that together they exceed the L2 three times (at most 64)."""
    return max(1, min(64, math.ceil(3 * l2_bytes / min_bytes(m, n, k))))


# ---------------------------------------------------------------- GPU part --

def build_triton_kernel():
    import triton
    import triton.language as tl

    @triton.jit
    def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K,
                      stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                      BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                      GROUP_M: tl.constexpr):
        pid = tl.program_id(axis=0)
        num_pid_m = tl.cdiv(M, BLOCK_M)
        num_pid_n = tl.cdiv(N, BLOCK_N)
        num_pid_in_group = GROUP_M * num_pid_n
        group_id = pid // num_pid_in_group
        first_pid_m = group_id * GROUP_M
        group_size_m = min(num_pid_m - first_pid_m, GROUP_M)
        pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)
        pid_n = (pid % num_pid_in_group) // group_size_m
        offs_am = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M
        offs_bn = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N)) % N
        offs_k = tl.arange(0, BLOCK_K)
        a_ptrs = a_ptr + (offs_am[:, None] * stride_am + offs_k[None, :] * stride_ak)
        b_ptrs = b_ptr + (offs_k[:, None] * stride_bk + offs_bn[None, :] * stride_bn)
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        for k in range(0, tl.cdiv(K, BLOCK_K)):
            a = tl.load(a_ptrs, mask=offs_k[None, :] < K - k * BLOCK_K, other=0.0)
            b = tl.load(b_ptrs, mask=offs_k[:, None] < K - k * BLOCK_K, other=0.0)
            acc = tl.dot(a, b, acc)
            a_ptrs += BLOCK_K * stride_ak
            b_ptrs += BLOCK_K * stride_bk
        c = acc.to(tl.bfloat16)
        offs_cm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        offs_cn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        c_ptrs = c_ptr + stride_cm * offs_cm[:, None] + stride_cn * offs_cn[None, :]
        c_mask = (offs_cm[:, None] < M) & (offs_cn[None, :] < N)
        tl.store(c_ptrs, c, mask=c_mask)

    return triton, matmul_kernel


def make_triton_call(triton, kernel, cfg):
    bm, bn, bk, gm, nw, ns = cfg

    def call(a, b, c):
        m, k = a.shape
        n = c.shape[1]
        grid = (triton.cdiv(m, bm) * triton.cdiv(n, bn),)
        # b is a K x N view (possibly a transposed N x K tensor): strides say which.
        kernel[grid](a, b, c, m, n, k,
                     a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1),
                     BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk, GROUP_M=gm, num_warps=nw, num_stages=ns)
    return call


class Timer:
    """Median time of one call over repeats of `inner` back-to-back calls that
    rotate over the input sets, inside a fixed budget."""

    def __init__(self, torch, budget_ms, use_graphs=True):
        self.torch = torch
        self.budget_ms = budget_ms
        self.use_graphs = use_graphs

    def time(self, fn, sets):
        torch = self.torch
        nsets = len(sets)
        # Warm-up: compile, autotune-free first launch, handles; and a rough time.
        for i in range(min(3, nsets) or 1):
            fn(*sets[i % nsets])
        torch.cuda.synchronize()
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for i in range(nsets):
            fn(*sets[i])
        e.record()
        torch.cuda.synchronize()
        rough = max(s.elapsed_time(e) / nsets, 1e-3)  # ms per call
        # inner: whole passes over the sets, about 1 ms or more of work per repeat.
        passes = max(1, math.ceil(1.0 / (rough * nsets)))
        inner = passes * nsets
        repeats = int(max(5, min(50, self.budget_ms / (rough * inner))))
        method = "loop"
        run = None
        if self.use_graphs:
            try:
                g = torch.cuda.CUDAGraph()
                stream = torch.cuda.Stream()
                stream.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(stream):
                    fn(*sets[0])  # warm on the capture stream
                    with torch.cuda.graph(g, stream=stream):
                        for i in range(inner):
                            fn(*sets[i % nsets])
                torch.cuda.current_stream().wait_stream(stream)
                torch.cuda.synchronize()
                g.replay()
                torch.cuda.synchronize()
                run = g.replay
                method = "graph"
            except Exception as ex:  # fall back to a plain loop
                log("    (graph capture failed, timing loops from now on: %s: %s)" % (type(ex).__name__, str(ex)[:200]))
                self.use_graphs = False
                run = None
                torch.cuda.synchronize()
        if run is None:
            def run():
                for i in range(inner):
                    fn(*sets[i % nsets])
        times = []
        for _ in range(repeats):
            s.record()
            run()
            e.record()
            e.synchronize()
            times.append(s.elapsed_time(e) / inner)
        med = statistics.median(times)
        spread = (max(times) - min(times)) / med if med > 0 else 0.0
        return {"ms": med, "min_ms": min(times), "max_ms": max(times), "spread": round(spread, 4),
                "repeats": repeats, "inner": inner, "method": method}


def rel_err(torch, out, ref):
    out = out.float()
    if not torch.isfinite(out).all():
        return float("inf")
    return (torch.linalg.vector_norm(out - ref) / torch.linalg.vector_norm(ref)).item()


def run_gpu(args, shapes):
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if not torch.cuda.is_available():
        raise SystemExit("gemm_peers_h100: no CUDA device")
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    l2 = int(getattr(props, "L2_cache_size", 0) or 50 * 1024 * 1024)
    triton, kernel = build_triton_kernel()
    configs = TRITON_CONFIGS if not args.configs else [TRITON_CONFIGS[int(i)] for i in args.configs.split(",")]
    calls = {cfg: make_triton_call(triton, kernel, cfg) for cfg in configs}
    timer = Timer(torch, args.budget_ms, use_graphs=not args.no_graphs)
    env = {"device": props.name, "sms": props.multi_processor_count, "l2_bytes": l2,
           "torch": torch.__version__, "cuda": torch.version.cuda, "triton": triton.__version__,
           "b_layout": args.b_layout, "budget_ms": args.budget_ms,
           "cublas_bf16_reduced_precision_reduction":
               bool(getattr(torch.backends.cuda.matmul, "allow_bf16_reduced_precision_reduction", None))}
    log("device %s, %d SMs, L2 %.0f MB; torch %s (CUDA %s), triton %s" % (
        props.name, props.multi_processor_count, l2 / 1e6, torch.__version__, torch.version.cuda, triton.__version__))
    torch.manual_seed(0)
    results = []
    t_start = time.perf_counter()
    for (m, n, k) in shapes:
        nsets = buffer_sets(m, n, k, l2)
        sets = []
        for _ in range(nsets):
            a = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
            if args.b_layout == "kn":
                b = torch.randn(k, n, device=dev, dtype=torch.bfloat16)
            else:
                b = torch.randn(n, k, device=dev, dtype=torch.bfloat16).t()  # K x N view
            c = torch.empty(m, n, device=dev, dtype=torch.bfloat16)
            sets.append((a, b, c))
        a0, b0, c0 = sets[0]
        ref = torch.matmul(a0.float(), b0.float())
        row = {"shape": [m, n, k], "flops": flops(m, n, k), "bytes": min_bytes(m, n, k), "input_sets": nsets}
        log("\n%dx%dx%d: %d input sets (%.0f MB)" % (m, n, k, nsets, nsets * min_bytes(m, n, k) / 1e6))

        # cuBLAS through torch.matmul, writing into the preallocated output.
        def cublas(a, b, c):
            torch.matmul(a, b, out=c)
        c0.fill_(float("nan"))
        cublas(a0, b0, c0)
        torch.cuda.synchronize()
        cb = timer.time(cublas, sets)
        cb["rel_err"] = rel_err(torch, c0, ref)
        row["cublas"] = cb
        log("  cuBLAS  %.4f ms  %.1f TFLOP/s  err %.2e  (%s, spread %.1f%%)" % (
            cb["ms"], flops(m, n, k) / cb["ms"] / 1e9, cb["rel_err"], cb["method"], 100 * cb["spread"]))

        tried = []
        for cfg in configs:
            entry = {"config": dict(zip(CONFIG_KEYS, cfg))}
            try:
                c0.fill_(float("nan"))
                calls[cfg](a0, b0, c0)
                torch.cuda.synchronize()
                entry["rel_err"] = rel_err(torch, c0, ref)
                if not entry["rel_err"] < args.tol:
                    entry["error"] = "wrong result: rel err %.3g >= %.3g" % (entry["rel_err"], args.tol)
                else:
                    entry.update(timer.time(calls[cfg], sets))
            except Exception as ex:  # out of resources, compile error, ...
                first = str(ex).strip().splitlines()[0][:300] if str(ex).strip() else ""
                entry["error"] = "%s: %s" % (type(ex).__name__, first)
                try:
                    torch.cuda.synchronize()
                except Exception as ex2:  # a broken context: every later launch fails too
                    entry["error"] += "; then synchronize: %s" % ex2
            tried.append(entry)
            if "ms" in entry:
                log("  triton %-60s %.4f ms  %.1f TFLOP/s" % (entry["config"], entry["ms"], flops(m, n, k) / entry["ms"] / 1e9))
            else:
                log("  triton %-60s %s" % (entry["config"], entry.get("error")))
        good = [t for t in tried if "ms" in t]
        row["triton_tried"] = tried
        row["triton"] = min(good, key=lambda t: t["ms"]) if good else None
        results.append(row)
        del sets, a0, b0, c0, ref
        torch.cuda.empty_cache()
    env["seconds"] = round(time.perf_counter() - t_start, 1)
    return {"tool": "benchmarks/gemm_peers_h100.py", "env": env, "results": results}


# ----------------------------------------------------------- tables (no GPU) --

def tflops(shape, ms):
    return flops(*shape) / (ms * 1e-3) / 1e12


def gbs(shape, ms):
    return min_bytes(*shape) / (ms * 1e-3) / 1e9


def load_moec(path):
    with open(path) as fh:
        data = json.load(fh)
    if isinstance(data, dict):  # tolerate {"results": [...]}
        data = data.get("results", [])
    out = {}
    for item in data:
        try:
            shape = tuple(int(x) for x in item["shape"])
            out[shape] = {"ms": float(item["ms"]), "config": item.get("config")}
        except (KeyError, TypeError, ValueError) as ex:
            log("gemm_peers_h100: skipping moec entry %r: %s" % (item, ex))
    return out


def fmt_cfg(cfg):
    if not cfg:
        return "-"
    if isinstance(cfg, dict):
        keys = ["BLOCK_M", "BLOCK_N", "BLOCK_K", "GROUP_M", "num_warps", "num_stages"]
        if all(k in cfg for k in keys):
            return "%dx%dx%d g%d w%d s%d" % tuple(cfg[k] for k in keys)
        return " ".join("%s=%s" % kv for kv in cfg.items())
    return str(cfg)


def markdown(doc, moec=None):
    env = doc.get("env", {})
    lines = ["## bf16 GEMM peers on %s (B %s)" % (env.get("device", "?"), env.get("b_layout", "?")), "",
             "torch %s, CUDA %s, triton %s; each candidate timed within %s ms; input sets rotated past the L2."
             % (env.get("torch"), env.get("cuda"), env.get("triton"), env.get("budget_ms")), "",
             "| M x N x K | cuBLAS ms | cuBLAS TFLOP/s | cuBLAS GB/s | Triton ms | Triton TFLOP/s | Triton GB/s "
             "| Triton/cuBLAS | Triton config | err Triton | err cuBLAS |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in doc["results"]:
        shape = tuple(r["shape"])
        cb, tr = r.get("cublas"), r.get("triton")
        cells = ["x".join(map(str, shape))]
        if cb:
            cells += ["%.4f" % cb["ms"], "%.1f" % tflops(shape, cb["ms"]), "%.0f" % gbs(shape, cb["ms"])]
        else:
            cells += ["-"] * 3
        if tr:
            cells += ["%.4f" % tr["ms"], "%.1f" % tflops(shape, tr["ms"]), "%.0f" % gbs(shape, tr["ms"]),
                      "%.2f" % (cb["ms"] / tr["ms"]) if cb else "-", fmt_cfg(tr["config"]), "%.1e" % tr["rel_err"]]
        else:
            cells += ["-"] * 5 + ["-"]
        cells.append("%.1e" % cb["rel_err"] if cb else "-")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Triton/cuBLAS is a throughput ratio (> 1: Triton faster). err: ||C - C_f32|| / ||C_f32|| "
              "against an f32 matmul of the same bf16 inputs."]
    if moec:
        lines += ["", "## moec against the peers", "",
                  "| M x N x K | moec ms | moec TFLOP/s | moec GB/s | moec/Triton | moec/cuBLAS | moec config |",
                  "|---|---|---|---|---|---|---|"]
        for r in doc["results"]:
            shape = tuple(r["shape"])
            mo = moec.get(shape)
            if not mo:
                continue
            cb, tr = r.get("cublas"), r.get("triton")
            lines.append("| %s | %.4f | %.1f | %.0f | %s | %s | %s |" % (
                "x".join(map(str, shape)), mo["ms"], tflops(shape, mo["ms"]), gbs(shape, mo["ms"]),
                "%.2f" % (tr["ms"] / mo["ms"]) if tr else "-", "%.2f" % (cb["ms"] / mo["ms"]) if cb else "-",
                fmt_cfg(mo["config"])))
        missing = [s for s in moec if s not in {tuple(r["shape"]) for r in doc["results"]}]
        if missing:
            lines.append("")
            lines.append("moec shapes without peers here: " + ", ".join("x".join(map(str, s)) for s in missing))
        lines += ["", "Ratios are of throughput (peer ms / moec ms): > 1 means moec is faster."]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.environ.get("OUT") or "gemm_peers_out")
    ap.add_argument("--shapes", help="MxNxK,... (default: %s)" % ",".join("x".join(map(str, s)) for s in SHAPES))
    ap.add_argument("--b-layout", choices=["kn", "nk"], default="kn")
    ap.add_argument("--configs", help="comma-separated indices into the Triton config list")
    ap.add_argument("--budget-ms", type=float, default=150.0, help="timed milliseconds per candidate and shape")
    ap.add_argument("--tol", type=float, default=2e-2, help="largest relative error a Triton config may have")
    ap.add_argument("--no-graphs", action="store_true", help="time plain launch loops, not CUDA graphs")
    ap.add_argument("--moec-results", help="moec timings to compare: [{shape:[M,N,K], ms, config}]")
    ap.add_argument("--from-json", help="redo the tables from an earlier run's JSON (no GPU)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and exit (no GPU)")
    args = ap.parse_args(argv)
    shapes = parse_shapes(args.shapes) if args.shapes else SHAPES

    if args.dry_run:
        l2 = 50 * 1024 * 1024
        log("shapes (M, N, K), B %s; L2 assumed %d MB:" % (args.b_layout, l2 // 2**20))
        for s in shapes:
            log("  %-20s %8.1f GFLOP  %8.1f MB  %2d input sets" % (
                "x".join(map(str, s)), flops(*s) / 1e9, min_bytes(*s) / 1e6, buffer_sets(*s, l2)))
        log("triton configs (%s):" % ", ".join(CONFIG_KEYS))
        for i, c in enumerate(TRITON_CONFIGS):
            log("  %2d %s" % (i, c))
        n = len(shapes) * (1 + len(TRITON_CONFIGS))
        log("candidates: %d, timed budget about %.0f s plus compiles and warm-ups" % (n, n * args.budget_ms / 1e3))
        return 0

    moec = load_moec(args.moec_results) if args.moec_results else None
    if args.from_json:
        with open(args.from_json) as fh:
            doc = json.load(fh)
    else:
        doc = run_gpu(args, shapes)
    if moec:
        doc["moec"] = [{"shape": list(s), **v} for s, v in moec.items()]
    os.makedirs(args.out, exist_ok=True)
    md = markdown(doc, moec)
    with open(os.path.join(args.out, "gemm_peers_h100.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
    with open(os.path.join(args.out, "gemm_peers_h100.md"), "w") as fh:
        fh.write(md + "\n")
    log("\n" + md)
    ok = all(r.get("cublas") and r.get("triton") for r in doc["results"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
