"""moec.fused_moe with quantized weights on the H100 (the `quant` step of
benchmarks/moe_jit_h100.py; MOE_JIT_QUANT in moe_jit_h100.sh picks the modes).

Modes (--quant, comma-separated):
  fp8_block   fp8_w8a8, block_shape [128, 128] (DeepSeek-V3): weight scales
              [E, N/128, K/128], activations quantized per [1, 128] each call
  fp8_token   fp8_w8a8, per-channel weight scales [E, N], per-token
              activation scales (per_act_token_quant)
  fp8_tensor  fp8_w8a8, per-expert weight scales [E], per-tensor activation
              scales computed each call
  fp8_static  fp8_w8a8, per-expert weight scales, static a13/a2 scales
  int8        int8_w8a16, per-channel scales [E, N]
  mxfp4       MXFP4 weights [E, N, K/2] packed e2m1 + e8m0 scales [E, N, K/32]

numerics  per mode, small shapes (M = 1, 37 (not a multiple of block_m), 300;
          top-k 1/2/8; -1 ids; an expert map with skipped experts; E = 64 with
          few tokens: empty experts) against a torch f32 reference from the
          dequantized weights and, for fp8, the activations quantized as the
          quant_fp8 kernel does (scale = max(amax, 1e-10) / 448, x / scale
          rounded to e4m3fn); tolerance relative to max |ref|: 3/64 for fp8
          (bf16 out and intermediate, plus an intermediate element rounded
          across an e4m3 tie), 2/64 for int8 / mxfp4 (as bf16).
layer     Mixtral-8x7B TP1 and DeepSeek-V3 TP1, M = --ms: moec.fused_moe bf16
          (heuristic config), each quantized mode (heuristic config), and for
          fp8_block the Triton layer of triton_fused_moe.py with block-wise
          fp8 scales (its first candidate config that is right); time = mean
          of 20 back-to-back calls between CUDA events; weight GB/s counts
          each active expert's quantized weights (+ scales) once.
"""
import json
import statistics
import time

MODES = ("fp8_block", "fp8_token", "fp8_tensor", "fp8_static", "int8", "mxfp4")
GROUP = 128  # block_shape [128, 128]
E2M1 = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0)


def fp8_quant_act(x, mode, group_k=GROUP, static=None):
    """x float [R, K] -> the dequantized values quant_fp8 produces."""
    import torch
    x = x.float()
    if mode == "fp8_static":
        s = torch.tensor(static, device=x.device)
        return (x / s).clamp(-448, 448).to(torch.float8_e4m3fn).float() * s
    if mode == "fp8_block":
        r, k = x.shape
        g = x.view(r, k // group_k, group_k)
        s = g.abs().amax(-1, keepdim=True).clamp_min(1e-10) / 448.0
        q = (g / s).clamp(-448, 448).to(torch.float8_e4m3fn).float() * s
        return q.view(r, k)
    if mode == "fp8_token":
        s = x.abs().amax(1, keepdim=True).clamp_min(1e-10) / 448.0
    else:  # fp8_tensor
        s = x.abs().amax().clamp_min(1e-10) / 448.0
    return (x / s).clamp(-448, 448).to(torch.float8_e4m3fn).float() * s


def _quantize_chunk(w, mode):
    """bf16 w [e, N, K] -> (stored, scales) of one chunk of experts."""
    import torch
    e, N, K = w.shape
    wf = w.float()
    if mode == "int8":
        s = wf.abs().amax(-1).clamp_min(1e-12) / 127.0
        return torch.round(wf / s[..., None]).clamp(-127, 127).to(torch.int8), s
    if mode == "fp8_block":
        g = wf.view(e, N // GROUP, GROUP, K // GROUP, GROUP)
        s = g.abs().amax((2, 4)).clamp_min(1e-12) / 448.0
        q = (g / s[:, :, None, :, None]).clamp(-448, 448).to(torch.float8_e4m3fn)
        return q.view(e, N, K), s
    if mode == "fp8_token":
        s = wf.abs().amax(-1).clamp_min(1e-12) / 448.0
        return (wf / s[..., None]).clamp(-448, 448).to(torch.float8_e4m3fn), s
    s = wf.abs().amax((1, 2)).clamp_min(1e-12) / 448.0  # one scale per expert
    return (wf / s[:, None, None]).clamp(-448, 448).to(torch.float8_e4m3fn), s


def dequantize(q, s, mode):
    """f32 values of stored weights q with scales s."""
    import torch
    E, N, Kq = q.shape
    if mode == "mxfp4":
        lut = torch.tensor(E2M1, device=q.device)
        vals = torch.stack([lut[(q & 15).long()], lut[(q >> 4).long()]], -1).view(E, N, 2 * Kq)
        return vals * torch.pow(2.0, s.float() - 127).repeat_interleave(32, -1)
    qf = q.float()
    if mode == "fp8_block":
        return qf * s.repeat_interleave(GROUP, 1).repeat_interleave(GROUP, 2)[:, :N, :Kq]
    if s.dim() == 2:
        return qf * s[..., None]
    return qf * s[:, None, None]


def quantize(w, mode, gen=None):
    """bf16 w [E, N, K] -> (stored weights, scales, dequantized f32 or None:
    only for small w, the numerics). Chunks of experts, so that DeepSeek's
    15 GB w13 never has an f32 copy."""
    import torch
    E, N, K = w.shape
    small = w.numel() <= (1 << 26)
    if mode == "mxfp4":
        q = torch.randint(0, 256, (E, N, K // 2), generator=gen, device=w.device,
                          dtype=torch.uint8)
        s = torch.randint(120, 124, (E, N, K // 32), generator=gen, device=w.device,
                          dtype=torch.uint8)
        return q, s, (dequantize(q, s, mode) if small else None)
    qs, ss = [], []
    step = max(1, (1 << 27) // (N * K))
    for e0 in range(0, E, step):
        q, s = _quantize_chunk(w[e0:e0 + step], mode)
        qs.append(q)
        ss.append(s)
    q = torch.cat(qs).contiguous()
    s = torch.cat(ss).contiguous()
    return q, s, (dequantize(q, s, mode) if small else None)


def kwargs_for(mode, s13, s2, statics=(None, None)):
    import torch
    kw = dict(w13_scale=s13, w2_scale=s2)
    if mode.startswith("fp8"):
        kw["quant"] = "fp8_w8a8"
        if mode == "fp8_block":
            kw["block_shape"] = [GROUP, GROUP]
        elif mode == "fp8_token":
            kw["per_act_token_quant"] = True
        elif mode == "fp8_static":
            kw["a13_scale"] = torch.tensor([statics[0]], device="cuda", dtype=torch.float32)
            kw["a2_scale"] = torch.tensor([statics[1]], device="cuda", dtype=torch.float32)
    else:
        kw["quant"] = "int8_w8a16" if mode == "int8" else "mxfp4"
    return kw


def reference(mode, hidden, w13d, w2d, tw, ids, expert_map=None, statics=(None, None)):
    """f32 fused_experts from dequantized weights; fp8 quantizes hidden and
    the (bf16-rounded) intermediate as the kernels do."""
    import torch
    T, H = hidden.shape
    E, N, _ = w13d.shape
    inter = N // 2
    K = ids.shape[1]
    fp8 = mode.startswith("fp8")
    x = hidden.float()
    if fp8:
        x = fp8_quant_act(x, mode, static=statics[0])
    eid = ids.long()
    if expert_map is not None:
        g = expert_map.shape[0]
        valid = (eid >= 0) & (eid < g)
        eid = torch.where(valid, expert_map.long()[eid.clamp(0, g - 1)],
                          torch.full_like(eid, -1))
    inter_all = torch.zeros((T * K, inter), device=hidden.device)
    for e in range(E):
        t, j = torch.nonzero(eid == e, as_tuple=True)
        if t.numel() == 0:
            continue
        gu = x[t] @ w13d[e].T
        a = torch.nn.functional.silu(gu[:, :inter]) * gu[:, inter:]
        inter_all[t * K + j] = a.to(hidden.dtype).float()
    if fp8:
        inter_all = fp8_quant_act(inter_all, mode, static=statics[1])
    out = torch.zeros((T, H), device=hidden.device)
    for e in range(E):
        t, j = torch.nonzero(eid == e, as_tuple=True)
        if t.numel() == 0:
            continue
        y = inter_all[t * K + j] @ w2d[e].T
        out.index_add_(0, t, y * tw[t, j].float()[:, None])
    return out


def step_numerics(res, modes, log, make_problem):
    import torch
    import moec
    cases = [dict(T=1, H=256, I=128, E=8, K=2), dict(T=37, H=512, I=256, E=8, K=1),
             dict(T=300, H=256, I=256, E=16, K=8), dict(T=5, H=256, I=128, E=64, K=8),
             dict(T=77, H=256, I=128, E=8, K=2, invalid=True),
             dict(T=129, H=512, I=256, E=8, K=2, ep=16)]
    rows = []
    failed = 0
    for mode in modes:
        for i, c in enumerate(cases):
            ep = c.get("ep")
            hidden, w13, w2, tw, ids = make_problem(c["T"], c["H"], c["I"], c["E"], c["K"],
                                                    torch.bfloat16, 500 + i, global_experts=ep,
                                                    invalid=c.get("invalid", False),
                                                    scale=0.05)
            emap = None
            if ep:
                emap = torch.tensor([e // 2 if e % 2 == 0 else -1 for e in range(ep)],
                                    dtype=torch.int32, device="cuda")
            name = "{} T={} H={} I={} E={} top{}{}{}".format(
                mode, c["T"], c["H"], c["I"], c["E"], c["K"], f" ep{ep}" if ep else "",
                " -1ids" if c.get("invalid") else "")
            try:
                g = torch.Generator(device="cuda").manual_seed(900 + i)
                q13, s13, d13 = quantize(w13, mode, g)
                q2, s2, d2 = quantize(w2, mode, g)
                # static scales that clamp the largest values a little
                statics = (float(hidden.float().abs().max()) / 448 * 0.75, 1.0 / 448)
                kw = kwargs_for(mode, s13, s2, statics)
                out = torch.full_like(hidden, float("nan"))
                moec.fused_moe(hidden, q13, q2, tw, ids, out, expert_map=emap, **kw)
                torch.cuda.synchronize()
                want = reference(mode, hidden, d13, d2, tw, ids, emap, statics)
                scale = float(want.abs().max().clamp_min(1e-3))
                err = float((out.float() - want).abs().max()) / scale
                tol = 3.0 / 64 if mode.startswith("fp8") else 2.0 / 64
                ok = err <= tol and not bool(torch.isnan(out).any())
                v = moec.last_variant()
                rows.append(dict(case=name, ok=ok, rel_err=err, tol=tol, config=v["config"]))
                log("{} {}: rel err {:.2e} (tol {:.1e})".format("PASS" if ok else "FAIL", name,
                                                                err, tol))
                failed += not ok
            except Exception as ex:
                rows.append(dict(case=name, ok=False, error=str(ex)[:300]))
                log("FAIL {}: {}".format(name, str(ex)[:300]))
                failed += 1
    res["quant_numerics"] = rows
    return failed


def events_ms(fn, calls=20, reps=5):
    import torch
    fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(calls):
            fn()
        e.record()
        e.synchronize()
        out.append(s.elapsed_time(e) / calls)
    return statistics.median(out)


def step_layer(res, modes, models, ms, log, deadline, model_table, save=None):
    import torch
    import moec
    import triton_fused_moe as tfm
    fp8_kernel = tfm.build_fp8_block_kernel() if "fp8_block" in modes else None
    if not res.get("copy_gbs"):
        res["copy_gbs"] = tfm.copy_bandwidth()
    res.setdefault("quant_layer", [])
    for model in models:
        title, E, K, H, inter = model_table[model]
        g = torch.Generator(device="cuda").manual_seed(1)
        w13 = torch.randn((E, 2 * inter, H), generator=g, device="cuda", dtype=torch.bfloat16)
        w13.mul_(0.02)
        w2 = torch.randn((E, H, inter), generator=g, device="cuda", dtype=torch.bfloat16)
        w2.mul_(0.02)
        inputs = {}
        for m in ms:
            hidden = torch.randn((m, H), generator=g, device="cuda").bfloat16()
            ids, tw = tfm.route(m, E, K, g)
            inputs[m] = (hidden, ids, tw.contiguous())
        times = {m: {} for m in ms}
        for mode in ("bf16",) + tuple(modes):
            if time.monotonic() > deadline:
                log("quant layer: time budget reached, skipping the rest")
                break
            if mode == "bf16":
                a13, a2, kw = w13, w2, {}
            else:
                a13, s13, _ = quantize(w13, mode, g)
                a2, s2, _ = quantize(w2, mode, g)
                kw = kwargs_for(mode, s13, s2, (4.0 / 448, 1.0 / 448))
            for m in ms:
                hidden, ids, tw = inputs[m]
                out = torch.empty_like(hidden)
                try:
                    moec.fused_moe(hidden, a13, a2, tw, ids, out, **kw)
                    torch.cuda.synchronize()
                    t = events_ms(lambda: moec.fused_moe(hidden, a13, a2, tw, ids, out, **kw))
                    times[m][mode] = t
                    log("  {} M={} moec {} {:.4f} ms ({})".format(
                        model, m, mode, t, moec.last_variant()["config"][:120]))
                except Exception as ex:
                    log("  {} M={} moec {}: {}".format(model, m, mode,
                                                      str(ex).splitlines()[0][:200]))
                if mode == "fp8_block" and fp8_kernel is not None:
                    cands, _ = tfm.ordered_candidates(m, K, E)
                    for cfg in tfm.triton_configs(cands)[:3]:
                        try:
                            run = tfm.triton_layer_fp8_block(fp8_kernel, hidden, a13, s13, a2,
                                                             s2, ids, tw, E, K, cfg, GROUP,
                                                             GROUP)
                            mo = torch.empty_like(hidden)
                            moec.fused_moe(hidden, a13, a2, tw, ids, mo, **kw)
                            tr = run()
                            torch.cuda.synchronize()
                            err = float((tr.float() - mo.float()).abs().max() /
                                        mo.float().abs().max().clamp_min(1e-6))
                            if err > 0.1:
                                log("  triton fp8 {} differs from moec by {:.2e}".format(
                                    tfm.cfg_text(cfg), err))
                                continue
                            t = events_ms(run)
                            prev = times[m].get("triton_fp8_block")
                            if prev is None or t < prev:
                                times[m]["triton_fp8_block"] = t
                                times[m]["triton_fp8_block_config"] = tfm.cfg_text(cfg)
                            log("  {} M={} triton fp8_block {} {:.4f} ms (vs moec {:.1e})".format(
                                model, m, tfm.cfg_text(cfg), t, err))
                        except Exception as ex:
                            log("  triton fp8 {}: {}".format(tfm.cfg_text(cfg),
                                                            str(ex).splitlines()[0][:200]))
            if mode != "bf16":
                del a13, a2, kw
                torch.cuda.empty_cache()
        for m in ms:
            ids = inputs[m][1]
            active = len(set(ids.flatten().tolist()))
            row = dict(model=title, m=m, active_experts=active, times_ms=times[m],
                       flops=2 * m * K * 3 * inter * H,
                       weight_elems=active * 3 * inter * H)
            res["quant_layer"].append(row)
            log(json.dumps(row))
        del w13, w2
        torch.cuda.empty_cache()
        if save:
            save()


def summarize(res, bw):
    lines = []
    if res.get("quant_numerics"):
        n = res["quant_numerics"]
        lines += ["## Quantized numerics ({} of {} pass)".format(sum(r["ok"] for r in n), len(n)),
                  "", "| case | ok | rel err | tol |", "|---|---|---|---|"]
        for r in n:
            lines.append("| {} | {} | {} | {} |".format(
                r["case"], "yes" if r["ok"] else "**NO**",
                "{:.2e}".format(r["rel_err"]) if "rel_err" in r else r.get("error", "")[:80],
                "{:.1e}".format(r["tol"]) if "tol" in r else ""))
        lines.append("")
    if res.get("quant_layer"):
        cols = ["bf16"] + [m for m in MODES if any(m in r["times_ms"] for r in res["quant_layer"])]
        tri = any("triton_fp8_block" in r["times_ms"] for r in res["quant_layer"])
        head = "| model | M | " + " | ".join(c + " ms" for c in cols)
        head += " | Triton fp8_block ms | fp8_block / Triton |" if tri else " |"
        lines += ["## Full layer, quantized weights (heuristic configs; ratio > 1: moec faster)",
                  "", head, "|" + "---|" * (2 + len(cols) + (2 if tri else 0))]
        bytes_per = {"bf16": 2, "int8": 1, "mxfp4": 0.5}
        for r in res["quant_layer"]:
            t = r["times_ms"]
            cells = []
            for c in cols:
                if c in t:
                    gbs = r["weight_elems"] * bytes_per.get(c, 1) / t[c] / 1e6
                    cells.append("{:.4f} ({:.0f} GB/s{})".format(
                        t[c], gbs, ", {:.0f}%".format(100 * gbs / bw) if bw else ""))
                else:
                    cells.append("-")
            line = "| {} | {} | ".format(r["model"], r["m"]) + " | ".join(cells)
            if tri:
                tt = t.get("triton_fp8_block")
                mm = t.get("fp8_block")
                line += " | {} | {} |".format("{:.4f}".format(tt) if tt else "-",
                                              "{:.2f}x".format(tt / mm) if tt and mm else "-")
            else:
                line += " |"
            lines.append(line)
        lines += ["", "GB/s: each active expert's w13 and w2 at the stored width once "
                  "(scales not counted); % of the measured copy bandwidth."]
    return "\n".join(lines)
