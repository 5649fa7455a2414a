"""moec from Python: the JIT's C API (libmoec.so) through ctypes.

    import moec
    y = moec.gemm(x, w.t())                 # torch tensors on cuda:N, or numpy
    y = moec.gemm(x, w, transpose_b=True, bias=b, activation="silu", out=y)
    moec.last_variant()                      # what the call used, and why

Tensors: torch tensors (the call goes to torch's current stream of the
tensor's device), numpy arrays (the host device), or anything with
``data_ptr()``, ``dtype``, ``shape`` and ``stride()``. dtypes: float16,
bfloat16 (torch), float32. A column-major operand (``w.t()``) is read as the
transpose of its row-major storage, without a copy.

The library is found at $MOEC_LIBRARY, else next to this package (a build
tree's build/lib, or an installed lib/), else by the system's loader.
"""
import ctypes
import ctypes.util
import os
import threading

__all__ = ["Jit", "Error", "gemm", "fused_moe", "last_variant", "jit_for", "version"]

_MAX_RANK = 4
_DTYPES = {"float16": 0, "half": 0, "bfloat16": 1, "float32": 2, "float": 2,
           "int32": 3, "int": 3,
           # quantized fused_moe weights and scales
           "float8_e4m3fn": 4, "float8_e4m3fnuz": 5, "int8": 6, "uint8": 6,
           "float8_e8m0fnu": 7}
_MOE_QUANTS = {None: 0, "none": 0, "fp8_w8a8": 1, "int8_w8a16": 2, "mxfp4": 3}
_ACTIVATIONS = {"none": 0, None: 0, "relu": 1, "silu": 2, "gelu": 3, "gelu_tanh": 4}
_CONFIG_SOURCES = ["override", "tuning database", "heuristic", "file"]
_CACHE_SOURCES = ["memory", "disk", "compiled"]


class Error(RuntimeError):
    """A moec call failed; the message says what and where."""


class _Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int32),
                ("rank", ctypes.c_int32), ("sizes", ctypes.c_int64 * _MAX_RANK),
                ("strides", ctypes.c_int64 * _MAX_RANK)]


class _GemmOptions(ctypes.Structure):
    _fields_ = [("transpose_a", ctypes.c_int32), ("transpose_b", ctypes.c_int32),
                ("bias", ctypes.POINTER(_Tensor)), ("activation", ctypes.c_int32),
                ("config", ctypes.c_char_p)]


class _FusedMoeOptions(ctypes.Structure):
    _fields_ = [("activation", ctypes.c_int32), ("unfused", ctypes.c_int32),
                ("expert_map", ctypes.POINTER(_Tensor)), ("w13_config", ctypes.c_char_p),
                ("w2_config", ctypes.c_char_p), ("workspace", ctypes.c_void_p),
                ("workspace_bytes", ctypes.c_size_t)]


class _FusedMoeQuant(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int32), ("per_token_activations", ctypes.c_int32),
                ("w13_scale", ctypes.POINTER(_Tensor)), ("w2_scale", ctypes.POINTER(_Tensor)),
                ("a13_scale", ctypes.POINTER(_Tensor)), ("a2_scale", ctypes.POINTER(_Tensor)),
                ("group_n", ctypes.c_int64), ("group_k", ctypes.c_int64)]


class _SparseMlaOptions(ctypes.Structure):
    _fields_ = [("has_scale", ctypes.c_int32), ("scale", ctypes.c_float),
                ("config", ctypes.c_char_p), ("workspace", ctypes.c_void_p),
                ("workspace_bytes", ctypes.c_size_t)]


class _VariantInfo(ctypes.Structure):
    _fields_ = [("kernel", ctypes.c_char * 128), ("config", ctypes.c_char * 256),
                ("key", ctypes.c_char * 33), ("config_source", ctypes.c_int32),
                ("cache_source", ctypes.c_int32), ("aligned", ctypes.c_int32),
                ("compile_ms", ctypes.c_double)]


def _find_library():
    env = os.environ.get("MOEC_LIBRARY")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for rel in ("../../build/lib/libmoec.so", "../../lib/libmoec.so", "../../libmoec.so",
                "../lib/libmoec.so", "libmoec.so"):
        p = os.path.normpath(os.path.join(here, rel))
        if os.path.exists(p):
            return p
    found = ctypes.util.find_library("moec")
    if found:
        return found
    raise Error("cannot find libmoec.so: set MOEC_LIBRARY, or build moec "
                "(cmake --build build) so that build/lib/libmoec.so exists")


_lib = None
_lib_lock = threading.Lock()


def _library():
    global _lib
    if _lib is not None:
        return _lib
    with _lib_lock:
        if _lib is None:
            lib = ctypes.CDLL(_find_library())
            P = ctypes.POINTER
            vp = ctypes.c_void_p
            lib.moec_version.restype = ctypes.c_char_p
            lib.moec_last_error.restype = ctypes.c_char_p
            lib.moec_jit_create.argtypes = [ctypes.c_char_p, ctypes.c_char_p, P(vp)]
            lib.moec_jit_destroy.argtypes = [vp]
            lib.moec_jit_destroy.restype = None
            lib.moec_jit_arch.argtypes = [vp, ctypes.c_char_p, ctypes.c_size_t]
            lib.moec_jit_variant_count.argtypes = [vp, P(ctypes.c_size_t)]
            lib.moec_gemm.argtypes = [vp, P(_Tensor), P(_Tensor), P(_Tensor),
                                      P(_GemmOptions), vp]
            lib.moec_last_variant.argtypes = [P(_VariantInfo), ctypes.c_size_t]
            lib.moec_gemm_plan_create.argtypes = [vp, P(_Tensor), P(_Tensor), P(_Tensor),
                                                  P(_GemmOptions), P(vp)]
            lib.moec_gemm_plan_destroy.argtypes = [vp]
            lib.moec_gemm_plan_destroy.restype = None
            lib.moec_gemm_plan_run.argtypes = [vp, vp, vp, vp, vp, vp]
            lib.moec_fused_moe.argtypes = [vp] + [P(_Tensor)] * 6 + [P(_FusedMoeOptions), vp]
            lib.moec_fused_moe_workspace_size.argtypes = [vp, P(_Tensor), P(_Tensor), P(_Tensor),
                                                          P(_FusedMoeOptions),
                                                          P(ctypes.c_size_t)]
            lib.moec_fused_moe_quant.argtypes = [vp] + [P(_Tensor)] * 6 + \
                [P(_FusedMoeOptions), P(_FusedMoeQuant), vp]
            lib.moec_fused_moe_quant_workspace_size.argtypes = [
                vp, P(_Tensor), P(_Tensor), P(_Tensor), P(_FusedMoeOptions),
                P(_FusedMoeQuant), P(ctypes.c_size_t)]
            lib.moec_sparse_mla_decode.argtypes = [vp] + [P(_Tensor)] * 5 + \
                [P(_SparseMlaOptions), vp]
            lib.moec_sparse_mla_workspace_size.argtypes = [vp, P(_Tensor), P(_Tensor),
                                                           ctypes.c_int64,
                                                           P(ctypes.c_size_t)]
            for fn in ("moec_jit_create", "moec_jit_arch", "moec_jit_variant_count",
                       "moec_gemm", "moec_last_variant", "moec_gemm_plan_create",
                       "moec_gemm_plan_run", "moec_fused_moe",
                       "moec_fused_moe_workspace_size", "moec_fused_moe_quant",
                       "moec_fused_moe_quant_workspace_size", "moec_sparse_mla_decode",
                       "moec_sparse_mla_workspace_size"):
                getattr(lib, fn).restype = ctypes.c_int
            _lib = lib
    return _lib


def version():
    return _library().moec_version().decode()


def _check(status):
    if status != 0:
        raise Error(_library().moec_last_error().decode(errors="replace"))


_dtype_codes = {}


def _dtype_code(dtype):
    code = _dtype_codes.get(dtype)
    if code is not None:
        return code
    name = str(dtype).replace("torch.", "")
    code = _DTYPES.get(name)
    if code is None:
        raise Error(f"moec: unsupported dtype {dtype} (float16, bfloat16, float32, int32; "
                    "fused_moe weights and scales: float8_e4m3fn(uz), int8, uint8, "
                    "float8_e8m0fnu)")
    _dtype_codes[dtype] = code
    return code


def _fill(t, x):
    """Describes tensor/array x in the _Tensor t; returns x's device string."""
    if hasattr(x, "data_ptr"):  # torch and look-alikes
        shape = tuple(x.shape)
        strides = tuple(x.stride())
        t.data = x.data_ptr()
        dev = getattr(x, "device", None)
        device = "host"
        if dev is not None and getattr(dev, "type", "cpu") != "cpu":
            device = f"{dev.type}:{dev.index or 0}"
    elif hasattr(x, "__array_interface__"):  # numpy
        shape = x.shape
        item = x.itemsize
        strides = tuple(s // item for s in x.strides)
        t.data = x.__array_interface__["data"][0]
        device = "host"
    else:
        raise Error(f"moec: cannot read a tensor from {type(x).__name__} "
                    "(torch tensors and numpy arrays are supported)")
    rank = len(shape)
    if rank > _MAX_RANK:
        raise Error(f"moec: rank {rank} is above {_MAX_RANK}")
    t.dtype = _dtype_code(x.dtype)
    t.rank = rank
    for d in range(rank):
        t.sizes[d] = shape[d]
        t.strides[d] = strides[d]
    return device


_raw_stream = None


def _stream_getter():
    """torch's current stream of device index i, as a CUstream integer."""
    global _raw_stream
    if _raw_stream is None:
        import torch
        # The raw getter skips building a torch.cuda.Stream object (~2 us).
        _raw_stream = getattr(torch._C, "_cuda_getCurrentRawStream", None) or \
            (lambda i: torch.cuda.current_stream(i).cuda_stream)
    return _raw_stream


class Jit:
    """A JIT over one device ("host", "cuda:N", "hip:N")."""

    def __init__(self, device="host", cache_dir=None):
        lib = _library()
        self._lib = lib
        handle = ctypes.c_void_p()
        _check(lib.moec_jit_create(device.encode(),
                                   cache_dir.encode() if cache_dir else None,
                                   ctypes.byref(handle)))
        self._handle = handle
        self.device = device
        # Prepared plans by call signature; the run entry point bound once.
        self._plans = {}
        # fused_moe's described tensors per thread (their data pointers are
        # swapped per call).
        self._tls = threading.local()
        self._run = lib.moec_gemm_plan_run

    def close(self):
        if self._handle:
            self._drop_plans()  # plans go before their JIT
            self._lib.moec_jit_destroy(self._handle)
            self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def arch(self):
        buf = ctypes.create_string_buffer(64)
        _check(self._lib.moec_jit_arch(self._handle, buf, 64))
        return buf.value.decode()

    @property
    def variant_count(self):
        n = ctypes.c_size_t()
        _check(self._lib.moec_jit_variant_count(self._handle, ctypes.byref(n)))
        return n.value

    def gemm(self, a, b, out=None, *, transpose_a=False, transpose_b=False,
             bias=None, activation=None, config=None, stream=None):
        """out = activation(a @ b + bias); returns out (allocated when None).

        The hot path: a call whose shapes, strides, dtypes and options were
        seen before reuses a prepared plan (moec_gemm_plan_run: data
        pointers and the stream only); the first call of a signature checks
        and describes the tensors once (moec_gemm_plan_create)."""
        if out is None:
            out = _empty_like_result(a, b, transpose_a, transpose_b)
        sa, pa = _sig_ptr(a)
        sb, pb = _sig_ptr(b)
        sc, pc = _sig_ptr(out)
        if bias is None:
            sbias = pbias = None
        else:
            sbias, pbias = _sig_ptr(bias)
        key = (sa, sb, sc, sbias, transpose_a, transpose_b, activation, config)
        entry = self._plans.get(key)
        if entry is None:
            return self._gemm_new_signature(key, a, b, out, bias, transpose_a, transpose_b,
                                            activation, config, stream, pa, pb, pc, pbias)
        plan, stream_of = entry
        if stream is None and stream_of is not None:
            stream = stream_of()
        if self._run(plan, pa, pb, pc, pbias, stream):
            raise Error(self._lib.moec_last_error().decode(errors="replace"))
        return out

    def _gemm_new_signature(self, key, a, b, out, bias, transpose_a, transpose_b,
                            activation, config, stream, pa, pb, pc, pbias):
        entry = self._make_plan(key, a, b, out, bias, transpose_a, transpose_b,
                                activation, config)
        plan, stream_of = entry
        try:
            if stream is None and stream_of is not None:
                stream = stream_of()
            if self._run(plan, pa, pb, pc, pbias, stream):
                raise Error(self._lib.moec_last_error().decode(errors="replace"))
        finally:
            if self._plans.get(key) is not entry:  # not kept: over the cap
                self._lib.moec_gemm_plan_destroy(plan)
        return out

    def _make_plan(self, key, a, b, out, bias, transpose_a, transpose_b, activation,
                   config):
        act = _ACTIVATIONS.get(activation)
        if act is None:
            raise Error(f"moec: unknown activation {activation!r}")
        ta, tb, tc, tbias = _Tensor(), _Tensor(), _Tensor(), _Tensor()
        _fill(ta, a)
        _fill(tb, b)
        device = _fill(tc, out)
        opt = _GemmOptions()
        opt.transpose_a = 1 if transpose_a else 0
        opt.transpose_b = 1 if transpose_b else 0
        if bias is not None:
            _fill(tbias, bias)
            opt.bias = ctypes.pointer(tbias)
        opt.activation = act
        opt.config = config.encode() if config else None
        handle = ctypes.c_void_p()
        _check(self._lib.moec_gemm_plan_create(
            self._handle, ctypes.byref(ta), ctypes.byref(tb), ctypes.byref(tc),
            ctypes.byref(opt), ctypes.byref(handle)))
        stream_of = None
        if device.startswith("cuda"):
            getter = _stream_getter()
            idx = int(device[5:])
            stream_of = lambda: getter(idx)  # noqa: E731
        entry = (handle.value, stream_of)
        # Kept plans live as long as the Jit (a call in another thread may
        # be running one); past the cap a new signature's plan is used once.
        if len(self._plans) < _MAX_PLANS and self._plans.setdefault(key, entry) is not entry:
            pass  # another thread kept its plan first: ours is dropped after use
        return entry

    def fused_moe(self, hidden, w13, w2, topk_weights, topk_ids, out=None, *,
                  activation="silu", expert_map=None, unfused=False, w13_config=None,
                  w2_config=None, workspace=None, stream=None, quant=None,
                  w13_scale=None, w2_scale=None, a13_scale=None, a2_scale=None,
                  block_shape=None, per_act_token_quant=False):
        """vLLM's fused_experts: out[t] = sum_j topk_weights[t, j] *
        w2[e] @ act_and_mul(w13[e] @ hidden[t]), e = topk_ids[t, j].

        hidden [T, H] f16/bf16; w13 [E, 2I, H]; w2 [E, H, I]; topk_weights
        [T, top_k] (f32/f16/bf16); topk_ids [T, top_k] int32; out [T, H]
        (allocated like hidden when None, overwritten). expert_map: [global
        experts] int32, the local expert or -1. activation "silu" | "gelu".
        Torch tensors get a workspace from torch's allocator (graph-safe);
        numpy arrays use the JIT's own. Returns out.

        Quantized weights (quant=): "fp8_w8a8" (w13/w2 float8_e4m3fn, or
        e4m3fnuz on gfx942; w13_scale/w2_scale f32 [E], [E, N] or, with
        block_shape=[group_n, group_k], [E, ceil(N/gn), ceil(K/gk)]; hidden
        and the intermediate quantized to fp8 per call: per [1, group_k]
        block, per token with per_act_token_quant, else per tensor, or with
        the static per-tensor a13_scale/a2_scale), "int8_w8a16" (int8
        weights, [E, N] f32 scales), "mxfp4" (w13 [E, 2I, H/2], w2 [E, H,
        I/2] uint8/int8 packed e2m1 pairs, scales [E, N, K/32] e8m0 as
        float8_e8m0fnu or uint8; hidden bf16).

        The hot path: a call whose shapes, dtypes and options were seen before
        on this thread reuses the described tensors and only swaps the data
        pointers."""
        if out is None:
            out = hidden.new_empty(tuple(hidden.shape)) if hasattr(hidden, "new_empty") \
                else __import__("numpy").empty(hidden.shape, dtype=hidden.dtype)
        args = (hidden, w13, w2, topk_weights, topk_ids, out)
        sigs = []
        ptrs = []
        for x in args:
            sg, p = _sig_ptr(x)
            sigs.append(sg)
            ptrs.append(p)
        # expert_map, then the quantization's tensors: described once, their
        # pointers swapped per call.
        extras = (expert_map, w13_scale, w2_scale, a13_scale, a2_scale)
        extra_sigs = []
        extra_ptrs = []
        for x in extras:
            if x is None:
                extra_sigs.append(None)
                extra_ptrs.append(None)
            else:
                sg, p = _sig_ptr(x)
                extra_sigs.append(sg)
                extra_ptrs.append(p)
        qkey = (quant, tuple(block_shape) if block_shape is not None else None,
                bool(per_act_token_quant))
        key = (tuple(sigs), tuple(extra_sigs), qkey, activation, bool(unfused),
               w13_config, w2_config, workspace is None)
        cache = getattr(self._tls, "moe", None)
        if cache is None:
            cache = self._tls.moe = {}
        prep = cache.get(key)
        if prep is None:
            prep = self._prepare_moe(args, extras, activation, unfused, w13_config,
                                     w2_config, qkey)
            if len(cache) < _MAX_PLANS:
                cache[key] = prep
        tensors, r, opt, extra_t, bytes_, stream_of, torch_ws, q = prep
        for t, p in zip(tensors, ptrs):
            t.data = p
        for t, p in zip(extra_t, extra_ptrs):
            if t is not None:
                t.data = p
        if workspace is not None:
            w_sg, w_p = _sig_ptr(workspace)
            opt.workspace = w_p
            opt.workspace_bytes = workspace.numel() * workspace.element_size() \
                if hasattr(workspace, "numel") else workspace.nbytes
        elif torch_ws is not None:
            ws = torch_ws(bytes_)
            opt.workspace = ws.data_ptr()
            opt.workspace_bytes = bytes_
        if stream is None and stream_of is not None:
            stream = stream_of()
        if q is None:
            status = self._lib.moec_fused_moe(self._handle, r[0], r[1], r[2], r[3], r[4],
                                              r[5], ctypes.byref(opt), stream)
        else:
            status = self._lib.moec_fused_moe_quant(self._handle, r[0], r[1], r[2], r[3],
                                                    r[4], r[5], ctypes.byref(opt),
                                                    ctypes.byref(q), stream)
        if status:
            raise Error(self._lib.moec_last_error().decode(errors="replace"))
        if workspace is None and torch_ws is not None:
            opt.workspace = None  # drop the pointer of the freed tensor
        return out

    def _prepare_moe(self, args, extras, activation, unfused, w13_config, w2_config,
                     qkey):
        act = {"silu": 2, "gelu": 3}.get(activation)
        if act is None:
            raise Error(f"moec: fused_moe activation {activation!r}: 'silu' or 'gelu'")
        quant, block_shape, per_token = qkey
        kind = _MOE_QUANTS.get(quant)
        if kind is None:
            raise Error(f"moec: fused_moe quant {quant!r}: 'fp8_w8a8', 'int8_w8a16', "
                        "'mxfp4' or None")
        if block_shape is not None and len(block_shape) != 2:
            raise Error(f"moec: fused_moe block_shape {block_shape!r}: [group_n, group_k]")
        tensors = [_Tensor() for _ in args]
        device = "host"
        for t, x in zip(tensors, args):
            device = _fill(t, x)
        opt = _FusedMoeOptions()
        opt.activation = act
        opt.unfused = 1 if unfused else 0
        extra_t = []
        for i, x in enumerate(extras):
            if x is None:
                extra_t.append(None)
                continue
            t = _Tensor()
            _fill(t, x)
            # mxfp4 scales often come as uint8 e8m0 exponents.
            if i in (1, 2) and kind == 3 and t.dtype == 6:
                t.dtype = 7
            extra_t.append(t)
        if extra_t[0] is not None:
            opt.expert_map = ctypes.pointer(extra_t[0])
        opt.w13_config = w13_config.encode() if w13_config else None
        opt.w2_config = w2_config.encode() if w2_config else None
        q = None
        if kind or any(t is not None for t in extra_t[1:]) or block_shape or per_token:
            q = _FusedMoeQuant()
            q.kind = kind
            q.per_token_activations = 1 if per_token else 0
            for name, t in zip(("w13_scale", "w2_scale", "a13_scale", "a2_scale"),
                               extra_t[1:]):
                if t is not None:
                    setattr(q, name, ctypes.pointer(t))
            if block_shape is not None:
                q.group_n, q.group_k = int(block_shape[0]), int(block_shape[1])
        n = ctypes.c_size_t()
        if q is None:
            _check(self._lib.moec_fused_moe_workspace_size(
                self._handle, ctypes.byref(tensors[0]), ctypes.byref(tensors[1]),
                ctypes.byref(tensors[4]), ctypes.byref(opt), ctypes.byref(n)))
        else:
            _check(self._lib.moec_fused_moe_quant_workspace_size(
                self._handle, ctypes.byref(tensors[0]), ctypes.byref(tensors[1]),
                ctypes.byref(tensors[4]), ctypes.byref(opt), ctypes.byref(q),
                ctypes.byref(n)))
        stream_of = torch_ws = None
        if device.startswith("cuda"):
            import torch
            getter = _stream_getter()
            idx = int(device[5:])
            stream_of = lambda: getter(idx)  # noqa: E731
            dev = torch.device("cuda", idx)
            torch_ws = lambda b: torch.empty(b, dtype=torch.uint8, device=dev)  # noqa: E731
        refs = [ctypes.byref(t) for t in tensors]
        return (tensors, refs, opt, extra_t, n.value, stream_of, torch_ws, q)

    def sparse_mla_decode(self, q, kv_cache, indices, out=None, lse=None, *,
                          d_v=512, scale=None, config=None, workspace=None,
                          stream=None):
        """Sparse MLA decode (DeepSeek-V3.2): out[t, h] = softmax(scale *
        q[t, h] . kv[i]) @ kv[i, :d_v] over the rows i = indices[t, :] (flat
        rows block * page_size + offset of kv_cache; -1 skipped).

        q [T, h_q, d_qk] f16/bf16; kv_cache [blocks, page_size, d_qk], or
        DeepSeek-V3.2's fp8 cache as uint8 [blocks, page_size, 656] (vLLM's
        "fp8_ds_mla": 512 e4m3fn codes, 4 float32 scales, 64 bf16 rope a
        row; q bf16 with d_qk 576, d_v 512); indices [T, topk] int32; out [T, h_q, d_v] (allocated like q when
        None); lse [T, h_q] float32 or None. scale: 1 / sqrt(d_qk) when None;
        config: #moec.config fields, else the tuning database, else the
        per-shape table (last_variant() says which). Torch tensors get the
        split-KV workspace from torch's allocator. Returns out."""
        if out is None:
            shape = (q.shape[0], q.shape[1], d_v)
            out = q.new_empty(shape) if hasattr(q, "new_empty") \
                else __import__("numpy").empty(shape, dtype=q.dtype)
        tensors = [_Tensor() for _ in range(5)]
        device = "host"
        for t, x in zip(tensors, (q, kv_cache, indices, out)):
            device = _fill(t, x)
        if lse is not None:
            _fill(tensors[4], lse)
        opt = _SparseMlaOptions()
        if scale is not None:
            opt.has_scale = 1
            opt.scale = float(scale)
        opt.config = config.encode() if config else None
        if workspace is not None:
            _, opt.workspace = _sig_ptr(workspace)
            opt.workspace_bytes = workspace.numel() * workspace.element_size() \
                if hasattr(workspace, "numel") else workspace.nbytes
        elif device.startswith("cuda"):
            import torch
            n = ctypes.c_size_t()
            _check(self._lib.moec_sparse_mla_workspace_size(
                self._handle, ctypes.byref(tensors[0]), ctypes.byref(tensors[2]),
                int(out.shape[2]), ctypes.byref(n)))
            ws = torch.empty(n.value, dtype=torch.uint8, device=q.device)
            opt.workspace = ws.data_ptr()
            opt.workspace_bytes = n.value
        if stream is None and device.startswith("cuda"):
            stream = _stream_getter()(int(device[5:]))
        refs = [ctypes.byref(t) for t in tensors[:4]]
        lse_ref = ctypes.byref(tensors[4]) if lse is not None else None
        if self._lib.moec_sparse_mla_decode(self._handle, *refs, lse_ref,
                                            ctypes.byref(opt), stream):
            raise Error(self._lib.moec_last_error().decode(errors="replace"))
        return out

    def _drop_plans(self):
        plans, self._plans = self._plans, {}
        for plan, _ in plans.values():
            self._lib.moec_gemm_plan_destroy(plan)


def _sig_ptr(x):
    """(hashable signature of x's shape/strides/dtype/device, data pointer)."""
    ptr = getattr(x, "data_ptr", None)
    if ptr is not None:  # torch and look-alikes
        return (x.shape, x.stride(), x.dtype, getattr(x, "device", None)), ptr()
    ai = getattr(x, "__array_interface__", None)
    if ai is not None:  # numpy
        return (x.shape, x.strides, x.dtype), ai["data"][0]
    raise Error(f"moec: cannot read a tensor from {type(x).__name__} "
                "(torch tensors and numpy arrays are supported)")


_MAX_PLANS = 4096


def _empty_like_result(a, b, transpose_a, transpose_b):
    m = a.shape[1] if transpose_a else a.shape[0]
    n = b.shape[0] if transpose_b else b.shape[1]
    if hasattr(a, "new_empty"):
        return a.new_empty((m, n))
    import numpy
    return numpy.empty((m, n), dtype=a.dtype)


_jits = {}
_jits_lock = threading.Lock()


def jit_for(device):
    """The shared Jit of a device string ("host", "cuda:0", ...)."""
    j = _jits.get(device)
    if j is None:
        with _jits_lock:
            j = _jits.get(device)
            if j is None:
                j = Jit(device)
                _jits[device] = j
    return j


def _device_of(x):
    dev = getattr(x, "device", None)
    if dev is not None and hasattr(x, "data_ptr") and getattr(dev, "type", "cpu") != "cpu":
        return f"{dev.type}:{dev.index or 0}"
    return "host"


def gemm(a, b, out=None, **kwargs):
    """moec.gemm(a, b, out=None, transpose_a=, transpose_b=, bias=,
    activation=, config=, stream=) on the device a lives on."""
    dev = getattr(a, "device", None)
    j = _jit_by_device.get(dev)
    if j is None:
        j = jit_for(_device_of(a))
        try:
            _jit_by_device[dev] = j
        except TypeError:  # an unhashable device attribute: no shortcut
            pass
    return j.gemm(a, b, out, **kwargs)


_jit_by_device = {}


def fused_moe(hidden, w13, w2, topk_weights, topk_ids, out=None, **kwargs):
    """moec.fused_moe(hidden, w13, w2, topk_weights, topk_ids, out=None,
    activation="silu", expert_map=None, unfused=False, w13_config=None,
    w2_config=None, workspace=None, stream=None, quant=None, w13_scale=None,
    w2_scale=None, a13_scale=None, a2_scale=None, block_shape=None,
    per_act_token_quant=False) on hidden's device (Jit.fused_moe)."""
    dev = getattr(hidden, "device", None)
    j = _jit_by_device.get(dev)
    if j is None:
        j = jit_for(_device_of(hidden))
        try:
            _jit_by_device[dev] = j
        except TypeError:
            pass
    return j.fused_moe(hidden, w13, w2, topk_weights, topk_ids, out, **kwargs)


def sparse_mla_decode(q, kv_cache, indices, out=None, lse=None, **kwargs):
    """moec.sparse_mla_decode(q, kv_cache, indices, out=None, lse=None,
    d_v=512, scale=None, config=None, workspace=None, stream=None) on q's
    device."""
    dev = getattr(q, "device", None)
    j = _jit_by_device.get(dev)
    if j is None:
        j = jit_for(_device_of(q))
        try:
            _jit_by_device[dev] = j
        except TypeError:
            pass
    return j.sparse_mla_decode(q, kv_cache, indices, out, lse, **kwargs)


def last_variant():
    """What this thread's last gemm used: kernel, config, config_source
    (override / tuning database / heuristic / file), aligned, cache
    (memory / disk / compiled), key, compile_ms."""
    info = _VariantInfo()
    _check(_library().moec_last_variant(ctypes.byref(info), ctypes.sizeof(info)))
    return {
        "kernel": info.kernel.decode(), "config": info.config.decode(),
        "config_source": _CONFIG_SOURCES[info.config_source],
        "aligned": bool(info.aligned), "cache": _CACHE_SOURCES[info.cache_source],
        "key": info.key.decode(), "compile_ms": info.compile_ms,
    }
