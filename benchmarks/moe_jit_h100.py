#!/usr/bin/env python3
"""moec.fused_moe (the JIT's fused-MoE layer) on the H100 through the Python
module with torch tensors.

    MOEC_LIBRARY=<bundle>/lib/libmoec.so PYTHONPATH=<bundle>/python \\
        python3 benchmarks/moe_jit_h100.py [--out DIR] [--steps numerics,overhead,layer]
            [--models mixtral,deepseek] [--ms 1,16,64,256,1024,4096] [--candidates 2]
    python3 benchmarks/moe_jit_h100.py --dry-run     # the plan, no GPU needed

numerics  moec.fused_moe against a torch f32 reference of vLLM's fused_experts
          (the intermediate rounded to the input dtype, as the kernels store
          it): bf16/f16, silu/gelu, fused and unfused, top_k 1/2/4/8, M = 1 and
          M not a multiple of block_m, empty experts (E = 64, few tokens),
          -1 ids, an expert-parallel map with skipped experts, the caller's
          out poisoned with NaN first; then a CUDA-graph capture of a warmed
          call replayed on new inputs, and a capture of an unwarmed shape,
          which must be refused with a message (not hang, not record junk).
overhead  host time per call on a cache hit (M = 1, tiny weights, so the GPU
          never limits): moec.fused_moe from Python, the bare C entry point
          (moec_fused_moe through ctypes on prepared tensors), and torch.mm
          for scale; median over bursts of 200 calls.
layer     the full layer, Mixtral-8x7B TP1 (E 8, H 4096, I 14336, top-2) and
          DeepSeek-V3 TP1 (E 256, H 7168, I 2048, top-8), bf16, per M:
          moec fused (heuristic config, then the first --candidates configs
          of the sm_90 list triton_fused_moe.py walks, best kept), moec
          unfused (w13 -> act_and_mul -> w2: the op-by-op path, same
          config), and triton_fused_moe.py's Triton layer (torch align,
          Triton w13, torch silu_and_mul, Triton w2 with the weights, torch
          sum over top_k) over the same candidates; time = mean of 20
          back-to-back calls between CUDA events (a call's host overhead
          counts where it is not hidden behind the GPU), TFLOP/s and weight
          GB/s (each active expert's w13 and w2 read once).

quant     (= quant_numerics + quant_layer) quantized weights (--quant fp8_block,fp8_token,fp8_tensor,fp8_static,
          int8,mxfp4; benchmarks/moe_jit_quant.py says what each is): CUDA
          numerics against a torch reference of the dequantized weights (and,
          for fp8, of the activations quantized as moec's quant_fp8 kernel
          does), then the Mixtral/DeepSeek TP1 layers at --quant-ms: bf16 and
          each mode (heuristic configs), fp8_block against the Triton layer of
          triton_fused_moe.py with block-wise fp8 scales.

Writes DIR/moe_jit.json, DIR/moe_jit.md (printed last) and DIR/moe_jit_log.txt
(DIR: --out, else $OUT, else ./moe_jit_out). Exit status 1 if a numerics case
failed.
"""
import argparse
import ctypes
import json
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from moe_jit_quant import events_ms  # noqa: E402 (one CUDA-event timer for both steps)

MODELS = {
    "mixtral": ("Mixtral-8x7B TP1", 8, 2, 4096, 14336),
    "deepseek": ("DeepSeek-V3 TP1", 256, 8, 7168, 2048),
}
LOG = None
SAVE = None  # main's writer of moe_jit.json/.md: the layer step saves per row


def log(*a):
    text = " ".join(str(x) for x in a)
    print(text, flush=True)
    if LOG:
        LOG.write(text + "\n")
        LOG.flush()


# --------------------------------------------------------------- reference --

def reference(hidden, w13, w2, tw, ids, act="silu", expert_map=None):
    """vLLM's fused_experts in f32; the intermediate rounded to hidden's dtype."""
    import torch
    T, H = hidden.shape
    E, N, _ = w13.shape
    inter = N // 2
    out = torch.zeros((T, H), dtype=torch.float32, device=hidden.device)
    eid = ids.long()
    if expert_map is not None:
        g = expert_map.shape[0]
        valid = (eid >= 0) & (eid < g)
        eid = torch.where(valid, expert_map.long()[eid.clamp(0, g - 1)], torch.full_like(eid, -1))
    for e in range(E):
        t, j = torch.nonzero(eid == e, as_tuple=True)
        if t.numel() == 0:
            continue
        gu = hidden[t].float() @ w13[e].float().T
        g, u = gu[:, :inter], gu[:, inter:]
        a = torch.nn.functional.silu(g) if act == "silu" else torch.nn.functional.gelu(g)
        a = (a * u).to(hidden.dtype).float()
        y = a @ w2[e].float().T
        out.index_add_(0, t, y * tw[t, j].float()[:, None])
    return out


def make_problem(T, H, inter, E, K, dtype, seed, global_experts=None, invalid=False,
                 scale=0.05):
    import torch
    g = torch.Generator(device="cuda").manual_seed(seed)
    hidden = torch.randn((T, H), generator=g, device="cuda").to(dtype)
    w13 = (torch.randn((E, 2 * inter, H), generator=g, device="cuda") * scale).to(dtype)
    w2 = (torch.randn((E, H, inter), generator=g, device="cuda") * scale).to(dtype)
    ge = global_experts or E
    scores = torch.rand((T, ge), generator=g, device="cuda")
    tw, ids = torch.topk(scores, K, dim=1)
    tw = (tw / tw.sum(1, keepdim=True)).float()
    ids = ids.to(torch.int32)
    if invalid and T:
        ids[::3, 0] = -1
    return hidden, w13, w2, tw.contiguous(), ids.contiguous()


# ---------------------------------------------------------------- numerics --

def step_numerics(res):
    import torch
    import moec
    cases = []
    for dtype in (torch.bfloat16, torch.float16):
        cases += [
            dict(T=1, H=256, I=128, E=8, K=2, dtype=dtype),
            dict(T=37, H=512, I=256, E=8, K=2, dtype=dtype),
            dict(T=300, H=1024, I=512, E=16, K=4, dtype=dtype, act="gelu"),
            dict(T=5, H=256, I=128, E=64, K=8, dtype=dtype),           # empty experts
            dict(T=77, H=256, I=192, E=8, K=1, dtype=dtype, invalid=True),
            dict(T=129, H=512, I=256, E=8, K=2, dtype=dtype, ep=16),    # expert map
            dict(T=64, H=512, I=256, E=8, K=2, dtype=dtype, unfused=True),
        ]
    cases += [dict(T=64, H=4096, I=1792, E=8, K=2, dtype=torch.bfloat16),    # Mixtral TP8
              dict(T=16, H=7168, I=256, E=256, K=8, dtype=torch.bfloat16),   # DeepSeek TP8
              dict(T=1000, H=2048, I=768, E=128, K=8, dtype=torch.bfloat16)]  # Qwen3 TP1
    failed = 0
    rows = []
    for i, c in enumerate(cases):
        act = c.get("act", "silu")
        ep = c.get("ep")
        hidden, w13, w2, tw, ids = make_problem(c["T"], c["H"], c["I"], c["E"], c["K"],
                                                c["dtype"], 100 + i, global_experts=ep,
                                                invalid=c.get("invalid", False))
        emap = None
        if ep:
            # global e lives here as e // 2 when even, else elsewhere (-1)
            emap = torch.tensor([e // 2 if e % 2 == 0 else -1 for e in range(ep)],
                                dtype=torch.int32, device="cuda")
        out = torch.full_like(hidden, float("nan"))
        name = "T={} H={} I={} E={} top{} {}{}{}{}{}".format(
            c["T"], c["H"], c["I"], c["E"], c["K"], str(c["dtype"]).replace("torch.", ""),
            " " + act, f" ep{ep}" if ep else "", " -1ids" if c.get("invalid") else "",
            " unfused" if c.get("unfused") else "")
        try:
            moec.fused_moe(hidden, w13, w2, tw, ids, out, activation=act, expert_map=emap,
                           unfused=c.get("unfused", False))
            torch.cuda.synchronize()
            want = reference(hidden, w13, w2, tw, ids, act, emap)
            scale = float(want.abs().max().clamp_min(1e-3))
            err = float((out.float() - want).abs().max()) / scale
            tol = 2.0 / 64 if c["dtype"] == torch.bfloat16 else 2.0 / 512
            ok = err <= tol and not bool(torch.isnan(out).any())
            v = moec.last_variant()
            rows.append(dict(case=name, ok=ok, rel_err=err, tol=tol, config=v["config"],
                             config_source=v["config_source"]))
            log("{} {}: rel err {:.2e} (tol {:.1e}) {}".format("PASS" if ok else "FAIL", name,
                                                               err, tol, v["config"]))
            failed += not ok
        except Exception as ex:
            rows.append(dict(case=name, ok=False, error=str(ex)[:300]))
            log("FAIL {}: {}".format(name, str(ex)[:300]))
            failed += 1

    # CUDA graphs: a warmed call captured and replayed on new inputs.
    try:
        hidden, w13, w2, tw, ids = make_problem(48, 512, 256, 8, 2, torch.bfloat16, 7)
        out = torch.empty_like(hidden)
        moec.fused_moe(hidden, w13, w2, tw, ids, out)  # warm: variants made
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            moec.fused_moe(hidden, w13, w2, tw, ids, out)
        h2, _, _, tw2, ids2 = make_problem(48, 512, 256, 8, 2, torch.bfloat16, 8)
        hidden.copy_(h2)
        tw.copy_(tw2)
        ids.copy_(ids2)
        out.fill_(float("nan"))
        graph.replay()
        torch.cuda.synchronize()
        want = reference(hidden, w13, w2, tw, ids)
        err = float((out.float() - want).abs().max()) / float(want.abs().max())
        ok = err <= 2.0 / 64
        rows.append(dict(case="CUDA graph replay on new inputs", ok=ok, rel_err=err))
        log("{} CUDA graph replay on new inputs: rel err {:.2e}".format(
            "PASS" if ok else "FAIL", err))
        failed += not ok
    except Exception as ex:
        rows.append(dict(case="CUDA graph replay", ok=False, error=str(ex)[:300]))
        log("FAIL CUDA graph replay: {}".format(str(ex)[:300]))
        failed += 1
    # A shape never seen (another H), captured: refused with the reason.
    try:
        hidden, w13, w2, tw, ids = make_problem(8, 384, 128, 4, 2, torch.bfloat16, 9)
        out = torch.empty_like(hidden)
        graph = torch.cuda.CUDAGraph()
        msg = ""
        try:
            with torch.cuda.graph(graph):
                moec.fused_moe(hidden, w13, w2, tw, ids, out)
        except Exception as ex:
            msg = str(ex)
        ok = "captured" in msg
        rows.append(dict(case="unwarmed shape under capture refused", ok=ok, message=msg[:300]))
        log("{} unwarmed shape under capture: {}".format("PASS" if ok else "FAIL", msg[:200]))
        failed += not ok
    except Exception as ex:
        rows.append(dict(case="unwarmed capture", ok=False, error=str(ex)[:300]))
        failed += 1
    res["numerics"] = rows
    return failed


# ---------------------------------------------------------------- overhead --

def per_call_us(fn, bursts=15, calls=200):
    import torch
    for _ in range(20):
        fn()
    torch.cuda.synchronize()
    samples = []
    for _ in range(bursts):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - t0) / calls * 1e6)
        torch.cuda.synchronize()
    return statistics.median(samples)


def step_overhead(res):
    import torch
    import moec
    hidden, w13, w2, tw, ids = make_problem(1, 128, 64, 8, 2, torch.bfloat16, 3)
    out = torch.empty_like(hidden)
    py = per_call_us(lambda: moec.fused_moe(hidden, w13, w2, tw, ids, out))
    # The bare C entry point on prepared tensors (the C/C++ hot path + ctypes).
    j = moec.jit_for("cuda:0")
    lib = moec._library()
    ts = []
    for x in (hidden, w13, w2, tw, ids, out):
        t = moec._Tensor()
        moec._fill(t, x)
        ts.append(t)
    opt = moec._FusedMoeOptions()
    opt.activation = 2
    n = ctypes.c_size_t()
    moec._check(lib.moec_fused_moe_workspace_size(j._handle, ctypes.byref(ts[0]),
                                                  ctypes.byref(ts[1]), ctypes.byref(ts[4]),
                                                  ctypes.byref(opt), ctypes.byref(n)))
    ws = torch.empty(n.value, dtype=torch.uint8, device="cuda")
    opt.workspace = ws.data_ptr()
    opt.workspace_bytes = n.value
    refs = [ctypes.byref(t) for t in ts]
    stream = torch.cuda.current_stream().cuda_stream
    po = ctypes.byref(opt)
    h = j._handle
    f = lib.moec_fused_moe

    def bare():
        if f(h, refs[0], refs[1], refs[2], refs[3], refs[4], refs[5], po, stream):
            raise RuntimeError(lib.moec_last_error().decode())
    c = per_call_us(bare)
    a = torch.randn((16, 128), device="cuda", dtype=torch.bfloat16)
    b = torch.randn((128, 128), device="cuda", dtype=torch.bfloat16)
    o = torch.empty((16, 128), device="cuda", dtype=torch.bfloat16)
    mm = per_call_us(lambda: torch.mm(a, b, out=o))
    res["overhead_us"] = dict(python_fused_moe=py, c_api_fused_moe=c, torch_mm=mm,
                              launches_per_fused_moe=4)
    log("overhead per call (cache hit): moec.fused_moe {:.1f} us, moec_fused_moe (C, ctypes) "
        "{:.1f} us, torch.mm {:.1f} us; fused_moe = memset + 3 kernel launches".format(py, c, mm))


# ------------------------------------------------------------------- layer --

def moec_cfg(c):
    return ("block_m = {block_m}, block_n = {block_n}, block_k = {block_k}, group_m = {group_m}, "
            "num_warps = {num_warps}, num_stages = {num_stages}").format(**c) + (
                ", async_copy = true" if c.get("async_copy") else "")


def step_layer(res, models, ms, ncand, deadline):
    import torch
    import moec
    import triton_fused_moe as tfm
    kernel = tfm.build_kernel()
    bw = tfm.copy_bandwidth()
    res["copy_gbs"] = bw
    log("copy bandwidth {:.0f} GB/s".format(bw))
    res["layer"] = []
    for model in models:
        title, E, K, H, inter = MODELS[model]
        g = torch.Generator(device="cuda").manual_seed(1)
        # bf16 straight away (DeepSeek's w13 is 15 GB; no f32 copy).
        w13 = torch.randn((E, 2 * inter, H), generator=g, device="cuda", dtype=torch.bfloat16)
        w13.mul_(0.02)
        w2 = torch.randn((E, H, inter), generator=g, device="cuda", dtype=torch.bfloat16)
        w2.mul_(0.02)
        for m in ms:
            if time.monotonic() > deadline:
                log("time budget reached: skipping the rest")
                return
            hidden = torch.randn((m, H), generator=g, device="cuda").bfloat16()
            ids, tw = tfm.route(m, E, K, g)
            tw = tw.contiguous()
            out = torch.empty_like(hidden)
            active = len(set(ids.flatten().tolist()))
            flops = 2 * m * K * (2 * inter * H + H * inter)
            wbytes = active * 3 * inter * H * 2
            row = dict(model=title, m=m, active_experts=active, flops=flops, weight_bytes=wbytes)
            want = reference(hidden, w13, w2, tw, ids)
            scale = float(want.abs().max().clamp_min(1e-6))

            def check(o):
                return float((o.float() - want).abs().max()) / scale

            # moec fused: heuristic, then the candidates as overrides (best kept).
            cands, _ = tfm.ordered_candidates(m, K, E)
            cands = tfm.triton_configs(cands)[:ncand]
            best = None
            t0 = time.monotonic()
            for cfg in [None] + cands:
                kw = {} if cfg is None else dict(w13_config=moec_cfg(cfg), w2_config=moec_cfg(cfg))
                try:
                    out.fill_(float("nan"))
                    moec.fused_moe(hidden, w13, w2, tw, ids, out, **kw)
                    torch.cuda.synchronize()
                    err = check(out)
                    if not err <= 2.0 / 64:
                        log("  moec {} {} WRONG rel err {:.2e}".format(m, cfg, err))
                        continue
                    v = moec.last_variant()
                    t = events_ms(lambda: moec.fused_moe(hidden, w13, w2, tw, ids, out, **kw))
                    log("  {} M={} moec fused {} {:.4f} ms".format(model, m, v["config"], t))
                    if cfg is None:
                        row["moec_heuristic_ms"] = t
                    if best is None or t < best[0]:
                        best = (t, v["config"], v["config_source"], err, kw)
                except Exception as ex:
                    log("  moec {} {}: {}".format(m, cfg, str(ex).splitlines()[0][:160]))
            row["moec_tune_s"] = time.monotonic() - t0
            if best:
                row.update(moec_ms=best[0], moec_config=best[1], moec_config_source=best[2],
                           moec_err=best[3])
                kw = best[4]
                try:
                    out.fill_(float("nan"))
                    moec.fused_moe(hidden, w13, w2, tw, ids, out, unfused=True, **kw)
                    torch.cuda.synchronize()
                    row["moec_unfused_err"] = check(out)
                    row["moec_unfused_ms"] = events_ms(
                        lambda: moec.fused_moe(hidden, w13, w2, tw, ids, out, unfused=True, **kw))
                except Exception as ex:
                    log("  moec unfused: {}".format(str(ex).splitlines()[0][:160]))
            # Triton's layer over the same candidates.
            tbest = None
            t0 = time.monotonic()
            for cfg in cands:
                try:
                    t, err = tfm.triton_layer(kernel, hidden, w13, w2, ids, tw, E, K, cfg)
                    log("  {} M={} triton {} {:.4f} ms (err {:.1e})".format(
                        model, m, tfm.cfg_text(cfg), t, err))
                    if err <= 2.0 / 64 and (tbest is None or t < tbest[0]):
                        tbest = (t, tfm.cfg_text(cfg), err)
                except Exception as ex:
                    log("  triton {}: {}".format(tfm.cfg_text(cfg), str(ex).splitlines()[0][:160]))
            row["triton_tune_s"] = time.monotonic() - t0
            if tbest:
                row.update(triton_ms=tbest[0], triton_config=tbest[1], triton_err=tbest[2])
            res["layer"].append(row)
            log(json.dumps(row))
            if SAVE:
                SAVE()  # a timeout later keeps the rows done


# ----------------------------------------------------------------- summary --

def summarize(res):
    lines = ["# moec.fused_moe on {}".format(res.get("device", "?")), ""]
    if "numerics" in res:
        n = res["numerics"]
        lines += ["## Numerics ({} of {} pass)".format(sum(r["ok"] for r in n), len(n)), "",
                  "| case | ok | rel err | tol |", "|---|---|---|---|"]
        for r in n:
            lines.append("| {} | {} | {} | {} |".format(
                r["case"], "yes" if r["ok"] else "**NO**",
                "{:.2e}".format(r["rel_err"]) if "rel_err" in r else r.get("error", r.get("message", ""))[:80],
                "{:.1e}".format(r["tol"]) if "tol" in r else ""))
        lines.append("")
    if "overhead_us" in res:
        o = res["overhead_us"]
        lines += ["## Host overhead per call (cache hit)", "",
                  "moec.fused_moe (Python) {:.1f} us, moec_fused_moe (C API via ctypes) {:.1f} us, "
                  "torch.mm {:.1f} us. One fused_moe call = a memset and 3 kernel launches.".format(
                      o["python_fused_moe"], o["c_api_fused_moe"], o["torch_mm"]), ""]
    if res.get("layer"):
        bw = res.get("copy_gbs") or 0
        lines += ["## Full layer, bf16 (copy bandwidth {:.0f} GB/s)".format(bw), "",
                  "| model | M | moec fused ms | heuristic ms (% copy) | moec unfused ms | Triton layer ms "
                  "| fused / Triton | moec TFLOP/s | moec weight GB/s (% copy) | moec config | Triton config |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in res["layer"]:
            mm = r.get("moec_ms")
            tm = r.get("triton_ms")
            hm = r.get("moec_heuristic_ms")
            lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                r["model"], r["m"], "{:.4f}".format(mm) if mm else "-",
                "{:.4f} ({:.0f}%)".format(hm, 100 * r["weight_bytes"] / hm / 1e6 / bw)
                if hm and bw else "-",
                "{:.4f}".format(r["moec_unfused_ms"]) if r.get("moec_unfused_ms") else "-",
                "{:.4f}".format(tm) if tm else "-",
                "{:.2f}x".format(tm / mm) if mm and tm else "-",
                "{:.0f}".format(r["flops"] / mm / 1e9) if mm else "-",
                "{:.0f} ({:.0f}%)".format(r["weight_bytes"] / mm / 1e6,
                                          100 * r["weight_bytes"] / mm / 1e6 / bw)
                if mm and bw else "-",
                r.get("moec_config", "-")[:90], r.get("triton_config", "-")))
        lines += ["", "fused / Triton > 1: moec faster. Time: mean of 20 back-to-back calls "
                  "between CUDA events (median of 5)."]
    import moe_jit_quant as mq
    q = mq.summarize(res, res.get("copy_gbs") or 0)
    if q:
        lines += ["", q]
    return "\n".join(lines)


def main():
    global LOG, SAVE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.environ.get("OUT", "moe_jit_out"))
    ap.add_argument("--steps", default="numerics,overhead,layer")
    ap.add_argument("--models", default="mixtral,deepseek")
    ap.add_argument("--ms", default="1,16,64,256,1024,4096")
    ap.add_argument("--candidates", type=int, default=2)
    ap.add_argument("--budget-s", type=float, default=420)
    ap.add_argument("--quant", default="fp8_block,fp8_token,int8,mxfp4",
                    help="modes of the quant step")
    ap.add_argument("--quant-ms", default="1,16,64,256")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    steps = args.steps.split(",")
    models = args.models.split(",")
    ms = [int(x) for x in args.ms.split(",")]
    import moe_jit_quant as mq
    quant = [q for q in args.quant.split(",") if q]
    bad = [q for q in quant if q not in mq.MODES]
    if bad:
        print("unknown --quant mode(s) {}: {}".format(bad, ",".join(mq.MODES)))
        return 2
    quant_ms = [int(x) for x in args.quant_ms.split(",")]
    if args.dry_run:
        print("steps:", steps, "models:", models, "ms:", ms, "candidates:", args.candidates,
              "quant:", quant if any(x.startswith("quant") for x in steps) else "-",
              "quant ms:", quant_ms)
        return 0
    os.makedirs(args.out, exist_ok=True)
    LOG = open(os.path.join(args.out, "moe_jit_log.txt"), "w")
    deadline = time.monotonic() + args.budget_s
    import torch
    res = {"device": torch.cuda.get_device_name(0), "steps": steps}
    failed = 0

    def save():
        with open(os.path.join(args.out, "moe_jit.json"), "w") as f:
            json.dump(res, f, indent=1)
        md = summarize(res)
        with open(os.path.join(args.out, "moe_jit.md"), "w") as f:
            f.write(md + "\n")
        return md
    SAVE = save
    if "numerics" in steps:
        failed = step_numerics(res)
        save()
    if "overhead" in steps:
        try:
            step_overhead(res)
        except Exception as ex:
            log("overhead failed: {}".format(ex))
        save()
    # quant = quant_numerics + quant_layer (each may be named alone)
    if ("quant" in steps or "quant_numerics" in steps) and quant:
        failed += mq.step_numerics(res, quant, log, make_problem)
        save()
    if "layer" in steps:
        try:
            step_layer(res, models, ms, args.candidates, deadline)
        except Exception as ex:
            log("layer failed: {}".format(ex))
        save()
    if ("quant" in steps or "quant_layer" in steps) and quant:
        try:
            mq.step_layer(res, quant, models, quant_ms, log, deadline, MODELS, save)
        except Exception as ex:
            log("quant layer failed: {}".format(ex))
        save()
    print(save())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
