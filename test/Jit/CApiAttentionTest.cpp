//===- CApiAttentionTest.cpp - moec_sparse_mla_decode through libmoec.so --===//
//
// The C entry point of sparse MLA decode on the host device: a call that
// runs (its lse finite where rows have valid indices, -inf where none),
// moec_last_variant naming the kernel and the config's source, the
// workspace size, and errors that name the argument.
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

moec_tensor describe(void *data, int32_t dtype, std::vector<int64_t> sizes) {
  moec_tensor t;
  std::memset(&t, 0, sizeof(t));
  t.data = data;
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(sizes.size());
  for (size_t d = 0; d < sizes.size(); ++d)
    t.sizes[d] = sizes[d];
  return t;
}

} // namespace

TEST(CApiSparseMla, DecodesAndSaysWhereTheConfigCameFrom) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() /
                 ("moec-capi-mla-" + std::to_string(::getpid()));
  moec_jit *jit = nullptr;
  ASSERT_EQ(moec_jit_create("host", dir.c_str(), &jit), MOEC_OK)
      << moec_last_error();
  const int64_t T = 2, H = 16, D = 64, DV = 32, P = 16, B = 2, K = 16;
  // bf16 ones: every score is equal, so out is the mean of the V rows.
  alignas(16) static uint16_t q[T * H * D], kv[B * P * D];
  for (uint16_t &x : q)
    x = 0x3f80; // 1.0
  for (size_t i = 0; i < B * P * D; ++i)
    kv[i] = i % D < 8 ? 0x4000 : 0x3f80; // 2.0 in the first 8 columns
  alignas(16) static int32_t idx[T * K];
  for (int64_t j = 0; j < K; ++j) {
    idx[j] = static_cast<int32_t>(j);
    idx[K + j] = -1; // token 1: nothing valid
  }
  alignas(16) static float out[T * H * DV], lse[T * H];
  moec_tensor tq = describe(q, MOEC_BF16, {T, H, D});
  moec_tensor tkv = describe(kv, MOEC_BF16, {B, P, D});
  moec_tensor ti = describe(idx, MOEC_I32, {T, K});
  moec_tensor to = describe(out, MOEC_F32, {T, H, DV});
  moec_tensor tl = describe(lse, MOEC_F32, {T, H});
  ASSERT_EQ(moec_sparse_mla_decode(jit, &tq, &tkv, &ti, &to, &tl, nullptr,
                                   nullptr),
            MOEC_OK)
      << moec_last_error();
  EXPECT_FLOAT_EQ(out[0], 2.0f);
  EXPECT_FLOAT_EQ(out[DV - 1], 1.0f);
  EXPECT_FLOAT_EQ(out[H * DV], 0.0f); // token 1
  // lse = log(K) + scale x (8 x 2 + 56): every score is 0.125 x 72 = 9.
  EXPECT_NEAR(lse[0], std::log(double(K)) + 9.0, 1e-3);
  EXPECT_TRUE(std::isinf(lse[H]) && lse[H] < 0);
  moec_variant_info info;
  ASSERT_EQ(moec_last_variant(&info, sizeof(info)), MOEC_OK);
  EXPECT_NE(std::string(info.kernel).find("sparse_attention"),
            std::string::npos)
      << info.kernel;
  EXPECT_EQ(info.config_source, MOEC_CONFIG_HEURISTIC);

  moec_sparse_mla_options opt;
  std::memset(&opt, 0, sizeof(opt));
  opt.config = "block_kv = 16";
  ASSERT_EQ(moec_sparse_mla_decode(jit, &tq, &tkv, &ti, &to, nullptr, &opt,
                                   nullptr),
            MOEC_OK)
      << moec_last_error();
  ASSERT_EQ(moec_last_variant(&info, sizeof(info)), MOEC_OK);
  EXPECT_EQ(info.config_source, MOEC_CONFIG_OVERRIDE);

  // One token leaves the host's threads idle: a split, in the caller's
  // workspace of the size the library names.
  moec_tensor q1 = describe(q, MOEC_BF16, {1, H, D});
  moec_tensor i1 = describe(idx, MOEC_I32, {1, K});
  moec_tensor o1 = describe(out, MOEC_F32, {1, H, DV});
  size_t bytes = 0;
  ASSERT_EQ(moec_sparse_mla_workspace_size(jit, &q1, &i1, DV, &bytes),
            MOEC_OK);
  std::vector<float> ws(bytes / 4 + 4);
  opt.config = "block_kv = 16, kv_splits = 4";
  opt.workspace = reinterpret_cast<void *>(
      (reinterpret_cast<uintptr_t>(ws.data()) + 15) / 16 * 16);
  opt.workspace_bytes = bytes;
  std::memset(out, 0xFF, sizeof(out));
  ASSERT_EQ(moec_sparse_mla_decode(jit, &q1, &tkv, &i1, &o1, nullptr, &opt,
                                   nullptr),
            MOEC_OK)
      << moec_last_error();
  EXPECT_FLOAT_EQ(out[0], 2.0f);
  EXPECT_FLOAT_EQ(out[DV - 1], 1.0f);

  moec_tensor badIdx = describe(idx, MOEC_F32, {T, K});
  EXPECT_EQ(moec_sparse_mla_decode(jit, &tq, &tkv, &badIdx, &to, nullptr,
                                   nullptr, nullptr),
            MOEC_ERROR_FAILED);
  EXPECT_NE(std::string(moec_last_error()).find("indices is f32; i32 expected"),
            std::string::npos)
      << moec_last_error();
  EXPECT_EQ(moec_sparse_mla_decode(nullptr, &tq, &tkv, &ti, &to, nullptr,
                                   nullptr, nullptr),
            MOEC_ERROR_INVALID_ARGUMENT);
  moec_jit_destroy(jit);
  fs::remove_all(dir);
}
