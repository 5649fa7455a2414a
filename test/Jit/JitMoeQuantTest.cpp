//===- JitMoeQuantTest.cpp - Jit::fusedMoe with quantized weights, host ---===//
//
// fused_moe with fp8_w8a8 (per-expert / per-channel weight scales with
// per-tensor, per-token or static activation scales; block-wise [group_n,
// group_k]), int8_w8a16 and MXFP4 weights, against a float64 reference
// computed from the dequantized weights and, for fp8, from the activations
// quantized as the quant_fp8 kernel does (scale = max(amax, 1e-10) / 448 in
// f32, x / scale rounded to the nearest e4m3fn, ties to even). Random
// routings with empty experts, M = 1, M not a multiple of block_m, top-k
// 1/2/8, expert maps with skipped experts, -1 ids. Requests that differ only
// in the quantization get their own kernels. The errors of inconsistent
// inputs.
//
//===----------------------------------------------------------------------===//

#include "HostJitSuite.h"

#include "moec/Jit/Jit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace moec::jit;

namespace {

/// 16-byte aligned bytes.
struct Bytes {
  std::vector<uint8_t> v;
  explicit Bytes(size_t n) : v(n + 16) {}
  uint8_t *data() {
    auto p = reinterpret_cast<uintptr_t>(v.data());
    return reinterpret_cast<uint8_t *>((p + 15) / 16 * 16);
  }
};

float bf16Round(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000u;
  std::memcpy(&f, &u, 4);
  return f;
}

void putBf16(uint8_t *p, size_t i, float f) {
  f = bf16Round(f);
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint16_t h = static_cast<uint16_t>(u >> 16);
  std::memcpy(p + 2 * i, &h, 2);
}
float getBf16(const uint8_t *p, size_t i) {
  uint16_t h;
  std::memcpy(&h, p + 2 * i, 2);
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
void putF32(uint8_t *p, size_t i, float f) { std::memcpy(p + 4 * i, &f, 4); }
float getF32(const uint8_t *p, size_t i) {
  float f;
  std::memcpy(&f, p + 4 * i, 4);
  return f;
}

/// e4m3fn code -> value (NaN codes never occur here).
double e4m3(uint8_t c) {
  int e = (c >> 3) & 15, m = c & 7;
  double v = e ? std::ldexp(1.0 + m / 8.0, e - 7) : std::ldexp(m, -9);
  return (c & 0x80) ? -v : v;
}
/// The e4m3fn code nearest to y (|y| <= 448), ties to the even code: what
/// quant_fp8 writes.
uint8_t toE4m3(float y) {
  double a = std::fabs(y);
  int best = 0;
  double bestD = 1e30;
  for (int c = 0; c < 0x7F; ++c) {
    double d = std::fabs(e4m3(static_cast<uint8_t>(c)) - a);
    if (d < bestD || (d == bestD && (c & 1) == 0 && (best & 1))) {
      best = c;
      bestD = d;
    }
  }
  return static_cast<uint8_t>(best | (y < 0 && best ? 0x80 : 0));
}
/// e2m1 nibble -> value.
double e2m1(int nib) {
  static const double mag[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  return (nib & 8) ? -mag[nib & 7] : mag[nib & 7];
}

Tensor tensor(void *data, DType d, std::initializer_list<int64_t> sizes) {
  Tensor t;
  t.data = data;
  t.dtype = d;
  t.rank = static_cast<int>(sizes.size());
  int i = 0;
  for (int64_t s : sizes)
    t.sizes[i++] = s;
  return t;
}

enum class Routing { Random, Sparse, WithInvalid };
/// How the activations of fp8_w8a8 are scaled.
enum class Act { Tensor, Token, Static, Block };

struct Case {
  int64_t T, H, I, E, K;
  MoeQuant quant = MoeQuant::Fp8W8A8;
  bool perChannel = true; ///< fp8 weight scales [E, N] (else [E])
  Act act = Act::Token;
  int64_t groupN = 0, groupK = 0;
  /// With Act::Static: which activations take a static scale (1: hidden,
  /// 2: the intermediate); the others are computed per tensor.
  int staticMask = 3;
  Routing routing = Routing::Random;
  int64_t globalExperts = 0; ///< > E: an expert map, half of them elsewhere
  bool unfused = false;
  /// Run in the caller's workspace, filled with huge bf16 values first
  /// (what a per-tensor scale must not see of rows nothing writes).
  bool poisonWorkspace = false;
  unsigned seed = 1;
};

/// A quantized weight [E, N, K]: the bytes fused_moe reads and the
/// dequantized values the reference multiplies.
struct QWeight {
  Bytes w, scale;
  std::vector<double> deq; // [E, N, K]
  std::vector<int64_t> scaleSizes;
  DType scaleType = DType::F32;
  QWeight() : w(0), scale(0) {}
};

QWeight makeWeight(const Case &c, int64_t E, int64_t N, int64_t K,
                   std::mt19937 &rng) {
  std::uniform_real_distribution<double> u(-1, 1), pos(0.5, 2.0);
  QWeight q;
  q.deq.resize(E * N * K);
  if (c.quant == MoeQuant::Mxfp4) {
    q.w = Bytes(E * N * K / 2);
    q.scale = Bytes(E * N * K / 32);
    q.scaleType = DType::F8E8M0FNU;
    q.scaleSizes = {E, N, K / 32};
    std::uniform_int_distribution<int> nib(0, 15), expo(127 - 5, 127 - 2);
    for (int64_t i = 0; i < E * N * K / 32; ++i)
      q.scale.data()[i] = static_cast<uint8_t>(expo(rng));
    for (int64_t i = 0; i < E * N * K / 2; ++i) {
      int lo = nib(rng), hi = nib(rng);
      q.w.data()[i] = static_cast<uint8_t>(lo | (hi << 4));
      int64_t k0 = 2 * i; // flat index of the low nibble
      double s0 = std::ldexp(1.0, q.scale.data()[k0 / 32] - 127);
      q.deq[k0] = e2m1(lo) * s0;
      q.deq[k0 + 1] = e2m1(hi) * s0; // same 32-block (K even, 32 | K)
    }
    return q;
  }
  q.w = Bytes(E * N * K);
  bool block = c.groupN > 0;
  int64_t gn = block ? (N + c.groupN - 1) / c.groupN : 0,
          gk = block ? (K + c.groupK - 1) / c.groupK : 0;
  size_t scales = block ? E * gn * gk : (c.perChannel ? E * N : E);
  q.scaleSizes = block          ? std::vector<int64_t>{E, gn, gk}
                 : c.perChannel ? std::vector<int64_t>{E, N}
                                : std::vector<int64_t>{E};
  q.scale = Bytes(4 * scales);
  bool int8 = c.quant == MoeQuant::Int8W8A16;
  for (size_t i = 0; i < scales; ++i) // scales spread 4x: a wrong index shows
    putF32(q.scale.data(), i,
           static_cast<float>(pos(rng) * (int8 ? 0.25 / 127 : 0.25 / 240)));
  std::uniform_int_distribution<int> i8(-127, 127);
  for (int64_t e = 0; e < E; ++e)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k) {
        int64_t flat = (e * N + n) * K + k;
        size_t si = block ? (e * gn + n / c.groupN) * gk + k / c.groupK
                    : c.perChannel ? e * N + n
                                   : e;
        double s = getF32(q.scale.data(), si);
        if (int8) {
          int v = i8(rng);
          q.w.data()[flat] = static_cast<uint8_t>(static_cast<int8_t>(v));
          q.deq[flat] = v * s;
        } else {
          uint8_t code = toE4m3(static_cast<float>(u(rng) * 240));
          q.w.data()[flat] = code;
          q.deq[flat] = e4m3(code) * s;
        }
      }
  return q;
}

/// x [rows, k] quantized as quant_fp8 does, dequantized: per tensor (one
/// scale), per row, or per [1, groupK]; `staticScale` > 0: that scale.
std::vector<double> fp8RoundTrip(const std::vector<float> &x, int64_t rows,
                                 int64_t k, Act act, int64_t groupK,
                                 float staticScale) {
  std::vector<double> out(x.size());
  int64_t width = act == Act::Block ? groupK : k;
  auto quantGroup = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    float s = staticScale;
    if (act != Act::Static) {
      float amax = 0;
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c)
          amax = std::max(amax, std::fabs(x[r * k + c]));
      s = std::max(amax, 1e-10f) / 448.0f;
    }
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = c0; c < c1; ++c) {
        float y = x[r * k + c] / s;
        y = std::min(448.0f, std::max(-448.0f, y));
        out[r * k + c] = e4m3(toE4m3(y)) * static_cast<double>(s);
      }
  };
  if (act == Act::Tensor || act == Act::Static)
    quantGroup(0, rows, 0, k);
  else
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c0 = 0; c0 < k; c0 += width)
        quantGroup(r, r + 1, c0, std::min(k, c0 + width));
  return out;
}

class JitMoeQuantTest : public moec::test::HostJitSuite<JitMoeQuantTest> {
public:
  static constexpr const char *kCachePrefix = "moec-jit-moe-quant";

protected:

  /// Runs fused_moe (bf16 hidden and output) on random data; returns the
  /// max error relative to the largest reference value.
  double run(const Case &c, std::string *error = nullptr) {
    std::mt19937 rng(c.seed);
    std::uniform_real_distribution<double> u(-1, 1);
    int64_t T = c.T, H = c.H, I = c.I, E = c.E, K = c.K;
    int64_t Eg = c.globalExperts ? c.globalExperts : E;
    Bytes x(2 * T * H), tw(4 * T * K), ids(4 * T * K), out(2 * T * H),
        map(4 * Eg), a13(16), a2(16);
    std::vector<float> xs(T * H);
    for (int64_t i = 0; i < T * H; ++i) {
      xs[i] = bf16Round(static_cast<float>(u(rng) * (1 + i % 7)));
      putBf16(x.data(), i, xs[i]);
    }
    QWeight w13 = makeWeight(c, E, 2 * I, H, rng),
            w2 = makeWeight(c, E, H, I, rng);
    std::vector<int32_t> route(T * K);
    std::vector<float> wts(T * K);
    for (int64_t t = 0; t < T; ++t) {
      std::vector<int32_t> pool;
      for (int32_t e = 0; e < Eg; ++e)
        if (c.routing != Routing::Sparse || e % 3 == 0)
          pool.push_back(e);
      std::shuffle(pool.begin(), pool.end(), rng);
      for (int64_t j = 0; j < K; ++j) {
        int32_t e = pool[j % pool.size()];
        if (c.routing == Routing::WithInvalid && (t + j) % 3 == 1)
          e = (t % 2) ? -1 : static_cast<int32_t>(Eg + 5);
        route[t * K + j] = e;
        std::memcpy(ids.data() + 4 * (t * K + j), &e, 4);
        wts[t * K + j] = static_cast<float>(u(rng) * 0.5 + 0.75);
        putF32(tw.data(), t * K + j, wts[t * K + j]);
      }
    }
    std::vector<int32_t> local(Eg);
    for (int64_t e = 0; e < Eg; ++e) {
      local[e] = c.globalExperts ? (e % 2 == 0 && e / 2 < E ? e / 2 : -1)
                                 : static_cast<int32_t>(e);
      std::memcpy(map.data() + 4 * e, &local[e], 4);
    }
    for (int64_t i = 0; i < T * H; ++i)
      putBf16(out.data(), i, 1e30f);

    // Static scales: what a calibration would give (the amax over the
    // data / 448), here fixed so that some values clamp.
    float s13 = 4.0f / 448, s2 = 0.25f / 448;
    putF32(a13.data(), 0, s13);
    putF32(a2.data(), 0, s2);

    FusedMoeOptions o;
    o.quant = c.quant;
    o.unfused = c.unfused;
    Tensor ws13 = tensor(w13.scale.data(), w13.scaleType, {}),
           ws2 = tensor(w2.scale.data(), w2.scaleType, {});
    ws13.rank = static_cast<int>(w13.scaleSizes.size());
    ws2.rank = static_cast<int>(w2.scaleSizes.size());
    for (int d = 0; d < ws13.rank; ++d)
      ws13.sizes[d] = w13.scaleSizes[d];
    for (int d = 0; d < ws2.rank; ++d)
      ws2.sizes[d] = w2.scaleSizes[d];
    o.w13Scale = &ws13;
    o.w2Scale = &ws2;
    o.groupN = c.groupN;
    o.groupK = c.groupK;
    o.perTokenActivations =
        c.quant == MoeQuant::Fp8W8A8 && c.act == Act::Token;
    Tensor ta13 = tensor(a13.data(), DType::F32, {1}),
           ta2 = tensor(a2.data(), DType::F32, {});
    Act act13 = c.act, act2 = c.act;
    if (c.quant == MoeQuant::Fp8W8A8 && c.act == Act::Static) {
      if (c.staticMask & 1)
        o.a13Scale = &ta13;
      else
        act13 = Act::Tensor;
      if (c.staticMask & 2)
        o.a2Scale = &ta2;
      else
        act2 = Act::Tensor;
    }
    Tensor mapT = tensor(map.data(), DType::I32, {Eg});
    if (c.globalExperts)
      o.expertMap = &mapT;
    DType wt = c.quant == MoeQuant::Fp8W8A8 ? DType::F8E4M3FN : DType::I8;
    int64_t kd = c.quant == MoeQuant::Mxfp4 ? 2 : 1;
    Bytes ws(0);
    if (c.poisonWorkspace) {
      auto bytes = jit->fusedMoeWorkspaceBytes(
          tensor(x.data(), DType::BF16, {T, H}),
          tensor(w13.w.data(), wt, {E, 2 * I, H / kd}),
          tensor(ids.data(), DType::I32, {T, K}), o);
      if (!bytes.ok()) {
        ADD_FAILURE() << bytes.message();
        return 1e30;
      }
      ws = Bytes(*bytes);
      std::memset(ws.data(), 0x7F, *bytes);
      o.workspace = ws.data();
      o.workspaceBytes = *bytes;
    }
    auto s = jit->fusedMoe(
        tensor(x.data(), DType::BF16, {T, H}),
        tensor(w13.w.data(), wt, {E, 2 * I, H / kd}),
        tensor(w2.w.data(), wt, {E, H, I / kd}),
        tensor(tw.data(), DType::F32, {T, K}),
        tensor(ids.data(), DType::I32, {T, K}),
        tensor(out.data(), DType::BF16, {T, H}), o);
    if (!s.ok()) {
      if (error)
        *error = s.message();
      else
        ADD_FAILURE() << s.message();
      return 1e30;
    }

    // float64 reference from the dequantized weights; fp8 quantizes hidden
    // and the bf16 intermediate as the kernel does.
    bool fp8 = c.quant == MoeQuant::Fp8W8A8;
    std::vector<double> xq(xs.begin(), xs.end());
    if (fp8)
      xq = fp8RoundTrip(xs, T, H, act13, c.groupK, s13);
    // The intermediate of every routed copy (bf16-rounded), then quantized.
    std::vector<float> inter(T * K * I, 0.0f);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < K; ++j) {
        int32_t e = route[t * K + j];
        if (e < 0 || e >= Eg || local[e] < 0)
          continue;
        int64_t le = local[e];
        for (int64_t n = 0; n < I; ++n) {
          double g = 0, up = 0;
          for (int64_t k = 0; k < H; ++k) {
            g += w13.deq[(le * 2 * I + n) * H + k] * xq[t * H + k];
            up += w13.deq[(le * 2 * I + I + n) * H + k] * xq[t * H + k];
          }
          inter[(t * K + j) * I + n] =
              bf16Round(static_cast<float>(g / (1 + std::exp(-g)) * up));
        }
      }
    std::vector<double> aq(inter.begin(), inter.end());
    if (fp8)
      aq = fp8RoundTrip(inter, T * K, I, act2, c.groupK, s2);
    double maxRef = 0, maxErr = 0;
    for (int64_t t = 0; t < T; ++t) {
      std::vector<double> ref(H, 0.0);
      for (int64_t j = 0; j < K; ++j) {
        int32_t e = route[t * K + j];
        if (e < 0 || e >= Eg || local[e] < 0)
          continue;
        int64_t le = local[e];
        for (int64_t h = 0; h < H; ++h) {
          double d = 0;
          for (int64_t n = 0; n < I; ++n)
            d += w2.deq[(le * H + h) * I + n] * aq[(t * K + j) * I + n];
          ref[h] += wts[t * K + j] * d;
        }
      }
      for (int64_t h = 0; h < H; ++h) {
        maxRef = std::max(maxRef, std::abs(ref[h]));
        // NaN-aware: std::max(x, NaN) is x, which would hide a NaN output.
        double d = std::abs(ref[h] - getBf16(out.data(), t * H + h));
        if (!(d <= maxErr))
          maxErr = d;
      }
    }
    return maxErr / std::max(maxRef, 1e-3);
  }

  /// Tolerance relative to the largest output (bf16 out, bf16
  /// intermediate). int8/mxfp4: as bf16 fused_moe (2/64: the bf16 roundings
  /// of the intermediate and the output, the 16-bit atomic adds of the
  /// copies); the weights are exact in the reference. fp8: the same plus
  /// an intermediate element that the kernel and the reference round to
  /// neighbouring bf16 values (f32 vs f64 accumulation) and that then
  /// lands on the other side of an e4m3 rounding tie: one element off by
  /// one e4m3 step (1/8 relative) of I terms; 3/64 in all. A wrong scale
  /// index (scales spread 4x), a dropped copy or a missing routing weight
  /// is off by tens of percent.
  static double tol(MoeQuant q) {
    return q == MoeQuant::Fp8W8A8 ? 3.0 / 64 : 2.0 / 64;
  }

};

TEST_F(JitMoeQuantTest, Fp8PerTokenPerChannelTopK128AndOneToken) {
  for (int64_t k : {1, 2, 8}) {
    Case c{37, 64, 32, 8, k}; // 37 rows: not a multiple of block_m (16)
    c.seed = static_cast<unsigned>(3 + k);
    EXPECT_LT(run(c), tol(c.quant)) << "top_k " << k;
    c.T = 1;
    EXPECT_LT(run(c), tol(c.quant)) << "top_k " << k << ", one token";
  }
  // H and I that fill no tile: K and N edges of both GEMMs, a partial
  // last chunk of lanes in the quant kernel.
  Case odd{13, 96, 40, 4, 2};
  odd.seed = 77;
  EXPECT_LT(run(odd), tol(odd.quant)) << "H = 96, I = 40";
}

TEST_F(JitMoeQuantTest, Fp8PerTensorDynamicAndStaticPerExpertScales) {
  Case c{21, 64, 32, 8, 2};
  c.act = Act::Tensor;
  c.perChannel = false;
  EXPECT_LT(run(c), tol(c.quant));
  c.act = Act::Static;
  EXPECT_LT(run(c), tol(c.quant));
  c.unfused = true;
  EXPECT_LT(run(c), tol(c.quant));
  // Dropped copies (-1 ids, experts of other ranks) leave rows of the
  // intermediate unwritten; a computed per-tensor scale must not see them.
  c.act = Act::Tensor;
  c.poisonWorkspace = true;
  c.routing = Routing::WithInvalid;
  for (bool unfused : {false, true}) {
    c.unfused = unfused;
    EXPECT_LT(run(c), tol(c.quant)) << "-1 ids, unfused " << unfused;
  }
  c.routing = Routing::Random;
  c.E = 4;
  c.globalExperts = 12;
  EXPECT_LT(run(c), tol(c.quant)) << "expert map";
}

TEST_F(JitMoeQuantTest, Fp8BlockWiseRoutingsAndExpertMap) {
  Case c{19, 256, 64, 8, 2};
  c.act = Act::Block;
  c.groupN = 32;
  c.groupK = 64; // H = 256: 4 K groups; I = 64: one K group of w2
  EXPECT_LT(run(c), tol(c.quant));
  c.routing = Routing::Sparse;
  c.T = 1;
  EXPECT_LT(run(c), tol(c.quant)) << "one token, empty experts";
  c.T = 23;
  c.routing = Routing::WithInvalid;
  EXPECT_LT(run(c), tol(c.quant)) << "-1 and out-of-range ids";
  c.routing = Routing::Random;
  c.E = 4;
  c.K = 4;
  c.globalExperts = 12;
  EXPECT_LT(run(c), tol(c.quant)) << "expert map with skipped experts";
  // Block shape not dividing H: the last K group is partial (H = 96).
  Case d{9, 96, 32, 4, 2};
  d.act = Act::Block;
  d.groupN = 16;
  d.groupK = 64;
  EXPECT_LT(run(d), tol(d.quant)) << "K = 96, group_k = 64";
}

TEST_F(JitMoeQuantTest, Int8W8A16) {
  Case c{29, 64, 32, 8, 2};
  c.quant = MoeQuant::Int8W8A16;
  EXPECT_LT(run(c), tol(c.quant));
  c.T = 1;
  c.K = 8;
  EXPECT_LT(run(c), tol(c.quant)) << "one token, top-8";
  c.T = 17;
  c.K = 2;
  c.routing = Routing::WithInvalid;
  c.globalExperts = 16;
  EXPECT_LT(run(c), tol(c.quant)) << "expert map, -1 ids";
  Case odd{11, 80, 24, 4, 2};
  odd.quant = MoeQuant::Int8W8A16;
  EXPECT_LT(run(odd), tol(odd.quant)) << "H = 80, I = 24";
}

TEST_F(JitMoeQuantTest, Mxfp4) {
  Case c{23, 64, 32, 8, 2};
  c.quant = MoeQuant::Mxfp4;
  EXPECT_LT(run(c), tol(c.quant));
  c.T = 1;
  c.K = 1;
  EXPECT_LT(run(c), tol(c.quant)) << "one token, top-1";
  c.T = 31;
  c.K = 8;
  c.routing = Routing::Sparse;
  EXPECT_LT(run(c), tol(c.quant)) << "top-8, empty experts";
  Case wide{9, 96, 96, 4, 2}; // three 32-blocks of K in both GEMMs
  wide.quant = MoeQuant::Mxfp4;
  wide.unfused = true;
  EXPECT_LT(run(wide), tol(wide.quant)) << "H = I = 96, unfused";
}

TEST_F(JitMoeQuantTest, QuantizationIsPartOfTheKey) {
  // The same shapes and weights bytes' dtypes, different quantization of
  // the activations or of the weight scales: each request makes its own
  // kernels, and each is right (a shared entry would launch the other's
  // kernels and read the scales wrongly).
  Case c{13, 64, 32, 8, 2};
  EXPECT_LT(run(c), tol(c.quant)); // per token, per channel
  size_t made = jit->variantCount();
  EXPECT_LT(run(c), tol(c.quant));
  EXPECT_EQ(jit->variantCount(), made) << "the same request: a cache hit";
  // Per tensor; then a static scale for hidden only, then for the
  // intermediate only (each differs from the one before in one of them).
  for (int mask : {0, 1, 2}) {
    c.act = mask ? Act::Static : Act::Tensor;
    c.staticMask = mask;
    EXPECT_LT(run(c), tol(c.quant)) << "static mask " << mask;
    EXPECT_GT(jit->variantCount(), made) << "static mask " << mask;
    made = jit->variantCount();
  }
  c.act = Act::Token;
  c.perChannel = false; // [E] weight scales
  EXPECT_LT(run(c), tol(c.quant));
  EXPECT_GT(jit->variantCount(), made);
  made = jit->variantCount();
  c.act = Act::Block;
  c.groupN = 32;
  c.groupK = 32;
  EXPECT_LT(run(c), tol(c.quant));
  EXPECT_GT(jit->variantCount(), made);
  made = jit->variantCount();
  c.groupK = 64; // another block shape: group_k, then group_n
  EXPECT_LT(run(c), tol(c.quant));
  EXPECT_GT(jit->variantCount(), made);
  made = jit->variantCount();
  c.groupN = 16;
  EXPECT_LT(run(c), tol(c.quant));
  EXPECT_GT(jit->variantCount(), made);
  EXPECT_NE(Jit::lastVariant().kernel.find("fp8_w8a8"), std::string::npos)
      << Jit::lastVariant().kernel;
  EXPECT_NE(Jit::lastVariant().kernel.find("quant_fp8"), std::string::npos)
      << Jit::lastVariant().kernel;
}

TEST_F(JitMoeQuantTest, InconsistentInputsAreErrors) {
  int64_t T = 4, H = 64, I = 32, E = 8, K = 2;
  Bytes x(2 * T * H), w13(E * 2 * I * H), w2(E * H * I), tw(4 * T * K),
      ids(4 * T * K), out(2 * T * H), s13(4 * E * 2 * I * 4),
      s2(4 * E * H * 4), mx13(E * 2 * I * H / 32), mx2(E * H * I / 32);
  std::memset(ids.data(), 0, 4 * T * K);
  auto call = [&](FusedMoeOptions o, DType wt, std::vector<int64_t> w13s,
                  std::vector<int64_t> w2s, DType hidden = DType::BF16,
                  int64_t h = 64) {
    Tensor a13 = tensor(w13.data(), wt, {}), a2 = tensor(w2.data(), wt, {});
    a13.rank = static_cast<int>(w13s.size());
    a2.rank = static_cast<int>(w2s.size());
    for (int d = 0; d < a13.rank; ++d)
      a13.sizes[d] = w13s[d];
    for (int d = 0; d < a2.rank; ++d)
      a2.sizes[d] = w2s[d];
    return jit
        ->fusedMoe(tensor(x.data(), hidden, {T, h}), a13, a2,
                   tensor(tw.data(), DType::F32, {T, K}),
                   tensor(ids.data(), DType::I32, {T, K}),
                   tensor(out.data(), DType::BF16, {T, h}), o)
        .message();
  };
  auto has = [](const std::string &msg, const char *what) {
    return msg.find(what) != std::string::npos;
  };
  DType f8 = DType::F8E4M3FN;
  Tensor sc13 = tensor(s13.data(), DType::F32, {E, 2 * I}),
         sc2 = tensor(s2.data(), DType::F32, {E, H});
  FusedMoeOptions o;
  o.quant = MoeQuant::Fp8W8A8;
  // A missing scale.
  o.w13Scale = &sc13;
  std::string m = call(o, f8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "quant fp8_w8a8 needs w2_scale")) << m;
  // A scale of the wrong shape.
  Tensor bad = tensor(s2.data(), DType::F32, {E, H + 1});
  o.w2Scale = &bad;
  m = call(o, f8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "w2_scale must be per expert [E = 8], per channel "
                     "[E = 8, N = 64]") &&
              has(m, "it is [8, 65]"))
      << m;
  o.w2Scale = &sc2;
  // Weights of bf16 with fp8 quantization; fp8 weights without quant.
  m = call(o, DType::BF16, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "w13 is bf16; f8E4M3FN or f8E4M3FNUZ expected")) << m;
  FusedMoeOptions none;
  m = call(none, f8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "w13 is f8E4M3FN; bf16 expected")) << m;
  // Block shapes that do not divide, or block-wise scales of the wrong
  // shape.
  FusedMoeOptions b = o;
  b.groupN = 24;
  b.groupK = 64;
  m = call(b, f8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "group_n = 24 must divide I = 32")) << m;
  b.groupN = 16;
  b.groupK = 40;
  m = call(b, f8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "group_k = 40 must be a multiple of 16")) << m;
  b.groupK = 32;
  m = call(b, f8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "w13_scale must be block-wise [E = 8, ceil(N / "
                     "group_n) = 4, ceil(K / group_k) = 2]"))
      << m;
  // A static activation scale with block-wise or per-token scales; not one
  // element.
  Tensor one = tensor(s13.data(), DType::F32, {1}),
         two = tensor(s13.data(), DType::F32, {2});
  FusedMoeOptions st = o;
  st.a13Scale = &two;
  m = call(st, f8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "a13_scale must be one f32")) << m;
  st.a13Scale = &one;
  st.perTokenActivations = true;
  m = call(st, f8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "per-token activations are computed per call")) << m;
  // int8: per-tensor weight scales are not int8_w8a16's.
  FusedMoeOptions i8 = o;
  i8.quant = MoeQuant::Int8W8A16;
  Tensor perExpert = tensor(s13.data(), DType::F32, {E});
  i8.w13Scale = &perExpert;
  m = call(i8, DType::I8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "w13_scale must be per channel [E = 8, N = 64]")) << m;
  i8.w13Scale = &sc13;
  i8.perTokenActivations = true;
  m = call(i8, DType::I8, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "are for fp8_w8a8, not quant int8_w8a16")) << m;
  // mxfp4: K not packed in pairs, H not a multiple of 32, f32 scales, f16
  // hidden.
  FusedMoeOptions mx;
  mx.quant = MoeQuant::Mxfp4;
  Tensor m13 = tensor(mx13.data(), DType::F8E8M0FNU, {E, 2 * I, H / 32}),
         m2 = tensor(mx2.data(), DType::F8E8M0FNU, {E, H, I / 32});
  mx.w13Scale = &m13;
  mx.w2Scale = &m2;
  EXPECT_EQ(call(mx, DType::I8, {E, 2 * I, H / 2}, {E, H, I / 2}), "");
  m = call(mx, DType::I8, {E, 2 * I, H}, {E, H, I / 2});
  EXPECT_TRUE(has(m, "w13 must be [E, 2I, H/2 (mxfp4: packed pairs) = 32]"))
      << m;
  m = call(mx, DType::I8, {E, 2 * I, 24}, {E, 48, I / 2}, DType::BF16, 48);
  EXPECT_TRUE(has(m, "mxfp4 needs H (48) and I (32) to be multiples of 32"))
      << m;
  m = call(mx, DType::I8, {E, 2 * I, H / 2}, {E, H, I / 2}, DType::F16);
  EXPECT_TRUE(has(m, "mxfp4 weights need bf16 hidden states")) << m;
  mx.w13Scale = &sc13;
  m = call(mx, DType::I8, {E, 2 * I, H / 2}, {E, H, I / 2});
  EXPECT_TRUE(has(m, "w13_scale is f32; quant mxfp4 needs f8E8M0FNU")) << m;
  // Scales without quantization.
  FusedMoeOptions stray;
  stray.w2Scale = &sc2;
  m = call(stray, DType::BF16, {E, 2 * I, H}, {E, H, I});
  EXPECT_TRUE(has(m, "but quant is none")) << m;
}

} // namespace
