#!/usr/bin/env python3
"""Compile the Triton tutorial matmul for gfx942 (MI300X) without an AMD GPU and
report its ISA: registers, spills, LDS, load widths, MFMAs, K-loop size and
compile time per config. This is the peer moec's own gfx942 code is read
against (benchmarks/isa_report.py parses both).

Needs Triton with its AMD backend (3.6 on the GPU machine); no GPU is used.

    python3 benchmarks/triton_gfx942_isa.py [--b-layout kn|nk] [--out DIR]
            [--asm-tar FILE.tar.gz] [--configs 0,2,5] [--list]

Writes DIR/triton_gfx942_isa.json and DIR/triton_gfx942_isa.md (DIR defaults
to $OUT, else ./triton_gfx942_out) and prints the markdown table last.
--asm-tar packs every variant's amdgcn text (one .s per config) for a
side-by-side read. Exit status 1 if no config compiled.
"""

import argparse
import io
import json
import os
import platform
import sys
import tarfile
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import isa_report  # noqa: E402

# Tutorial-style configs as ROCm users write them. name: (BM, BN, BK, GROUP_M,
# num_warps, num_stages, waves_per_eu, matrix_instr_nonkdim, kpack)
CONFIGS = [
    ("m128n128k64_w4_s2_nk16_kp1", 128, 128, 64, 8, 4, 2, 0, 16, 1),
    ("m256n128k64_w8_s2_nk16_kp1", 256, 128, 64, 8, 8, 2, 0, 16, 1),
    ("m128n128k64_w4_s2_nk32_kp1", 128, 128, 64, 8, 4, 2, 0, 32, 1),
    ("m64n64k32_w4_s2_nk16_kp1", 64, 64, 32, 8, 4, 2, 0, 16, 1),
    ("m128n256k64_w8_s2_wpe2_nk16_kp1", 128, 256, 64, 8, 8, 2, 2, 16, 1),
    ("m128n128k64_w4_s3_nk16_kp1", 128, 128, 64, 8, 4, 3, 0, 16, 1),
    ("m128n128k64_w4_s2_nk16_kp2", 128, 128, 64, 8, 4, 2, 0, 16, 2),
    ("m16n128k128_w4_s2_nk16_kp1", 16, 128, 128, 1, 4, 2, 0, 16, 1),
]
FIELDS = ["BLOCK_M", "BLOCK_N", "BLOCK_K", "GROUP_M", "num_warps", "num_stages",
          "waves_per_eu", "matrix_instr_nonkdim", "kpack"]


def log(*a):
    print(*a, flush=True)


def build_kernel():
    """The Triton tutorial matmul (03-matrix-multiplication), bf16 out, masked K."""
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

    return matmul_kernel


def specialization(fn, b_layout, cfg):
    """Signature, constexprs and attrs as Triton's JIT would build them for
    contiguous bf16 operands whose sizes and strides are multiples of 16:
    pointers and ints get tt.divisibility 16, unit strides become constexpr 1.
    """
    bm, bn, bk, gm = cfg[1:5]
    unit = {"stride_ak", "stride_cn"}
    unit.add("stride_bn" if b_layout == "kn" else "stride_bk")
    sig, constexprs, divisible = {}, {}, []
    for name in fn.arg_names:
        if name in ("a_ptr", "b_ptr", "c_ptr"):
            sig[name] = "*bf16"
            divisible.append(name)
        elif name in unit:
            sig[name] = "constexpr"
            constexprs[name] = 1
        elif name in ("BLOCK_M", "BLOCK_N", "BLOCK_K", "GROUP_M"):
            sig[name] = "constexpr"
            constexprs[name] = {"BLOCK_M": bm, "BLOCK_N": bn, "BLOCK_K": bk, "GROUP_M": gm}[name]
        else:
            sig[name] = "i32"
            divisible.append(name)
    return sig, constexprs, divisible


def make_sources(fn, sig, constexprs, divisible):
    """Yield (description, ASTSource) in the order of Triton versions: the 3.3+
    form first (3.6 on the GPU machine), then older ones."""
    from triton.compiler import ASTSource
    idx = {n: i for i, n in enumerate(fn.arg_names)}
    attrs = {(idx[n],): [["tt.divisibility", 16]] for n in divisible}

    # Triton >= 3.3: constexprs listed in the signature as "constexpr",
    # constexprs keyed by name (or (index,)), attrs {(index,): [[name, value]]}.
    yield "3.3+ (constexpr in signature, attrs by (index,))", \
        lambda: ASTSource(fn=fn, signature=dict(sig), constexprs=dict(constexprs), attrs=attrs)
    # Same, constexprs keyed by (index,).
    yield "3.3+ (constexprs keyed by (index,))", \
        lambda: ASTSource(fn=fn, signature=dict(sig),
                          constexprs={(idx[k],): v for k, v in constexprs.items()}, attrs=attrs)
    # Signature without constexpr entries.
    yield "3.3+ (constexprs left out of the signature)", \
        lambda: ASTSource(fn=fn, signature={k: v for k, v in sig.items() if v != "constexpr"},
                          constexprs=dict(constexprs), attrs=attrs)

    # Triton 3.0-3.2: `constants`, AttrsDescriptor.
    def old():
        from triton.backends.compiler import AttrsDescriptor
        d = [idx[n] for n in divisible]
        try:
            desc = AttrsDescriptor.from_dict({"arg_properties": {"tt.divisibility": d},
                                              "cls": AttrsDescriptor.__name__})
        except Exception:
            desc = AttrsDescriptor(divisible_by_16=set(d), equal_to_1=set())
        s = {idx[k]: v for k, v in sig.items() if v != "constexpr"}
        try:
            return ASTSource(fn=fn, signature=s, constants={idx[k]: v for k, v in constexprs.items()},
                             attrs=desc)
        except TypeError:
            return ASTSource(fn=fn, signature={k: v for k, v in sig.items() if v != "constexpr"},
                             constants=dict(constexprs), attrs=desc)
    yield "3.0-3.2 (constants + AttrsDescriptor)", old


def compile_variant(fn, target, cfg, b_layout, form_cache):
    import triton
    sig, constexprs, divisible = specialization(fn, b_layout, cfg)
    options = dict(num_warps=cfg[5], num_stages=cfg[6], waves_per_eu=cfg[7],
                   matrix_instr_nonkdim=cfg[8], kpack=cfg[9])
    errors = []
    forms = list(make_sources(fn, sig, constexprs, divisible))
    # Try the form that worked last time first.
    if form_cache.get("form") is not None:
        forms.sort(key=lambda f: f[0] != form_cache["form"])
    for desc, make in forms:
        try:
            src = make()
        except Exception as e:  # this Triton does not take this ASTSource form
            errors.append("%s: ASTSource: %s: %s" % (desc, type(e).__name__, e))
            continue
        t0 = time.perf_counter()
        try:
            ck = triton.compile(src, target=target, options=options)
        except Exception as e:
            msg = "%s: compile: %s: %s" % (desc, type(e).__name__, str(e).strip()[:2000])
            errors.append(msg)
            # Once a form has compiled some variant, a failure in that form is
            # the compiler's verdict on this config, not an API mismatch:
            # trying the other forms would only repeat it.
            if desc == form_cache.get("form"):
                break
            continue
        dt = time.perf_counter() - t0
        form_cache["form"] = desc
        return ck, dt, desc, errors
    return None, None, None, errors


def metadata_dict(ck):
    md = getattr(ck, "metadata", None)
    out = {}
    if md is None:
        return out
    items = md._asdict() if hasattr(md, "_asdict") else (md if isinstance(md, dict) else vars(md))
    for k, v in items.items():
        if isinstance(v, (int, float, str, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, str, bool)) for x in v):
            out[k] = list(v)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--b-layout", choices=["kn", "nk"], default="kn",
                    help="B stored K x N row-major (kn, unit stride along N) or N x K "
                         "row-major (nk, unit stride along K: nn.Linear weights)")
    ap.add_argument("--arch", default="gfx942")
    ap.add_argument("--out", default=os.environ.get("OUT") or "triton_gfx942_out")
    ap.add_argument("--asm-tar", help="write every variant's amdgcn to this .tar.gz")
    ap.add_argument("--configs", help="comma-separated indices into the config list")
    ap.add_argument("--list", action="store_true", help="print the configs and exit (no Triton needed)")
    args = ap.parse_args(argv)

    configs = CONFIGS
    if args.configs:
        configs = [CONFIGS[int(i)] for i in args.configs.split(",")]
    if args.list:
        for i, c in enumerate(CONFIGS):
            log(i, c[0], dict(zip(FIELDS, c[1:])))
        return 0

    # A cold cache of our own, so that compile times are real compiles.
    os.environ.setdefault("TRITON_CACHE_DIR", tempfile.mkdtemp(prefix="triton-gfx942-cache-"))
    try:
        import triton
        from triton.backends.compiler import GPUTarget
    except Exception as e:
        log("triton_gfx942_isa: cannot import triton: %s: %s" % (type(e).__name__, e))
        return 2
    log("triton %s, python %s, cache %s" % (triton.__version__, platform.python_version(),
                                            os.environ["TRITON_CACHE_DIR"]))
    target = GPUTarget("hip", args.arch, 64)
    matmul_kernel = build_kernel()
    os.makedirs(args.out, exist_ok=True)

    # Pay Triton's one-time start-up (backend load, libdevice) outside the
    # timings, and find which ASTSource form this Triton takes: compile the
    # first config with another GROUP_M (another cache key) once, untimed.
    form_cache = {}
    t0 = time.perf_counter()
    warm = list(configs[0])
    warm[4] = 4 if warm[4] != 4 else 2
    ck, _, form, errors = compile_variant(matmul_kernel, target, tuple(warm), args.b_layout, form_cache)
    warm_err = None if ck is not None else errors
    if warm_err:
        log("warm-up compile failed:\n  " + "\n  ".join(errors))
    log("warm-up compile %.2f s, ASTSource form: %s" % (time.perf_counter() - t0, form))

    results = []
    asm_files = {}
    for cfg in configs:
        name = cfg[0]
        row = {"variant": name, "config": dict(zip(FIELDS, cfg[1:])), "b_layout": args.b_layout}
        try:
            ck, dt, form, errors = compile_variant(matmul_kernel, target, cfg, args.b_layout, form_cache)
        except Exception as e:
            ck, dt, form, errors = None, None, None, ["%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc())]
        row["errors"] = errors
        if ck is None:
            log("FAILED %s:\n  %s" % (name, "\n  ".join(errors)))
            results.append(row)
            continue
        row["compile_s"] = round(dt, 3)
        row["api_form"] = form
        asm = ck.asm.get("amdgcn") if hasattr(ck, "asm") else None
        md = metadata_dict(ck)
        row["metadata"] = md
        if isinstance(asm, bytes):
            asm = asm.decode("utf-8", "replace")
        if not asm:
            row["errors"].append("no asm['amdgcn'] (keys: %s)" % sorted(getattr(ck, "asm", {}).keys()))
            log("FAILED %s: no amdgcn text" % name)
            results.append(row)
            continue
        asm_files[name + ".s"] = asm
        try:
            rep = isa_report.analyze_amdgcn(asm)
        except Exception as e:
            row["errors"].append("isa_report: %s: %s" % (type(e).__name__, e))
            results.append(row)
            continue
        rep.pop("loops", None)
        row["isa"] = rep
        # Triton's own numbers where the assembly left a field empty.
        if rep.get("lds_bytes") is None and isinstance(md.get("shared"), int):
            rep["lds_bytes"] = md["shared"]
        row["hsaco_bytes"] = len(ck.asm["hsaco"]) if "hsaco" in ck.asm else None
        log("ok %-34s %6.2f s  vgpr %s agpr %s sgpr %s spill %s/%s lds %s kloop %s mfma %s" % (
            name, dt, rep["vgpr"], rep["agpr"], rep["sgpr"], rep["vgpr_spill"], rep["sgpr_spill"],
            rep["lds_bytes"], rep["kloop"]["instructions"] if rep["kloop"] else None, rep["mfma"]))
        results.append(row)

    ok = [r for r in results if "isa" in r]
    doc = {
        "tool": "benchmarks/triton_gfx942_isa.py",
        "triton": triton.__version__,
        "target": "hip/%s/64" % args.arch,
        "b_layout": args.b_layout,
        "warmup_error": warm_err,
        "api_form": form_cache.get("form"),
        "variants": results,
    }
    jpath = os.path.join(args.out, "triton_gfx942_isa.json")
    with open(jpath, "w") as fh:
        json.dump(doc, fh, indent=1)

    rows = []
    for r in ok:
        rep = dict(r["isa"])
        rep["variant"] = r["variant"]
        rep["compile_s"] = r["compile_s"]
        rows.append(rep)
    md = ["## Triton %s tutorial matmul for %s (bf16, f32 acc, B %s), compiled without a GPU"
          % (triton.__version__, args.arch, args.b_layout), "",
          isa_report.markdown_table(rows, extra_columns=[("compile s", lambda r: "%.2f" % r["compile_s"])])]
    failed = [r for r in results if "isa" not in r]
    if failed:
        md += ["", "Failed: " + ", ".join(r["variant"] for r in failed) + " (errors in the JSON)"]
    mpath = os.path.join(args.out, "triton_gfx942_isa.md")
    with open(mpath, "w") as fh:
        fh.write("\n".join(md) + "\n")
    if args.asm_tar:
        with tarfile.open(args.asm_tar, "w:gz") as tar:
            for fname, text in asm_files.items():
                data = text.encode()
                info = tarfile.TarInfo("triton_gfx942/" + fname)
                info.size = len(data)
                info.mtime = int(time.time())
                tar.addfile(info, io.BytesIO(data))
    log("\n".join(md))
    log("wrote %s, %s%s" % (jpath, mpath, (", " + args.asm_tar) if args.asm_tar else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
