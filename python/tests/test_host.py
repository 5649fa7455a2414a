"""The Python module on the host device with numpy arrays (CI).

    MOEC_LIBRARY=build/lib/libmoec.so PYTHONPATH=python python3 python/tests/test_host.py
"""
import math
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# The module-level moec.gemm uses the default cache directory: keep it out of
# the user's ~/.cache during tests.
_CACHE = tempfile.TemporaryDirectory(prefix="moec-pytest-")
os.environ["MOEC_CACHE_DIR"] = _CACHE.name
import moec  # noqa: E402


def ref_gemm(a, b, bias=None, act="none"):
    r = a.astype(np.float64) @ b.astype(np.float64)
    if bias is not None:
        r = r + bias.astype(np.float64)
    if act == "relu":
        r = np.maximum(r, 0)
    return r


class HostGemm(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.jit = moec.Jit("host", cache_dir=cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.jit.close()
        cls.tmp.cleanup()

    def rng(self, seed):
        return np.random.default_rng(seed)

    def check(self, got, want, tol=1e-3):
        err = np.max(np.abs(got.astype(np.float64) - want)) if want.size else 0
        scale = max(np.max(np.abs(want)) if want.size else 1, 1)
        self.assertLess(err / scale, tol, f"max error {err}")

    def test_linear_layer_changing_m(self):
        r = self.rng(0)
        w = r.uniform(-1, 1, (48, 64)).astype(np.float16)  # N x K
        counts = set()
        for m in (1, 7, 33, 100):
            x = r.uniform(-1, 1, (m, 64)).astype(np.float16)
            y = np.empty((m, 48), np.float32)
            out = self.jit.gemm(x, w, y, transpose_b=True)
            self.assertIs(out, y)
            self.check(y, ref_gemm(x, w.T))
            counts.add(self.jit.variant_count)
            v = moec.last_variant()
            self.assertTrue(v["aligned"])
            self.assertEqual(v["config_source"], "heuristic")
        # Host heuristic: one config for every M: one variant for all of them.
        self.assertEqual(len(counts), 1, counts)

    def test_column_major_view_is_a_transpose(self):
        r = self.rng(1)
        x = r.uniform(-1, 1, (9, 32)).astype(np.float16)
        w = r.uniform(-1, 1, (16, 32)).astype(np.float16)
        y = np.empty((9, 16), np.float32)
        self.jit.gemm(x, w.T, y)  # w.T: Fortran-ordered 32 x 16
        self.check(y, ref_gemm(x, w.T))

    def test_bias_relu_and_override(self):
        r = self.rng(2)
        a = r.uniform(-1, 1, (20, 24)).astype(np.float16)
        b = r.uniform(-1, 1, (24, 40)).astype(np.float16)
        bias = r.uniform(-1, 1, (40,)).astype(np.float32)
        y = np.empty((20, 40), np.float32)
        self.jit.gemm(a, b, y, bias=bias, activation="relu",
                      config="block_m = 16, block_n = 16, block_k = 16")
        self.check(y, ref_gemm(a, b, bias, "relu"))
        v = moec.last_variant()
        self.assertEqual(v["config_source"], "override")
        self.assertIn("block_m = 16", v["config"])

    def test_unaligned_leading_dimension_is_generic(self):
        r = self.rng(3)
        a = r.uniform(-1, 1, (5, 33)).astype(np.float16)
        b = r.uniform(-1, 1, (33, 8)).astype(np.float16)
        y = np.empty((5, 8), np.float32)
        self.jit.gemm(a, b, y)
        self.check(y, ref_gemm(a, b))
        self.assertFalse(moec.last_variant()["aligned"])

    def test_allocates_out_and_module_level_call(self):
        r = self.rng(4)
        a = r.uniform(-1, 1, (4, 16)).astype(np.float16)
        b = r.uniform(-1, 1, (16, 8)).astype(np.float16)
        y = moec.gemm(a, b)
        self.assertEqual(y.shape, (4, 8))
        self.assertEqual(y.dtype, np.float16)
        self.check(y, ref_gemm(a, b), tol=4e-3)

    def test_plan_reuse_follows_pointers_strides_and_options(self):
        # The hot path reuses a prepared plan per call signature: new data
        # at the same signature must be read from its own pointers, and a
        # change of strides, dtype or options must not reuse the old plan.
        rng = np.random.default_rng(3)
        j = self.jit
        x = rng.standard_normal((8, 32)).astype(np.float16)
        w = rng.standard_normal((16, 32)).astype(np.float16)
        y = np.empty((8, 16), np.float32)
        j.gemm(x, w.T, y)
        self.check(y, ref_gemm(x, w.T), 1e-2)
        plans = len(j._plans)
        for _ in range(3):  # same signature, new contents and buffers
            x2 = rng.standard_normal((8, 32)).astype(np.float16)
            w2 = rng.standard_normal((16, 32)).astype(np.float16)
            y2 = np.full((8, 16), np.nan, np.float32)
            j.gemm(x2, w2.T, y2)
            self.check(y2, ref_gemm(x2, w2.T), 1e-2)
        self.assertEqual(len(j._plans), plans)
        # Same shapes, row-major B (other strides): another plan, right result.
        b = np.ascontiguousarray(w.T)
        y3 = np.full((8, 16), np.nan, np.float32)
        j.gemm(x, b, y3)
        self.check(y3, ref_gemm(x, b), 1e-2)
        # Same tensors with a bias and relu: another plan.
        bias = rng.standard_normal(16).astype(np.float32)
        y4 = np.full((8, 16), np.nan, np.float32)
        j.gemm(x, b, y4, bias=bias, activation="relu")
        self.check(y4, ref_gemm(x, b, bias, "relu"), 1e-2)
        # And back without: the plain plan again, no bias applied.
        y5 = np.full((8, 16), np.nan, np.float32)
        j.gemm(x, b, y5)
        self.check(y5, ref_gemm(x, b), 1e-2)

    def test_errors_are_exceptions_with_the_reason(self):
        a = np.zeros((4, 16), np.float16)
        b = np.zeros((8, 8), np.float16)
        y = np.zeros((4, 8), np.float32)
        with self.assertRaisesRegex(moec.Error, "shapes do not match"):
            self.jit.gemm(a, b, y)
        with self.assertRaisesRegex(moec.Error, "A is i32; gemm takes f16, bf16 or f32"):
            self.jit.gemm(a.astype(np.int32), np.zeros((16, 8), np.float16), y)
        with self.assertRaisesRegex(moec.Error, "unsupported dtype"):
            self.jit.gemm(a.astype(np.int64), b, y)
        with self.assertRaisesRegex(moec.Error, "activation"):
            self.jit.gemm(a, np.zeros((16, 8), np.float16), y, activation="tanh")
        with self.assertRaisesRegex(moec.Error, "tpu"):
            moec.Jit("tpu:0")


def ref_fused_moe(x, w13, w2, tw, ids, act="silu", expert_map=None):
    """float64 fused-MoE layer; the intermediate rounded to x's dtype."""
    x64 = x.astype(np.float64)
    T, H = x.shape
    E, N, _ = w13.shape
    inter = N // 2
    out = np.zeros((T, H))
    for t in range(T):
        for j in range(ids.shape[1]):
            e = int(ids[t, j])
            if expert_map is not None:
                if e < 0 or e >= len(expert_map):
                    continue
                e = int(expert_map[e])
            if e < 0 or e >= E:
                continue
            gu = w13[e].astype(np.float64) @ x64[t]
            g, u = gu[:inter], gu[inter:]
            if act == "silu":
                a = g / (1 + np.exp(-g))
            else:
                a = 0.5 * g * (1 + np.vectorize(math.erf)(g / math.sqrt(2)))
            a = (a * u).astype(x.dtype).astype(np.float64)
            out[t] += float(tw[t, j]) * (w2[e].astype(np.float64) @ a)
    return out


class HostFusedMoe(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.jit = moec.Jit("host", cache_dir=cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.jit.close()
        cls.tmp.cleanup()

    def problem(self, seed, T, H=32, inter=16, E=8, K=2, global_experts=None):
        r = np.random.default_rng(seed)
        x = r.uniform(-1, 1, (T, H)).astype(np.float16)
        w13 = (r.uniform(-1, 1, (E, 2 * inter, H)) * 0.25).astype(np.float16)
        w2 = (r.uniform(-1, 1, (E, H, inter)) * 0.25).astype(np.float16)
        g = global_experts or E
        ids = np.stack([r.permutation(g)[:K] for _ in range(T)]).astype(np.int32) \
            if T else np.zeros((0, K), np.int32)
        tw = r.uniform(0.5, 1.0, (T, K)).astype(np.float32)
        return x, w13, w2, tw, ids

    def check(self, got, want):
        scale = max(np.max(np.abs(want)) if want.size else 1.0, 1e-3)
        err = np.max(np.abs(got.astype(np.float64) - want)) if want.size else 0
        # f16 output and intermediate (2^-11 each), f16 atomic adds of top_k
        self.assertLess(err / scale, 2.0 / 512, f"max error {err}, max |ref| {scale}")

    def test_random_routing_and_cache_hits(self):
        made = None
        for T in (9, 9, 1, 40):
            x, w13, w2, tw, ids = self.problem(T, T)
            ids[0, 0] = -1  # dropped
            out = self.jit.fused_moe(x, w13, w2, tw, ids)
            self.assertEqual(out.shape, x.shape)
            self.check(out, ref_fused_moe(x, w13, w2, tw, ids))
            v = moec.last_variant()
            self.assertTrue(v["kernel"].startswith("fused_moe:"), v["kernel"])
            self.assertEqual(v["config_source"], "heuristic")
            if made is None:
                made = self.jit.variant_count
                self.assertEqual(v["cache"], "compiled")
            else:
                self.assertEqual(v["cache"], "memory")
                self.assertEqual(self.jit.variant_count, made)

    def test_expert_map_gelu_unfused_and_top_k(self):
        x, w13, w2, tw, ids = self.problem(3, 13, E=4, K=3, global_experts=10)
        emap = np.array([0, -1, 1, -1, -1, 2, -1, 3, -1, -1], np.int32)
        out = np.full(x.shape, np.nan, np.float16)
        self.jit.fused_moe(x, w13, w2, tw, ids, out, expert_map=emap, activation="gelu")
        want = ref_fused_moe(x, w13, w2, tw, ids, "gelu", emap)
        self.check(out, want)
        out2 = self.jit.fused_moe(x, w13, w2, tw, ids, expert_map=emap, activation="gelu",
                                  unfused=True)
        self.check(out2, want)
        self.assertIn("act_and_mul", moec.last_variant()["kernel"])
        for k in (1, 8):
            x, w13, w2, tw, ids = self.problem(10 + k, 5, K=k)
            self.check(moec.fused_moe(x, w13, w2, tw, ids), ref_fused_moe(x, w13, w2, tw, ids))

    def test_callers_workspace(self):
        # E = 4: variants of its own (test_random_routing_and_cache_hits
        # expects to compile its first call).
        x, w13, w2, tw, ids = self.problem(5, 21, E=4)
        want = ref_fused_moe(x, w13, w2, tw, ids)
        ws = np.empty(1 << 20, np.uint8)
        self.check(self.jit.fused_moe(x, w13, w2, tw, ids, workspace=ws), want)
        with self.assertRaisesRegex(moec.Error, "workspace holds 64 bytes"):
            self.jit.fused_moe(x, w13, w2, tw, ids, workspace=ws[:64])

    def test_errors(self):
        x, w13, w2, tw, ids = self.problem(1, 4)
        with self.assertRaisesRegex(moec.Error, "topk_ids is f32; i32 expected"):
            self.jit.fused_moe(x, w13, w2, tw, ids.astype(np.float32))
        with self.assertRaisesRegex(moec.Error, "'silu' or 'gelu'"):
            self.jit.fused_moe(x, w13, w2, tw, ids, activation="relu")
        with self.assertRaisesRegex(moec.Error, "w2 must be"):
            self.jit.fused_moe(x, w13, np.ascontiguousarray(w2[:, :16]), tw, ids)

    def test_int8_w8a16_and_quant_errors(self):
        # int8 weights, per-channel f32 scales: the reference multiplies the
        # dequantized weights; the scales' pointers follow each call.
        x, w13f, w2f, tw, ids = self.problem(21, 11)
        r = np.random.default_rng(4)
        w13 = r.integers(-127, 128, w13f.shape).astype(np.int8)
        w2 = r.integers(-127, 128, w2f.shape).astype(np.int8)
        s13 = r.uniform(0.5, 2.0, w13.shape[:2]).astype(np.float32) / 512
        s2 = r.uniform(0.5, 2.0, w2.shape[:2]).astype(np.float32) / 512
        want = ref_fused_moe(x, w13 * s13[:, :, None].astype(np.float64),
                             w2 * s2[:, :, None].astype(np.float64), tw, ids)
        out = self.jit.fused_moe(x, w13, w2, tw, ids, quant="int8_w8a16",
                                 w13_scale=s13, w2_scale=s2)
        self.check(out, want)
        self.assertIn("int8_w8a16", moec.last_variant()["kernel"])
        s13b = s13 * 2  # new scale pointers, the same shapes: the hot path
        out = self.jit.fused_moe(x, w13, w2, tw, ids, quant="int8_w8a16",
                                 w13_scale=s13b, w2_scale=s2)
        self.check(out, ref_fused_moe(x, w13 * s13b[:, :, None].astype(np.float64),
                                      w2 * s2[:, :, None].astype(np.float64), tw, ids))
        with self.assertRaisesRegex(moec.Error, "quant int8_w8a16 needs w2_scale"):
            self.jit.fused_moe(x, w13, w2, tw, ids, quant="int8_w8a16", w13_scale=s13)
        with self.assertRaisesRegex(moec.Error, "'fp8_w8a8', 'int8_w8a16', 'mxfp4'"):
            self.jit.fused_moe(x, w13, w2, tw, ids, quant="int4")
        with self.assertRaisesRegex(moec.Error, "mxfp4 weights need bf16 hidden states"):
            self.jit.fused_moe(x, w13[:, :, :16].copy(), w2[:, :, :8].copy(), tw, ids,
                               quant="mxfp4",
                               w13_scale=np.zeros((8, 32, 1), np.uint8),
                               w2_scale=np.zeros((8, 32, 0), np.uint8))


def ref_sparse_mla(q, kv, idx, scale, d_v):
    """float64 sparse MLA decode: out [T, H, d_v], lse [T, H]."""
    T, H, D = q.shape
    rows = kv.reshape(-1, D).astype(np.float64)
    out = np.zeros((T, H, d_v))
    lse = np.full((T, H), -np.inf)
    for t in range(T):
        sel = [i for i in idx[t] if i >= 0]
        if not sel:
            continue
        k = rows[sel]
        s = scale * (q[t].astype(np.float64) @ k.T)
        m = s.max(axis=1, keepdims=True)
        p = np.exp(s - m)
        l = p.sum(axis=1, keepdims=True)
        out[t] = (p @ k[:, :d_v]) / l
        lse[t] = (m + np.log(l))[:, 0]
    return out, lse


class HostSparseMla(unittest.TestCase):
    def test_decode_against_float64_and_config_source(self):
        with tempfile.TemporaryDirectory() as d:
            jit = moec.Jit("host", cache_dir=d)
            rng = np.random.default_rng(5)
            T, H, D, DV, P, B, K = 3, 16, 64, 32, 16, 4, 24
            q = rng.uniform(-1, 1, (T, H, D)).astype(np.float16)
            kv = rng.uniform(-1, 1, (B, P, D)).astype(np.float16)
            idx = rng.integers(0, B * P, (T, K)).astype(np.int32)
            idx[0, ::3] = -1
            idx[1, :] = -1  # nothing valid: zeros, lse = -inf
            lse = np.empty((T, H), dtype=np.float32)
            out = jit.sparse_mla_decode(q, kv, idx, lse=lse, d_v=DV, scale=0.1)
            self.assertEqual(out.shape, (T, H, DV))
            ref, ref_lse = ref_sparse_mla(q, kv, idx, np.float32(0.1), DV)
            err = np.abs(out.astype(np.float64) - ref).max() / np.abs(ref).max()
            self.assertLess(err, 1 / 64)
            self.assertTrue(np.all(out[1] == 0))
            self.assertTrue(np.all(np.isneginf(lse[1])))
            self.assertLess(np.abs(lse[[0, 2]] - ref_lse[[0, 2]]).max(), 1e-3)
            v = moec.last_variant()
            self.assertIn("sparse_attention", v["kernel"])
            self.assertIn(v["config_source"], ("heuristic", "tuning database"))
            jit.sparse_mla_decode(q, kv, idx, out, d_v=DV, config="block_kv = 16")
            self.assertEqual(moec.last_variant()["config_source"], "override")
            with self.assertRaisesRegex(moec.Error, "indices is f32; i32 expected"):
                jit.sparse_mla_decode(q, kv, idx.astype(np.float32), out, d_v=DV)
            jit.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
