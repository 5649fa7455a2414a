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

__all__ = ["Jit", "Error", "gemm", "last_variant", "jit_for", "version"]

_MAX_RANK = 4
_DTYPES = {"float16": 0, "half": 0, "bfloat16": 1, "float32": 2, "float": 2}
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
            for fn in ("moec_jit_create", "moec_jit_arch", "moec_jit_variant_count",
                       "moec_gemm", "moec_last_variant"):
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
        raise Error(f"moec: unsupported dtype {dtype} (float16, bfloat16, float32)")
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


def _stream_of(device):
    """torch's current stream on a cuda:N device, as a CUstream integer."""
    global _raw_stream
    if not device.startswith("cuda"):
        return None
    idx = int(device[5:])
    if _raw_stream is None:
        import torch
        # The raw getter skips building a torch.cuda.Stream object (~2 us).
        _raw_stream = getattr(torch._C, "_cuda_getCurrentRawStream", None) or \
            (lambda i: torch.cuda.current_stream(i).cuda_stream)
    return _raw_stream(idx)


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
        # Reused argument structs: a call fills them in place.
        self._a, self._b, self._c, self._bias = _Tensor(), _Tensor(), _Tensor(), _Tensor()
        self._opt = _GemmOptions()
        self._refs = tuple(ctypes.byref(s) for s in (self._a, self._b, self._c, self._opt))

    def close(self):
        if self._handle:
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
        """out = activation(a @ b + bias); returns out (allocated when None)."""
        if out is None:
            out = _empty_like_result(a, b, transpose_a, transpose_b)
        _fill(self._a, a)
        _fill(self._b, b)
        device = _fill(self._c, out)
        opt = self._opt
        opt.transpose_a = 1 if transpose_a else 0
        opt.transpose_b = 1 if transpose_b else 0
        if bias is not None:
            _fill(self._bias, bias)
            opt.bias = ctypes.pointer(self._bias)
        else:
            opt.bias = None
        act = _ACTIVATIONS.get(activation)
        if act is None:
            raise Error(f"moec: unknown activation {activation!r}")
        opt.activation = act
        opt.config = config.encode() if config else None
        if stream is None and device != "host":
            stream = _stream_of(device)
        ra, rb, rc, ro = self._refs
        _check(self._lib.moec_gemm(self._handle, ra, rb, rc, ro, stream))
        return out


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
    return jit_for(_device_of(a)).gemm(a, b, out, **kwargs)


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
