//===- CApiTest.cpp - the C API against misuse, through libmoec.so --------===//
//
// Links only libmoec.so and includes only moec-c/moec.h: what a C program
// sees. Every null or short argument is an error naming it, never a crash.
//
//===----------------------------------------------------------------------===//

#include "moec-c/moec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

std::string lastError() { return moec_last_error(); }

class CApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "moec-capi-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
    ASSERT_EQ(moec_jit_create("host", dir.c_str(), &jit), MOEC_OK)
        << lastError();
  }
  void TearDown() override {
    moec_jit_destroy(jit);
    std::filesystem::remove_all(dir);
  }
  static moec_tensor matrix(void *p, moec_dtype d, int64_t r, int64_t c) {
    moec_tensor t;
    std::memset(&t, 0, sizeof t);
    t.data = p;
    t.dtype = d;
    t.rank = 2;
    t.sizes[0] = r;
    t.sizes[1] = c;
    return t;
  }
  std::string dir;
  moec_jit *jit = nullptr;
};

TEST_F(CApiTest, CreateChecksItsArguments) {
  EXPECT_EQ(moec_jit_create("host", nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("out is NULL"), std::string::npos) << lastError();
  moec_jit *j = reinterpret_cast<moec_jit *>(0x1);
  EXPECT_EQ(moec_jit_create(nullptr, nullptr, &j), MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(j, nullptr) << "out is cleared on failure";
  EXPECT_EQ(moec_jit_create("tpu:0", nullptr, &j), MOEC_ERROR_DEVICE);
  EXPECT_NE(lastError().find("tpu"), std::string::npos) << lastError();
  moec_jit_destroy(nullptr);
  moec_module_destroy(nullptr);
  EXPECT_STREQ(moec_version(), "0.1.0");
}

TEST_F(CApiTest, ArchAndSizes) {
  char buf[16];
  ASSERT_EQ(moec_jit_arch(jit, buf, sizeof buf), MOEC_OK);
  EXPECT_STREQ(buf, "host");
  EXPECT_EQ(moec_jit_arch(jit, buf, 3), MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("too small"), std::string::npos);
  EXPECT_EQ(moec_jit_arch(nullptr, buf, 16), MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(moec_jit_arch(jit, nullptr, 16), MOEC_ERROR_INVALID_ARGUMENT);
  moec_variant_info info;
  EXPECT_EQ(moec_last_variant(&info, sizeof info - 1),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("sizeof(moec_variant_info)"), std::string::npos);
  EXPECT_EQ(moec_last_variant(nullptr, sizeof info),
            MOEC_ERROR_INVALID_ARGUMENT);
  size_t n = 99;
  EXPECT_EQ(moec_jit_variant_count(jit, &n), MOEC_OK);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(moec_jit_variant_count(jit, nullptr), MOEC_ERROR_INVALID_ARGUMENT);
}

TEST_F(CApiTest, GemmChecksTensors) {
  alignas(16) uint16_t a[64] = {}, b[64] = {};
  alignas(16) float c[64] = {};
  moec_tensor ta = matrix(a, MOEC_BF16, 8, 8), tb = matrix(b, MOEC_BF16, 8, 8),
              tc = matrix(c, MOEC_F32, 8, 8);
  EXPECT_EQ(moec_gemm(nullptr, &ta, &tb, &tc, nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(moec_gemm(jit, nullptr, &tb, &tc, nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("a is NULL"), std::string::npos) << lastError();
  moec_tensor bad = ta;
  bad.dtype = 42;
  EXPECT_EQ(moec_gemm(jit, &bad, &tb, &tc, nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("dtype 42"), std::string::npos) << lastError();
  bad = ta;
  bad.rank = 9;
  EXPECT_EQ(moec_gemm(jit, &bad, &tb, &tc, nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  bad = ta;
  bad.sizes[0] = -1;
  EXPECT_EQ(moec_gemm(jit, &bad, &tb, &tc, nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  bad = ta;
  bad.data = nullptr;
  EXPECT_EQ(moec_gemm(jit, &bad, &tb, &tc, nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("a.data is NULL"), std::string::npos);
  bad = ta;
  bad.sizes[0] = INT64_MAX / 2;
  bad.sizes[1] = 4;
  EXPECT_EQ(moec_gemm(jit, &bad, &tb, &tc, nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("overflows"), std::string::npos) << lastError();
  moec_gemm_options opt;
  std::memset(&opt, 0, sizeof opt);
  opt.activation = 17;
  EXPECT_EQ(moec_gemm(jit, &ta, &tb, &tc, &opt, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  // A wrong shape is the JIT's error, passed through.
  moec_tensor tb2 = matrix(b, MOEC_BF16, 4, 8);
  EXPECT_EQ(moec_gemm(jit, &ta, &tb2, &tc, nullptr, nullptr), MOEC_ERROR_FAILED);
  EXPECT_NE(lastError().find("shapes do not match"), std::string::npos);
}

TEST_F(CApiTest, GemmRunsAndReportsItsVariant) {
  // bf16 1.0 = 0x3F80; A = ones(4 x 16), B = ones(16 x 8): C = 16.
  alignas(16) uint16_t a[64], b[128];
  alignas(16) float c[32] = {};
  for (auto &x : a)
    x = 0x3F80;
  for (auto &x : b)
    x = 0x3F80;
  moec_tensor ta = matrix(a, MOEC_BF16, 4, 16), tb = matrix(b, MOEC_BF16, 16, 8),
              tc = matrix(c, MOEC_F32, 4, 8);
  ASSERT_EQ(moec_gemm(jit, &ta, &tb, &tc, nullptr, nullptr), MOEC_OK)
      << lastError();
  for (float x : c)
    EXPECT_EQ(x, 16.0f);
  moec_variant_info info;
  ASSERT_EQ(moec_last_variant(&info, sizeof info), MOEC_OK);
  EXPECT_EQ(info.config_source, MOEC_CONFIG_HEURISTIC);
  EXPECT_EQ(info.cache_source, MOEC_CACHE_COMPILED);
  EXPECT_EQ(info.aligned, 1);
  EXPECT_EQ(std::strlen(info.key), 32u);
  EXPECT_GT(std::strlen(info.kernel), 0u);
}

TEST_F(CApiTest, LastVariantOutlivesItsJit) {
  // moec_last_variant after the JIT that ran the call is destroyed: the
  // same answer as before, not freed memory (a use-after-free under ASan
  // before the fix; found by the capi fuzz target).
  alignas(16) uint16_t a[64] = {}, b[128] = {};
  alignas(16) float c[32] = {};
  moec_tensor ta = matrix(a, MOEC_BF16, 4, 16), tb = matrix(b, MOEC_BF16, 16, 8),
              tc = matrix(c, MOEC_F32, 4, 8);
  moec_jit *other = nullptr;
  ASSERT_EQ(moec_jit_create("host", dir.c_str(), &other), MOEC_OK);
  ASSERT_EQ(moec_gemm(other, &ta, &tb, &tc, nullptr, nullptr), MOEC_OK)
      << lastError();
  moec_variant_info before, after;
  ASSERT_EQ(moec_last_variant(&before, sizeof before), MOEC_OK);
  moec_jit_destroy(other);
  // Reuse the freed memory, so a dangling read sees other bytes.
  std::vector<std::string> filler(64, std::string(200, 'x'));
  ASSERT_EQ(moec_last_variant(&after, sizeof after), MOEC_OK);
  EXPECT_STREQ(after.kernel, before.kernel);
  EXPECT_STREQ(after.config, before.config);
  EXPECT_STREQ(after.key, before.key);
  EXPECT_EQ(after.cache_source, before.cache_source);
}

TEST_F(CApiTest, GemmPlanChecksAndRuns) {
  // bf16 1.0 = 0x3F80; A = ones(4 x 16), B = ones(16 x 8), bias = 2:
  // C = 18 through the plan, with new pointers on the second run.
  alignas(16) uint16_t a[64], b[128], b2[128];
  alignas(16) float c[32] = {}, c2[32] = {}, bias[8];
  for (auto &x : a)
    x = 0x3F80;
  for (auto &x : b)
    x = 0x3F80;
  for (auto &x : b2)
    x = 0x4000; // 2.0
  for (auto &x : bias)
    x = 2.0f;
  moec_tensor ta = matrix(nullptr, MOEC_BF16, 4, 16),
              tb = matrix(nullptr, MOEC_BF16, 16, 8),
              tc = matrix(nullptr, MOEC_F32, 4, 8);
  moec_tensor tbias;
  std::memset(&tbias, 0, sizeof tbias);
  tbias.dtype = MOEC_F32;
  tbias.rank = 1;
  tbias.sizes[0] = 8;
  moec_gemm_options opt;
  std::memset(&opt, 0, sizeof opt);
  opt.bias = &tbias;

  moec_gemm_plan *plan = nullptr;
  EXPECT_EQ(moec_gemm_plan_create(jit, &ta, &tb, &tc, &opt, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(moec_gemm_plan_create(nullptr, &ta, &tb, &tc, &opt, &plan),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(plan, nullptr);
  EXPECT_EQ(moec_gemm_plan_create(jit, &ta, nullptr, &tc, &opt, &plan),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("b is NULL"), std::string::npos) << lastError();
  moec_tensor bad = tc;
  bad.rank = 7;
  EXPECT_EQ(moec_gemm_plan_create(jit, &ta, &tb, &bad, &opt, &plan),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("rank 7"), std::string::npos) << lastError();
  opt.activation = 99;
  EXPECT_EQ(moec_gemm_plan_create(jit, &ta, &tb, &tc, &opt, &plan),
            MOEC_ERROR_INVALID_ARGUMENT);
  opt.activation = MOEC_ACT_NONE;

  ASSERT_EQ(moec_gemm_plan_create(jit, &ta, &tb, &tc, &opt, &plan), MOEC_OK)
      << lastError();
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(moec_gemm_plan_run(nullptr, a, b, c, bias, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(moec_gemm_plan_run(plan, nullptr, b, c, bias, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("a is NULL"), std::string::npos) << lastError();
  EXPECT_EQ(moec_gemm_plan_run(plan, a, b, nullptr, bias, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(moec_gemm_plan_run(plan, a, b, c, nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("bias is NULL"), std::string::npos)
      << lastError();
  for (float x : c)
    EXPECT_EQ(x, 0.0f); // nothing ran

  ASSERT_EQ(moec_gemm_plan_run(plan, a, b, c, bias, nullptr), MOEC_OK)
      << lastError();
  for (float x : c)
    EXPECT_EQ(x, 18.0f);
  ASSERT_EQ(moec_gemm_plan_run(plan, a, b2, c2, bias, nullptr), MOEC_OK)
      << lastError();
  for (float x : c2)
    EXPECT_EQ(x, 34.0f);
  moec_gemm_plan_destroy(plan);
  moec_gemm_plan_destroy(nullptr);

  // A plan without bias refuses one.
  ASSERT_EQ(moec_gemm_plan_create(jit, &ta, &tb, &tc, nullptr, &plan),
            MOEC_OK)
      << lastError();
  EXPECT_EQ(moec_gemm_plan_run(plan, a, b, c, bias, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(moec_gemm_plan_run(plan, a, b, c, nullptr, nullptr), MOEC_OK)
      << lastError();
  for (float x : c)
    EXPECT_EQ(x, 16.0f);
  moec_gemm_plan_destroy(plan);
}

TEST_F(CApiTest, ModulesCheckTheirArguments) {
  moec_module *m = reinterpret_cast<moec_module *>(0x1);
  EXPECT_EQ(moec_module_load_file(jit, nullptr, &m), MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(m, nullptr);
  EXPECT_EQ(moec_module_load_file(jit, "/nonexistent.mlir", &m),
            MOEC_ERROR_FAILED);
  EXPECT_NE(lastError().find("/nonexistent.mlir"), std::string::npos);
  EXPECT_EQ(moec_module_load_string(jit, "module {", 8, &m), MOEC_ERROR_FAILED);
  EXPECT_EQ(moec_module_load_string(jit, nullptr, 0, &m),
            MOEC_ERROR_INVALID_ARGUMENT);
  const char *text = "module {}";
  ASSERT_EQ(moec_module_load_string(jit, text, std::strlen(text), &m), MOEC_OK);
  EXPECT_EQ(moec_launch(jit, m, "f", nullptr, 3, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(moec_launch(jit, m, nullptr, nullptr, 0, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(moec_launch(jit, nullptr, "f", nullptr, 0, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(moec_launch(jit, m, "f", nullptr, 0, nullptr), MOEC_ERROR_FAILED);
  EXPECT_NE(lastError().find("no function @f"), std::string::npos)
      << lastError();
  moec_module_destroy(m);
}

} // namespace

namespace {

uint16_t toBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}
double fromBf16(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST_F(CApiTest, FusedMoeRunsAndChecksItsArguments) {
  const int64_t T = 5, H = 16, I = 16, E = 4, K = 2;
  // 16-byte aligned storage (vectors of uint64_t are 8-aligned: pad).
  auto aligned = [](std::vector<uint8_t> &v) {
    return reinterpret_cast<void *>(
        (reinterpret_cast<uintptr_t>(v.data()) + 15) / 16 * 16);
  };
  std::vector<uint8_t> xs(T * H * 2 + 16), w13s(E * 2 * I * H * 2 + 16),
      w2s(E * H * I * 2 + 16), tws(T * K * 4 + 16), idss(T * K * 4 + 16),
      outs(T * H * 4 + 16);
  auto *x = static_cast<uint16_t *>(aligned(xs));
  auto *w13 = static_cast<uint16_t *>(aligned(w13s));
  auto *w2 = static_cast<uint16_t *>(aligned(w2s));
  auto *tw = static_cast<float *>(aligned(tws));
  auto *ids = static_cast<int32_t *>(aligned(idss));
  auto *out = static_cast<float *>(aligned(outs));
  unsigned seed = 7;
  auto rnd = [&] {
    seed = seed * 1103515245u + 12345u;
    return ((seed >> 8) % 2001) / 1000.0f - 1.0f;
  };
  for (int64_t i = 0; i < T * H; ++i)
    x[i] = toBf16(rnd());
  for (int64_t i = 0; i < E * 2 * I * H; ++i)
    w13[i] = toBf16(rnd() * 0.25f);
  for (int64_t i = 0; i < E * H * I; ++i)
    w2[i] = toBf16(rnd() * 0.25f);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < K; ++j) {
      ids[t * K + j] = static_cast<int32_t>((t + 3 * j) % E);
      tw[t * K + j] = 0.5f + 0.25f * j;
    }
  ids[3] = -1; // dropped
  moec_tensor th = matrix(x, MOEC_BF16, T, H), tw_ = matrix(tw, MOEC_F32, T, K),
              ti = matrix(ids, MOEC_I32, T, K), to = matrix(out, MOEC_F32, T, H);
  moec_tensor t13 = matrix(w13, MOEC_BF16, E, 2 * I), t2 = matrix(w2, MOEC_BF16, E, H);
  t13.rank = t2.rank = 3;
  t13.sizes[2] = H;
  t2.sizes[2] = I;
  ASSERT_EQ(moec_fused_moe(jit, &th, &t13, &t2, &tw_, &ti, &to, nullptr, nullptr),
            MOEC_OK)
      << lastError();
  double maxErr = 0, maxRef = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h) {
      double ref = 0;
      for (int64_t j = 0; j < K; ++j) {
        int32_t e = ids[t * K + j];
        if (e < 0)
          continue;
        double d = 0;
        for (int64_t n = 0; n < I; ++n) {
          double g = 0, u = 0;
          for (int64_t k = 0; k < H; ++k) {
            g += fromBf16(w13[(e * 2 * I + n) * H + k]) * fromBf16(x[t * H + k]);
            u += fromBf16(w13[(e * 2 * I + I + n) * H + k]) * fromBf16(x[t * H + k]);
          }
          double a = fromBf16(toBf16(static_cast<float>(g / (1 + std::exp(-g)) * u)));
          d += fromBf16(w2[(e * H + h) * I + n]) * a;
        }
        ref += tw[t * K + j] * d;
      }
      maxRef = std::max(maxRef, std::abs(ref));
      // NaN-aware: std::max(x, NaN) is x, which would hide a NaN output.
      if (double d = std::abs(ref - out[t * H + h]); !(d <= maxErr))
        maxErr = d;
    }
  EXPECT_LT(maxErr, 1e-3 * std::max(maxRef, 1.0)) << "max |ref| " << maxRef;
  moec_variant_info info;
  ASSERT_EQ(moec_last_variant(&info, sizeof info), MOEC_OK);
  EXPECT_EQ(std::string(info.kernel).rfind("fused_moe:", 0), 0u) << info.kernel;
  EXPECT_EQ(info.config_source, MOEC_CONFIG_HEURISTIC);
  EXPECT_EQ(info.cache_source, MOEC_CACHE_COMPILED);
  ASSERT_EQ(moec_fused_moe(jit, &th, &t13, &t2, &tw_, &ti, &to, nullptr, nullptr),
            MOEC_OK);
  ASSERT_EQ(moec_last_variant(&info, sizeof info), MOEC_OK);
  EXPECT_EQ(info.cache_source, MOEC_CACHE_MEMORY);

  // Workspace size, then the caller's workspace.
  moec_fused_moe_options opt;
  std::memset(&opt, 0, sizeof opt);
  size_t bytes = 0;
  ASSERT_EQ(moec_fused_moe_workspace_size(jit, &th, &t13, &ti, &opt, &bytes),
            MOEC_OK)
      << lastError();
  EXPECT_GT(bytes, 0u);
  std::vector<uint8_t> ws(bytes + 16);
  opt.workspace = aligned(ws);
  opt.workspace_bytes = bytes;
  opt.activation = MOEC_ACT_SILU;
  EXPECT_EQ(moec_fused_moe(jit, &th, &t13, &t2, &tw_, &ti, &to, &opt, nullptr),
            MOEC_OK)
      << lastError();

  // Misuse: named, never a crash.
  EXPECT_EQ(moec_fused_moe(jit, nullptr, &t13, &t2, &tw_, &ti, &to, nullptr,
                           nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("hidden is NULL"), std::string::npos) << lastError();
  EXPECT_EQ(moec_fused_moe_workspace_size(jit, &th, &t13, &ti, nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  moec_tensor badIds = matrix(tw, MOEC_F32, T, K);
  EXPECT_EQ(moec_fused_moe(jit, &th, &t13, &t2, &tw_, &badIds, &to, nullptr,
                           nullptr),
            MOEC_ERROR_FAILED);
  EXPECT_NE(lastError().find("topk_ids is f32; i32 expected"), std::string::npos)
      << lastError();
  opt.activation = MOEC_ACT_RELU;
  EXPECT_EQ(moec_fused_moe(jit, &th, &t13, &t2, &tw_, &ti, &to, &opt, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("MOEC_ACT_SILU or MOEC_ACT_GELU"), std::string::npos)
      << lastError();
}

TEST_F(CApiTest, FusedMoeQuantInt8AndItsErrors) {
  // int8_w8a16 through moec_fused_moe_quant against float64 from the
  // dequantized weights; the fp8 workspace is larger than bf16's; a bad
  // kind, a missing scale and fp8 options on int8 are named errors.
  const int64_t T = 5, H = 32, I = 16, E = 4, K = 2;
  auto aligned = [](std::vector<uint8_t> &v) {
    return reinterpret_cast<void *>(
        (reinterpret_cast<uintptr_t>(v.data()) + 15) / 16 * 16);
  };
  std::vector<uint8_t> xs(T * H * 2 + 16), w13s(E * 2 * I * H + 16),
      w2s(E * H * I + 16), s13s(E * 2 * I * 4 + 16), s2s(E * H * 4 + 16),
      tws(T * K * 4 + 16), idss(T * K * 4 + 16), outs(T * H * 4 + 16);
  auto *x = static_cast<uint16_t *>(aligned(xs));
  auto *w13 = static_cast<int8_t *>(aligned(w13s));
  auto *w2 = static_cast<int8_t *>(aligned(w2s));
  auto *s13 = static_cast<float *>(aligned(s13s));
  auto *s2 = static_cast<float *>(aligned(s2s));
  auto *tw = static_cast<float *>(aligned(tws));
  auto *ids = static_cast<int32_t *>(aligned(idss));
  auto *out = static_cast<float *>(aligned(outs));
  unsigned seed = 11;
  auto rnd = [&] {
    seed = seed * 1103515245u + 12345u;
    return ((seed >> 8) % 2001) / 1000.0f - 1.0f;
  };
  for (int64_t i = 0; i < T * H; ++i)
    x[i] = toBf16(rnd());
  for (int64_t i = 0; i < E * 2 * I * H; ++i)
    w13[i] = static_cast<int8_t>(rnd() * 127);
  for (int64_t i = 0; i < E * H * I; ++i)
    w2[i] = static_cast<int8_t>(rnd() * 127);
  for (int64_t i = 0; i < E * 2 * I; ++i)
    s13[i] = (1.5f + rnd()) / 512;
  for (int64_t i = 0; i < E * H; ++i)
    s2[i] = (1.5f + rnd()) / 512;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < K; ++j) {
      ids[t * K + j] = static_cast<int32_t>((t + 3 * j) % E);
      tw[t * K + j] = 0.5f + 0.25f * j;
    }
  moec_tensor th = matrix(x, MOEC_BF16, T, H), tw_ = matrix(tw, MOEC_F32, T, K),
              ti = matrix(ids, MOEC_I32, T, K), to = matrix(out, MOEC_F32, T, H);
  moec_tensor t13 = matrix(w13, MOEC_I8, E, 2 * I), t2 = matrix(w2, MOEC_I8, E, H);
  t13.rank = t2.rank = 3;
  t13.sizes[2] = H;
  t2.sizes[2] = I;
  moec_tensor ts13 = matrix(s13, MOEC_F32, E, 2 * I), ts2 = matrix(s2, MOEC_F32, E, H);
  moec_fused_moe_quant_options q;
  std::memset(&q, 0, sizeof q);
  q.kind = MOEC_MOE_INT8_W8A16;
  q.w13_scale = &ts13;
  q.w2_scale = &ts2;
  ASSERT_EQ(moec_fused_moe_quant(jit, &th, &t13, &t2, &tw_, &ti, &to, nullptr,
                                 &q, nullptr),
            MOEC_OK)
      << lastError();
  double maxErr = 0, maxRef = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h) {
      double ref = 0;
      for (int64_t j = 0; j < K; ++j) {
        int32_t e = ids[t * K + j];
        double d = 0;
        for (int64_t n = 0; n < I; ++n) {
          double g = 0, u = 0;
          for (int64_t k = 0; k < H; ++k) {
            double xv = fromBf16(x[t * H + k]);
            g += w13[(e * 2 * I + n) * H + k] * double(s13[e * 2 * I + n]) * xv;
            u += w13[(e * 2 * I + I + n) * H + k] *
                 double(s13[e * 2 * I + I + n]) * xv;
          }
          double a = fromBf16(toBf16(static_cast<float>(g / (1 + std::exp(-g)) * u)));
          d += w2[(e * H + h) * I + n] * double(s2[e * H + h]) * a;
        }
        ref += tw[t * K + j] * d;
      }
      maxRef = std::max(maxRef, std::abs(ref));
      // NaN-aware: std::max(x, NaN) is x, which would hide a NaN output.
      if (double d = std::abs(ref - out[t * H + h]); !(d <= maxErr))
        maxErr = d;
    }
  // f32 output: the bf16 intermediate's rounding (both sides) and f32 sums.
  EXPECT_LT(maxErr, 2e-3 * std::max(maxRef, 1.0)) << "max |ref| " << maxRef;
  moec_variant_info info;
  ASSERT_EQ(moec_last_variant(&info, sizeof info), MOEC_OK);
  EXPECT_NE(std::string(info.kernel).find("int8_w8a16"), std::string::npos)
      << info.kernel;

  // The fp8 workspace holds the quantized activations too.
  size_t plain = 0, fp8 = 0;
  moec_tensor b13 = t13; // shapes only: bf16 weights, no quantization
  b13.dtype = MOEC_BF16;
  ASSERT_EQ(moec_fused_moe_quant_workspace_size(jit, &th, &b13, &ti, nullptr,
                                                nullptr, &plain),
            MOEC_OK)
      << lastError();
  moec_fused_moe_quant_options f = q;
  f.kind = MOEC_MOE_FP8_W8A8;
  f.per_token_activations = 1;
  moec_tensor f13 = t13;
  f13.dtype = MOEC_F8E4M3FN;
  ASSERT_EQ(moec_fused_moe_quant_workspace_size(jit, &th, &f13, &ti, nullptr,
                                                &f, &fp8),
            MOEC_OK)
      << lastError();
  EXPECT_GE(fp8, plain + T * H + T * K * I) << plain;

  // Misuse: named, never a crash.
  moec_fused_moe_quant_options bad = q;
  bad.kind = 9;
  EXPECT_EQ(moec_fused_moe_quant(jit, &th, &t13, &t2, &tw_, &ti, &to, nullptr,
                                 &bad, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("quant->kind 9"), std::string::npos) << lastError();
  bad = q;
  bad.w2_scale = nullptr;
  EXPECT_EQ(moec_fused_moe_quant(jit, &th, &t13, &t2, &tw_, &ti, &to, nullptr,
                                 &bad, nullptr),
            MOEC_ERROR_FAILED);
  EXPECT_NE(lastError().find("quant int8_w8a16 needs w2_scale"),
            std::string::npos)
      << lastError();
  bad = q;
  bad.group_n = bad.group_k = 16;
  EXPECT_EQ(moec_fused_moe_quant(jit, &th, &t13, &t2, &tw_, &ti, &to, nullptr,
                                 &bad, nullptr),
            MOEC_ERROR_FAILED);
  EXPECT_NE(lastError().find("are for fp8_w8a8, not quant int8_w8a16"),
            std::string::npos)
      << lastError();
  moec_tensor badScale = ts13;
  badScale.dtype = 42;
  bad = q;
  bad.w13_scale = &badScale;
  EXPECT_EQ(moec_fused_moe_quant(jit, &th, &t13, &t2, &tw_, &ti, &to, nullptr,
                                 &bad, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("quant->w13_scale has dtype 42"), std::string::npos)
      << lastError();
}

} // namespace
