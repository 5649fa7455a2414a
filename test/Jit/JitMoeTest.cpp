//===- JitMoeTest.cpp - Jit::fusedMoe on the host device ------------------===//
//
// The fused-MoE layer through the C++ JIT API against a float64 reference:
// random routings, M = 1, empty experts, top-k 1/2/8, expert-parallel maps
// with skipped experts, -1 ids, gelu, the unfused path, bf16, the caller's
// workspace; the second call of a shape (and another token count) is a
// memory cache hit; the errors a caller can provoke.
//
//===----------------------------------------------------------------------===//

#include "HostJitSuite.h"

#include "moec/Jit/Jit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

using namespace moec::jit;

namespace {

/// 16-byte aligned storage of n elements of dtype (f32, bf16, f16, i32),
/// read back as the values the bits mean.
struct Buf {
  DType dtype;
  std::vector<uint8_t> bytes;
  explicit Buf(size_t n, DType dtype = DType::F32)
      : dtype(dtype), bytes(n * dtypeBytes(dtype) + 16) {}
  void *data() {
    auto p = reinterpret_cast<uintptr_t>(bytes.data());
    return reinterpret_cast<void *>((p + 15) / 16 * 16);
  }
  static float bf16Round(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000u;
    std::memcpy(&f, &u, 4);
    return f;
  }
  void set(size_t i, double v) {
    float f = static_cast<float>(v);
    if (dtype == DType::F32) {
      std::memcpy(static_cast<char *>(data()) + 4 * i, &f, 4);
    } else if (dtype == DType::BF16) {
      f = bf16Round(f);
      uint32_t u;
      std::memcpy(&u, &f, 4);
      uint16_t h = static_cast<uint16_t>(u >> 16);
      std::memcpy(static_cast<char *>(data()) + 2 * i, &h, 2);
    } else if (dtype == DType::F16) {
      _Float16 h = static_cast<_Float16>(f);
      std::memcpy(static_cast<char *>(data()) + 2 * i, &h, 2);
    } else if (dtype == DType::I32) {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(static_cast<char *>(data()) + 4 * i, &x, 4);
    }
  }
  double get(size_t i) {
    if (dtype == DType::F32) {
      float f;
      std::memcpy(&f, static_cast<char *>(data()) + 4 * i, 4);
      return f;
    }
    if (dtype == DType::I32) {
      int32_t x;
      std::memcpy(&x, static_cast<char *>(data()) + 4 * i, 4);
      return x;
    }
    if (dtype == DType::F16) {
      _Float16 h;
      std::memcpy(&h, static_cast<char *>(data()) + 2 * i, 2);
      return static_cast<double>(h);
    }
    uint16_t h;
    std::memcpy(&h, static_cast<char *>(data()) + 2 * i, 2);
    uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  /// Stored value of v (what the kernel will read).
  double round(double v) {
    if (dtype == DType::F16)
      return static_cast<double>(static_cast<_Float16>(v));
    return dtype == DType::BF16 ? bf16Round(static_cast<float>(v))
                                : static_cast<float>(v);
  }
};

Tensor tensor(Buf &b, std::initializer_list<int64_t> sizes) {
  Tensor t;
  t.data = b.data();
  t.dtype = b.dtype;
  t.rank = static_cast<int>(sizes.size());
  int d = 0;
  for (int64_t s : sizes)
    t.sizes[d++] = s;
  return t;
}

enum class Routing { Random, Sparse, WithInvalid };

struct Problem {
  int64_t T, H, I, E, K;
  DType dtype = DType::BF16;
  Activation act = Activation::Silu;
  Routing routing = Routing::Random;
  int64_t globalExperts = 0; ///< > E: an expert map, half of them elsewhere
  unsigned seed = 1;
};

class JitMoeTest : public moec::test::HostJitSuite<JitMoeTest> {
public:
  static constexpr const char *kCachePrefix = "moec-jit-moe-test";

protected:

  /// Runs fused_moe on random data and checks it against float64; returns
  /// the max error relative to the largest reference value.
  double run(const Problem &p, FusedMoeOptions o = {},
             std::string *error = nullptr) {
    std::mt19937 rng(p.seed);
    std::uniform_real_distribution<double> u(-1, 1);
    int64_t T = p.T, H = p.H, I = p.I, E = p.E, K = p.K;
    int64_t Eg = p.globalExperts ? p.globalExperts : E;
    Buf x(T * H, p.dtype), w13(E * 2 * I * H, p.dtype), w2(E * H * I, p.dtype),
        tw(T * K), ids(T * K, DType::I32), out(T * H, p.dtype),
        map(Eg, DType::I32);
    for (int64_t i = 0; i < T * H; ++i)
      x.set(i, u(rng));
    for (int64_t i = 0; i < E * 2 * I * H; ++i)
      w13.set(i, u(rng) * 0.25);
    for (int64_t i = 0; i < E * H * I; ++i)
      w2.set(i, u(rng) * 0.25);
    // Routing: distinct experts per token (as top-k gives).
    std::vector<int32_t> route(T * K);
    for (int64_t t = 0; t < T; ++t) {
      std::vector<int32_t> pool;
      for (int32_t e = 0; e < Eg; ++e)
        if (p.routing != Routing::Sparse || e % 3 == 0)
          pool.push_back(e);
      std::shuffle(pool.begin(), pool.end(), rng);
      for (int64_t j = 0; j < K; ++j) {
        int32_t e = pool[j % pool.size()];
        if (p.routing == Routing::WithInvalid && (t + j) % 3 == 1)
          e = (t % 2) ? -1 : static_cast<int32_t>(Eg + 5);
        route[t * K + j] = e;
        ids.set(t * K + j, e);
        tw.set(t * K + j, u(rng) * 0.5 + 0.75);
      }
    }
    // Expert map: global e lives here as local e / 2 when e is even.
    std::vector<int32_t> local(Eg);
    for (int64_t e = 0; e < Eg; ++e) {
      local[e] = p.globalExperts ? (e % 2 == 0 && e / 2 < E ? e / 2 : -1)
                                 : static_cast<int32_t>(e);
      map.set(e, local[e]);
    }
    for (int64_t i = 0; i < T * H; ++i) // poison: fused_moe overwrites out
      out.set(i, 1e30);
    o.activation = p.act;
    if (p.globalExperts)
      o.expertMap = new Tensor(tensor(map, {Eg}));
    auto s = jit->fusedMoe(tensor(x, {T, H}), tensor(w13, {E, 2 * I, H}),
                           tensor(w2, {E, H, I}), tensor(tw, {T, K}),
                           tensor(ids, {T, K}), tensor(out, {T, H}), o);
    delete o.expertMap;
    if (!s.ok()) {
      if (error)
        *error = s.message();
      else
        ADD_FAILURE() << s.message();
      return 1e30;
    }
    // float64 reference; the intermediate is stored in the input dtype.
    double maxRef = 0, maxErr = 0;
    std::vector<double> a(I);
    for (int64_t t = 0; t < T; ++t) {
      std::vector<double> ref(H, 0.0);
      for (int64_t j = 0; j < K; ++j) {
        int32_t e = route[t * K + j];
        if (e < 0 || e >= Eg || local[e] < 0)
          continue;
        int64_t le = local[e];
        for (int64_t n = 0; n < I; ++n) {
          double g = 0, up = 0;
          for (int64_t k = 0; k < H; ++k) {
            g += w13.get((le * 2 * I + n) * H + k) * x.get(t * H + k);
            up += w13.get((le * 2 * I + I + n) * H + k) * x.get(t * H + k);
          }
          double act = p.act == Activation::Silu
                           ? g / (1 + std::exp(-g))
                           : 0.5 * g * (1 + std::erf(g / std::sqrt(2.0)));
          a[n] = x.round(act * up);
        }
        for (int64_t h = 0; h < H; ++h) {
          double d = 0;
          for (int64_t n = 0; n < I; ++n)
            d += w2.get((le * H + h) * I + n) * a[n];
          ref[h] += tw.get(t * K + j) * d;
        }
      }
      for (int64_t h = 0; h < H; ++h) {
        maxRef = std::max(maxRef, std::abs(ref[h]));
        // NaN-aware: std::max(x, NaN) is x, which would hide a NaN output.
        double d = std::abs(ref[h] - out.get(t * H + h));
        if (!(d <= maxErr))
          maxErr = d;
      }
    }
    return maxErr / std::max(maxRef, 1e-3);
  }

  /// Tolerance relative to the largest output: the rounding of the output
  /// and of the intermediate (bf16 2^-8, f16 2^-11 relative each; an
  /// element rounded on the other side of a tie in the kernel and the
  /// reference), and the 16-bit atomic adds of the top_k copies into out.
  /// A dropped copy or a missing routing weight (0.75..1.25) is off by
  /// tens of percent.
  static double tol(DType d) { return d == DType::BF16 ? 2.0 / 64 : 2.0 / 512; }

};

TEST_F(JitMoeTest, RandomRoutingThenCacheHitsForAnyTokenCount) {
  Problem p{37, 64, 32, 8, 2};
  EXPECT_LT(run(p), tol(p.dtype));
  const VariantInfo &v = Jit::lastVariant();
  EXPECT_NE(v.kernel.find("fused_moe"), std::string::npos) << v.kernel;
  EXPECT_EQ(v.configSource, ConfigSource::Heuristic) << v.config;
  EXPECT_NE(v.config.find("w13 #moec.config<"), std::string::npos) << v.config;
  EXPECT_NE(v.config.find("(heuristic)"), std::string::npos) << v.config;
  size_t made = jit->variantCount();
  EXPECT_EQ(made, 3u) << "moe_align, w13 + silu_and_mul, w2 reduce";
  // The same shape again, then other token counts: nothing is made.
  for (int64_t t : {37, 1, 5, 130}) {
    p.T = t;
    p.seed = static_cast<unsigned>(t);
    EXPECT_LT(run(p), tol(p.dtype)) << "tokens " << t;
    EXPECT_EQ(Jit::lastVariant().cacheSource, CacheSource::Memory);
  }
  EXPECT_EQ(jit->variantCount(), made);
}

TEST_F(JitMoeTest, OneTokenAndTopK128) {
  for (int64_t k : {1, 2, 8}) {
    Problem p{1, 32, 16, 8, k};
    p.seed = static_cast<unsigned>(10 + k);
    EXPECT_LT(run(p), tol(p.dtype)) << "top_k " << k;
    p.T = 19;
    EXPECT_LT(run(p), tol(p.dtype)) << "top_k " << k << ", 19 tokens";
  }
}

TEST_F(JitMoeTest, EmptyExpertsAndInvalidIds) {
  Problem p{23, 32, 16, 8, 2};
  p.routing = Routing::Sparse; // experts 0, 3, 6 only
  EXPECT_LT(run(p), tol(p.dtype));
  p.routing = Routing::WithInvalid; // -1 and out-of-range ids dropped
  EXPECT_LT(run(p), tol(p.dtype));
}

TEST_F(JitMoeTest, ExpertParallelMapSkipsOtherRanksExperts) {
  Problem p{29, 32, 16, 4, 4};
  p.globalExperts = 12; // global e even and < 8: local e / 2; others: -1
  EXPECT_LT(run(p), tol(p.dtype));
}

TEST_F(JitMoeTest, GeluUnfusedAndF16) {
  Problem p{17, 32, 16, 8, 2};
  p.act = Activation::Gelu;
  EXPECT_LT(run(p), tol(p.dtype));
  FusedMoeOptions o;
  o.unfused = true;
  size_t before = jit->variantCount();
  EXPECT_LT(run(p, o), tol(p.dtype));
  EXPECT_NE(Jit::lastVariant().kernel.find("act_and_mul"), std::string::npos)
      << Jit::lastVariant().kernel;
  EXPECT_GT(jit->variantCount(), before);
  p.dtype = DType::F16;
  p.act = Activation::Silu;
  EXPECT_LT(run(p), tol(p.dtype));
  EXPECT_LT(run(p, o), tol(p.dtype));
}

TEST_F(JitMoeTest, OverridesAndTheCallersWorkspace) {
  Problem p{21, 32, 16, 8, 2};
  FusedMoeOptions o;
  o.w13Config = "block_m = 32, block_n = 32, block_k = 16";
  EXPECT_LT(run(p, o), tol(p.dtype));
  const VariantInfo &v = Jit::lastVariant();
  EXPECT_EQ(v.configSource, ConfigSource::Override);
  // w2 follows w13's block_m (one moe_align pads for both).
  EXPECT_NE(v.config.find("(override); w2 #moec.config<block_m = 32"),
            std::string::npos)
      << v.config;
  o.w2Config = "block_m = 16";
  std::string error;
  run(p, o, &error);
  EXPECT_NE(error.find("must agree"), std::string::npos) << error;
  // The caller's workspace: too small is an error, the size asked works.
  FusedMoeOptions w;
  Buf x(p.T * p.H, p.dtype), w13(p.E * 2 * p.I * p.H, p.dtype),
      ids(p.T * p.K, DType::I32);
  auto bytes = jit->fusedMoeWorkspaceBytes(
      tensor(x, {p.T, p.H}), tensor(w13, {p.E, 2 * p.I, p.H}),
      tensor(ids, {p.T, p.K}), w);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  Buf ws(*bytes / 4 + 4);
  w.workspace = ws.data();
  w.workspaceBytes = 64;
  error.clear();
  run(p, w, &error);
  EXPECT_NE(error.find("workspace holds"), std::string::npos) << error;
  w.workspaceBytes = *bytes;
  EXPECT_LT(run(p, w), tol(p.dtype));
}

TEST_F(JitMoeTest, ManyThreadsShareOneJit) {
  // Different token counts and seeds from four threads at once: one compile
  // of each variant, the Jit's own workspace taken in turn, every result
  // right.
  std::vector<std::thread> threads;
  std::vector<double> errs(8, 1e30);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      Problem p{5 + 11 * i, 32, 16, 8, 2};
      p.seed = 50 + i;
      errs[i] = run(p);
    });
  for (std::thread &t : threads)
    t.join();
  for (int i = 0; i < 8; ++i)
    EXPECT_LT(errs[i], tol(DType::BF16)) << "thread " << i;
  EXPECT_EQ(jit->variantCount(), 3u);
}

TEST_F(JitMoeTest, ZeroTokensAndErrors) {
  Problem p{0, 32, 16, 8, 2};
  EXPECT_LT(run(p), 1.0);
  Buf x(4 * 32, DType::BF16), w13(8 * 32 * 32, DType::BF16),
      w2(8 * 32 * 16, DType::BF16), tw(8), ids(8, DType::I32),
      out(4 * 32, DType::BF16), fids(8);
  auto call = [&](const Tensor &ids_, const Tensor &w2_, const Tensor &out_,
                  FusedMoeOptions o = {}) {
    return jit
        ->fusedMoe(tensor(x, {4, 32}), tensor(w13, {8, 32, 32}), w2_,
                   tensor(tw, {4, 2}), ids_, out_, o)
        .message();
  };
  EXPECT_NE(call(tensor(fids, {4, 2}), tensor(w2, {8, 32, 16}),
                 tensor(out, {4, 32}))
                .find("topk_ids is f32; i32 expected"),
            std::string::npos);
  EXPECT_NE(call(tensor(ids, {4, 2}), tensor(w2, {8, 16, 32}),
                 tensor(out, {4, 32}))
                .find("w2 must be [E = 8, H = 32, I = 16], it is [8, 16, 32]"),
            std::string::npos);
  EXPECT_NE(call(tensor(ids, {4, 2}), tensor(w2, {8, 32, 16}),
                 tensor(out, {3, 32}))
                .find("out must be [tokens = 4, H = 32]"),
            std::string::npos);
  // The layout rules every entry point shares (checkLayouts).
  Tensor strided = tensor(out, {4, 32});
  strided.strides[0] = 1; // column-major, inside the same buffer
  strided.strides[1] = 4;
  EXPECT_NE(call(tensor(ids, {4, 2}), tensor(w2, {8, 32, 16}), strided)
                .find("fused_moe: out [4, 32] is not row-major contiguous"),
            std::string::npos);
  Tensor shifted = tensor(out, {4, 32});
  shifted.data = static_cast<char *>(shifted.data) + 2;
  std::string m = call(tensor(ids, {4, 2}), tensor(w2, {8, 32, 16}), shifted);
  EXPECT_NE(m.find("fused_moe: out at"), std::string::npos) << m;
  EXPECT_NE(m.find("is not 16-byte aligned"), std::string::npos) << m;
  FusedMoeOptions o;
  o.activation = Activation::Relu;
  EXPECT_NE(call(tensor(ids, {4, 2}), tensor(w2, {8, 32, 16}),
                 tensor(out, {4, 32}), o)
                .find("silu or gelu expected"),
            std::string::npos);
  o = {};
  o.w13Config = "block_m = 48";
  EXPECT_NE(call(tensor(ids, {4, 2}), tensor(w2, {8, 32, 16}),
                 tensor(out, {4, 32}), o)
                .find("block_m = 48 must be a power of two"),
            std::string::npos);
}

} // namespace
