//===- JitTest.cpp - the C++ JIT API on the host device -------------------===//
//
// gemm() and module launches on the host: numerics against a double
// reference, the variant each request gets (assume-aligned or generic), the
// config source, no recompile for a new M, the disk cache across Jit
// instances, and the errors a caller can provoke.
//
//===----------------------------------------------------------------------===//

#include "moec/Jit/Jit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

using namespace moec::jit;
namespace fs = std::filesystem;

namespace {

class JitTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl =
        (fs::temp_directory_path() / "moec-jit-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
    jit = make();
  }
  void TearDown() override {
    jit.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::unique_ptr<Jit> make() {
    JitOptions o;
    o.cache.directory = dir;
    auto j = Jit::create("host", o);
    EXPECT_TRUE(j.ok()) << j.message();
    return j.ok() ? std::move(*j) : nullptr;
  }

  /// 16-byte aligned storage of `n` elements of `dtype` (bf16 or f32),
  /// with the values the bits mean.
  struct Buf {
    DType dtype;
    std::vector<uint8_t> bytes;
    std::vector<double> values;
    Buf(size_t n, DType dtype, std::mt19937 *rng = nullptr)
        : dtype(dtype), bytes(n * dtypeBytes(dtype) + 16), values(n) {
      std::uniform_real_distribution<float> d(-1, 1);
      for (size_t i = 0; i < n; ++i)
        set(i, rng ? d(*rng) : 0.0f);
    }
    void *data() {
      auto p = reinterpret_cast<uintptr_t>(bytes.data());
      return reinterpret_cast<void *>((p + 15) / 16 * 16);
    }
    void set(size_t i, float f) {
      uint32_t u;
      std::memcpy(&u, &f, 4);
      if (dtype == DType::F32) {
        std::memcpy(static_cast<char *>(data()) + 4 * i, &f, 4);
        values[i] = f;
        return;
      }
      uint16_t h = static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
      std::memcpy(static_cast<char *>(data()) + 2 * i, &h, 2);
      values[i] = get(i);
    }
    double get(size_t i) {
      if (dtype == DType::F32) {
        float f;
        std::memcpy(&f, static_cast<char *>(data()) + 4 * i, 4);
        return f;
      }
      uint16_t h;
      std::memcpy(&h, static_cast<char *>(data()) + 2 * i, 2);
      uint32_t u = uint32_t(h) << 16;
      float f;
      std::memcpy(&f, &u, 4);
      return f;
    }
  };

  /// Runs C (f32) = A (MxK) * W^T (W: NxK), bf16 inputs, and checks against
  /// a double reference.
  void checkLinear(int64_t M, int64_t N, int64_t K,
                   const GemmOptions &extra = {}) {
    std::mt19937 rng(M * 1000 + N * 10 + K);
    Buf a(M * K, DType::BF16, &rng), w(N * K, DType::BF16, &rng),
        c(M * N, DType::F32);
    GemmOptions o = extra;
    o.transposeB = true;
    auto s = jit->gemm(Tensor::matrix(a.data(), DType::BF16, M, K),
                       Tensor::matrix(w.data(), DType::BF16, N, K),
                       Tensor::matrix(c.data(), DType::F32, M, N), o);
    ASSERT_TRUE(s.ok()) << s.message();
    double maxErr = 0;
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double ref = 0;
        for (int64_t k = 0; k < K; ++k)
          ref += a.values[i * K + k] * w.values[j * K + k];
        if (o.activation == Activation::Relu)
          ref = std::max(ref, 0.0);
        // NaN-aware: std::max(maxErr, NaN) would keep maxErr and pass.
        double err = std::abs(ref - c.get(i * N + j));
        if (!(err <= maxErr))
          maxErr = err;
      }
    EXPECT_LT(maxErr, 1e-3) << "M=" << M << " N=" << N << " K=" << K;
  }

  std::string dir;
  std::unique_ptr<Jit> jit;
};

TEST_F(JitTest, GemmNumericsAndNoRecompileForNewM) {
  checkLinear(100, 48, 64);
  EXPECT_EQ(jit->variantCount(), 1u);
  const VariantInfo &v = Jit::lastVariant();
  EXPECT_EQ(v.configSource, ConfigSource::Heuristic);
  EXPECT_TRUE(v.aligned) << "K = 64 bf16 and N = 48 f32 are 16-byte multiples";
  EXPECT_EQ(v.cacheSource, CacheSource::Compiled);
  // Other M of the same size class: the same variant, from memory.
  for (int64_t m : {65, 77, 200, 256}) {
    checkLinear(m, 48, 64);
    EXPECT_EQ(Jit::lastVariant().cacheSource, CacheSource::Memory);
  }
  EXPECT_EQ(jit->variantCount(), 1u);
  // Other N and K (aligned): still the same kernel, all sizes are dynamic.
  checkLinear(90, 32, 96);
  EXPECT_EQ(jit->variantCount(), 1u);
}

TEST_F(JitTest, UnalignedLeadingDimensionGetsTheGenericVariant) {
  checkLinear(20, 16, 33); // K = 33 bf16: 66 bytes
  EXPECT_FALSE(Jit::lastVariant().aligned);
  checkLinear(20, 16, 32);
  EXPECT_TRUE(Jit::lastVariant().aligned);
  EXPECT_EQ(jit->variantCount(), 2u);
}

TEST_F(JitTest, ConfigSources) {
  GemmOptions o;
  o.config = "block_m = 16, block_n = 16, block_k = 16";
  checkLinear(40, 24, 40, o);
  const VariantInfo &v = Jit::lastVariant();
  EXPECT_EQ(v.configSource, ConfigSource::Override);
  EXPECT_NE(v.config.find("block_m = 16"), std::string::npos) << v.config;

  int asked = 0;
  jit->setTuningDatabase([&](const GemmSignature &sig,
                             const std::string &arch)
                             -> std::optional<std::string> {
    ++asked;
    EXPECT_EQ(arch, "host");
    if (sig.n == 24 && sig.k == 40)
      return std::string("block_m = 16, block_n = 32, block_k = 16");
    return std::nullopt;
  });
  checkLinear(40, 24, 40);
  EXPECT_EQ(Jit::lastVariant().configSource, ConfigSource::TuningDatabase);
  EXPECT_NE(Jit::lastVariant().config.find("block_m = 16, block_n = 32"),
            std::string::npos)
      << Jit::lastVariant().config;
  EXPECT_EQ(asked, 1);
}

TEST_F(JitTest, BadOverrideIsAnErrorNamingTheParameter) {
  GemmOptions o;
  o.config = "block_m = 48";
  Buf a(64, DType::BF16), b(64, DType::BF16), c(64, DType::F32);
  auto s = jit->gemm(Tensor::matrix(a.data(), DType::BF16, 8, 8),
                     Tensor::matrix(b.data(), DType::BF16, 8, 8),
                     Tensor::matrix(c.data(), DType::F32, 8, 8), o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("block_m"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("override"), std::string::npos) << s.message();
}

TEST_F(JitTest, SecondJitLoadsFromDisk) {
  checkLinear(30, 16, 32);
  EXPECT_EQ(Jit::lastVariant().cacheSource, CacheSource::Compiled);
  std::string key = Jit::lastVariant().keyHex;
  jit = make(); // a fresh process, as far as the caches go
  checkLinear(31, 16, 32);
  EXPECT_EQ(Jit::lastVariant().cacheSource, CacheSource::Disk);
  EXPECT_EQ(Jit::lastVariant().keyHex, key);
  EXPECT_EQ(jit->cache().stats().compiles, 0u);
}

TEST_F(JitTest, ColumnMajorOperandIsATranspose) {
  // W^T given as a column-major K x N view of the row-major N x K weight.
  const int64_t M = 8, N = 16, K = 32;
  std::mt19937 rng(1);
  Buf a(M * K, DType::BF16, &rng), w(N * K, DType::BF16, &rng),
      c(M * N, DType::F32);
  Tensor wt;
  wt.data = w.data();
  wt.dtype = DType::BF16;
  wt.rank = 2;
  wt.sizes[0] = K, wt.sizes[1] = N;
  wt.strides[0] = 1, wt.strides[1] = K;
  auto s = jit->gemm(Tensor::matrix(a.data(), DType::BF16, M, K), wt,
                     Tensor::matrix(c.data(), DType::F32, M, N));
  ASSERT_TRUE(s.ok()) << s.message();
  for (int64_t j : {0, 5, 15}) {
    double ref = 0;
    for (int64_t k = 0; k < K; ++k)
      ref += a.values[(M - 1) * K + k] * w.values[j * K + k]; // C[M-1][j]
    EXPECT_NEAR(c.get((M - 1) * N + j), ref, 1e-4);
  }
}

TEST_F(JitTest, MisuseIsAnError) {
  Buf x(256, DType::BF16);
  void *p = static_cast<char *>(x.data()) + 2;
  auto A = Tensor::matrix(x.data(), DType::BF16, 4, 4);
  auto C = Tensor::matrix(x.data(), DType::F32, 4, 4);
  auto bad = jit->gemm(A, Tensor::matrix(x.data(), DType::BF16, 5, 4), C);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("shapes do not match"), std::string::npos);
  auto mixed = jit->gemm(A, Tensor::matrix(x.data(), DType::F16, 4, 4), C);
  EXPECT_FALSE(mixed.ok());
  auto unaligned = jit->gemm(Tensor::matrix(p, DType::BF16, 4, 4), A, C);
  ASSERT_FALSE(unaligned.ok());
  EXPECT_NE(unaligned.message().find("16-byte aligned"), std::string::npos);
  EXPECT_FALSE(Jit::create("tpu:0").ok());
  EXPECT_FALSE(Jit::create("host:x").ok());
}

TEST_F(JitTest, ThreadsAskingForOneNewVariantGetOneCompile) {
  const int64_t M = 24, N = 32, K = 64;
  std::mt19937 rng(7);
  Buf a(M * K, DType::BF16, &rng), w(N * K, DType::BF16, &rng);
  std::vector<std::unique_ptr<Buf>> outs;
  for (int i = 0; i < 8; ++i)
    outs.push_back(std::make_unique<Buf>(M * N, DType::F32));
  std::vector<std::thread> threads;
  std::vector<std::string> errors(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      GemmOptions o;
      o.transposeB = true;
      auto s = jit->gemm(Tensor::matrix(a.data(), DType::BF16, M, K),
                         Tensor::matrix(w.data(), DType::BF16, N, K),
                         Tensor::matrix(outs[i]->data(), DType::F32, M, N), o);
      errors[i] = s.ok() ? "" : s.message();
    });
  for (auto &t : threads)
    t.join();
  for (auto &e : errors)
    EXPECT_EQ(e, "");
  EXPECT_EQ(jit->variantCount(), 1u);
  EXPECT_EQ(jit->cache().stats().compiles, 1u);
  for (int i = 1; i < 8; ++i)
    EXPECT_EQ(0, std::memcmp(outs[0]->data(), outs[i]->data(), M * N * 4));
}

TEST_F(JitTest, ModuleLaunchByEntryPoint) {
  const char *text = R"(
module {
  func.func @linear(%x: memref<?x64xbf16>, %w: memref<32x64xbf16>,
                    %y: memref<?x32xf32>) {
    moec.gemm %x, %w -> %y {
      transpose_b, config = #moec.config<block_m = 16, block_n = 16, block_k = 16>
    } : memref<?x64xbf16>, memref<32x64xbf16> -> memref<?x32xf32>
    return
  }
})";
  auto mod = jit->loadModuleString(text);
  ASSERT_TRUE(mod.ok()) << mod.message();
  for (int64_t M : {3, 50}) {
    std::mt19937 rng(M);
    Buf x(M * 64, DType::BF16, &rng), w(32 * 64, DType::BF16, &rng),
        y(M * 32, DType::F32);
    Tensor t[3] = {Tensor::matrix(x.data(), DType::BF16, M, 64),
                   Tensor::matrix(w.data(), DType::BF16, 32, 64),
                   Tensor::matrix(y.data(), DType::F32, M, 32)};
    auto s = jit->launch(**mod, "linear", t, 3);
    ASSERT_TRUE(s.ok()) << s.message();
    double ref = 0;
    for (int k = 0; k < 64; ++k)
      ref += x.values[(M - 1) * 64 + k] * w.values[31 * 64 + k];
    EXPECT_NEAR(y.get((M - 1) * 32 + 31), ref, 1e-4);
    EXPECT_EQ(Jit::lastVariant().configSource, ConfigSource::File);
  }
  EXPECT_EQ(jit->variantCount(), 1u);
  Tensor wrong[3] = {Tensor::matrix(nullptr, DType::BF16, 2, 64),
                     Tensor::matrix(nullptr, DType::BF16, 31, 64),
                     Tensor::matrix(nullptr, DType::F32, 2, 32)};
  auto s = jit->launch(**mod, "linear", wrong, 3);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("size 31"), std::string::npos) << s.message();
  EXPECT_FALSE(jit->launch(**mod, "nope", wrong, 3).ok());
  EXPECT_FALSE(jit->loadModuleString("module { garbage").ok());
}

} // namespace
