//===- JitAttentionTest.cpp - Jit::sparseMlaDecode on the host device -----===//
//
// Sparse MLA decode through the C++ JIT API against a float64 reference:
// random index rows with -1 holes, an all -1 row (zeros, lse = -inf),
// duplicated rows, batch 1 (split-KV where the host has more than one
// thread) and larger; where the config came from (the per-shape table, a
// tuning database file, the caller's override) as lastVariant() reports it;
// a new token count with the same config compiles nothing; the errors a
// caller can provoke.
//
//===----------------------------------------------------------------------===//

#include "moec/Jit/Jit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

using namespace moec::jit;
namespace fs = std::filesystem;

namespace {

/// 16-byte aligned storage of n elements (bf16, f32 or i32).
struct Buf {
  DType dtype;
  std::vector<uint8_t> bytes;
  explicit Buf(size_t n, DType dtype) : dtype(dtype), bytes(n * 4 + 16) {}
  void *data() {
    auto p = reinterpret_cast<uintptr_t>(bytes.data());
    return reinterpret_cast<void *>((p + 15) / 16 * 16);
  }
  /// Stores v (rounded to the dtype); returns the stored value.
  double set(size_t i, double v) {
    char *d = static_cast<char *>(data());
    if (dtype == DType::I32) {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(d + 4 * i, &x, 4);
      return x;
    }
    float f = static_cast<float>(v);
    if (dtype == DType::F32) {
      std::memcpy(d + 4 * i, &f, 4);
      return f;
    }
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000u;
    uint16_t h = static_cast<uint16_t>(u >> 16);
    std::memcpy(d + 2 * i, &h, 2);
    std::memcpy(&f, &u, 4);
    return f;
  }
  double get(size_t i) {
    char *d = static_cast<char *>(data());
    float f;
    if (dtype == DType::F32) {
      std::memcpy(&f, d + 4 * i, 4);
      return f;
    }
    uint16_t h;
    std::memcpy(&h, d + 2 * i, 2);
    uint32_t u = static_cast<uint32_t>(h) << 16;
    std::memcpy(&f, &u, 4);
    return f;
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

struct Problem {
  int64_t tokens, hQ = 16, dQK = 64, dV = 32, page = 16, blocks = 8,
                  topk = 48;
};

/// Runs one call on fresh random inputs and checks out and lse against
/// float64; the message of the first problem, empty when it matches.
std::string runAndCheck(Jit &jit, const Problem &p, uint64_t seed,
                        const SparseMlaOptions &opt = {}) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(-1, 1);
  int64_t rows = p.blocks * p.page;
  Buf q(p.tokens * p.hQ * p.dQK, DType::BF16), kv(rows * p.dQK, DType::BF16);
  Buf idx(p.tokens * p.topk, DType::I32);
  Buf out(p.tokens * p.hQ * p.dV, DType::F32), lse(p.tokens * p.hQ, DType::F32);
  std::vector<double> qv(q.bytes.size()), kvv(kv.bytes.size());
  for (int64_t i = 0; i < p.tokens * p.hQ * p.dQK; ++i)
    qv[i] = q.set(i, uni(rng));
  for (int64_t i = 0; i < rows * p.dQK; ++i)
    kvv[i] = kv.set(i, uni(rng));
  std::vector<int32_t> iv(p.tokens * p.topk);
  for (int64_t t = 0; t < p.tokens; ++t)
    for (int64_t j = 0; j < p.topk; ++j) {
      int32_t r = static_cast<int32_t>(rng() % rows);
      if (t == 1)
        r = -1; // a row with nothing valid
      else if (rng() % 8 == 0)
        r = -1;
      else if (t == 2)
        r = static_cast<int32_t>(rng() % 3); // duplicates
      iv[t * p.topk + j] = r;
      idx.set(t * p.topk + j, r);
    }
  std::memset(out.data(), 0xFF, p.tokens * p.hQ * p.dV * 4);
  std::memset(lse.data(), 0xFF, p.tokens * p.hQ * 4);
  Tensor tq = tensor(q, {p.tokens, p.hQ, p.dQK});
  Tensor tkv = tensor(kv, {p.blocks, p.page, p.dQK});
  Tensor ti = tensor(idx, {p.tokens, p.topk});
  Tensor to = tensor(out, {p.tokens, p.hQ, p.dV});
  Tensor tl = tensor(lse, {p.tokens, p.hQ});
  rt::Status s = jit.sparseMlaDecode(tq, tkv, ti, to, &tl, opt, nullptr);
  if (!s.ok())
    return s.message();
  double scale = opt.scale ? *opt.scale : float(1.0 / std::sqrt(double(p.dQK)));
  double maxErr = 0, maxRef = 0;
  for (int64_t t = 0; t < p.tokens; ++t)
    for (int64_t h = 0; h < p.hQ; ++h) {
      std::vector<double> sc, o(p.dV, 0.0);
      std::vector<int64_t> rs;
      for (int64_t j = 0; j < p.topk; ++j) {
        int32_t r = iv[t * p.topk + j];
        if (r < 0)
          continue;
        double d = 0;
        for (int64_t c = 0; c < p.dQK; ++c)
          d += qv[(t * p.hQ + h) * p.dQK + c] * kvv[r * p.dQK + c];
        sc.push_back(scale * d);
        rs.push_back(r);
      }
      double refLse = -std::numeric_limits<double>::infinity();
      if (!sc.empty()) {
        double m = *std::max_element(sc.begin(), sc.end()), l = 0;
        for (size_t i = 0; i < sc.size(); ++i) {
          double w = std::exp(sc[i] - m);
          l += w;
          for (int64_t c = 0; c < p.dV; ++c)
            o[c] += w * kvv[rs[i] * p.dQK + c];
        }
        for (double &x : o)
          x /= l;
        refLse = m + std::log(l);
      }
      for (int64_t c = 0; c < p.dV; ++c) {
        double got = out.get((t * p.hQ + h) * p.dV + c);
        if (!std::isfinite(got))
          return "out[" + std::to_string(t) + "] is not finite";
        maxErr = std::max(maxErr, std::abs(got - o[c]));
        maxRef = std::max(maxRef, std::abs(o[c]));
      }
      double gotLse = lse.get(t * p.hQ + h);
      if (std::isinf(refLse) ? !(std::isinf(gotLse) && gotLse < 0)
                             : std::abs(gotLse - refLse) > 1e-4)
        return "lse[" + std::to_string(t) + ", " + std::to_string(h) +
               "] = " + std::to_string(gotLse) + ", expected " +
               std::to_string(refLse);
    }
  if (maxErr > maxRef / 64)
    return "max error " + std::to_string(maxErr) + " of " +
           std::to_string(maxRef);
  return {};
}

class JitAttention : public ::testing::Test {
protected:
  void SetUp() override {
    cacheDir = fs::temp_directory_path() /
               ("moec-jit-attn-" + std::to_string(::getpid()));
    fs::remove_all(cacheDir);
    JitOptions o;
    o.cache.directory = cacheDir.string();
    auto j = Jit::create("host", o);
    ASSERT_TRUE(j.ok()) << j.message();
    jit = std::move(*j);
    jit->setSparseMlaTuningDirs({}); // no $MOEC_TUNING_DB here
  }
  void TearDown() override { fs::remove_all(cacheDir); }
  fs::path cacheDir;
  std::unique_ptr<Jit> jit;
};

} // namespace

TEST_F(JitAttention, MatchesTheReferenceAndSaysTheTableRowWasUsed) {
  for (int64_t tokens : {1, 3, 9}) {
    EXPECT_EQ(runAndCheck(*jit, Problem{tokens}, 100 + tokens), "")
        << "tokens " << tokens;
    const VariantInfo &v = Jit::lastVariant();
    EXPECT_EQ(v.configSource, ConfigSource::Heuristic) << v.config;
    EXPECT_NE(v.kernel.find("sparse_attention"), std::string::npos)
        << v.kernel;
  }
  // The host's rows: the ramp (kv_splits 16) below 128 tokens, the
  // saturated row above: two configs, two variants.
  size_t before = jit->variantCount();
  EXPECT_EQ(runAndCheck(*jit, Problem{130}, 7), "");
  EXPECT_EQ(jit->variantCount(), before + 1);
  EXPECT_EQ(Jit::lastVariant().config.find("kv_splits"), std::string::npos)
      << Jit::lastVariant().config;
  // Another token count with a config already made: nothing compiled.
  before = jit->variantCount();
  EXPECT_EQ(runAndCheck(*jit, Problem{5}, 8), "");
  EXPECT_EQ(jit->variantCount(), before);
  EXPECT_EQ(Jit::lastVariant().cacheSource, CacheSource::Memory);
}

TEST_F(JitAttention, TheOverrideAndTheDatabaseAreSaid) {
  SparseMlaOptions o;
  o.config = "block_kv = 16, num_stages = 1, kv_splits = 3";
  o.scale = 0.125f;
  EXPECT_EQ(runAndCheck(*jit, Problem{2}, 11, o), "");
  EXPECT_EQ(Jit::lastVariant().configSource, ConfigSource::Override);
  EXPECT_NE(Jit::lastVariant().config.find("block_kv = 16"), std::string::npos)
      << Jit::lastVariant().config;

  // A database file for this shape: the tuned entry at the nearest tokens.
  fs::path db = cacheDir / "db";
  fs::create_directories(db);
  std::string name = "op=sparse_mla,h_q=16,topk=48,d_qk=64,d_v=32,"
                     "device_name=" +
                     [&] {
                       std::string n = jit->device().name();
                       for (char &c : n)
                         if (c == ' ')
                           c = '_';
                       return n;
                     }() +
                     ",dtype=bf16.json";
  std::ofstream(db / name) << "{\n    \"4\": {\n        \"num_warps\": 4,\n"
                              "        \"num_stages\": 1,\n        \"block_h\": "
                              "16,\n        \"block_kv\": 32,\n        "
                              "\"kv_splits\": 2\n    }\n}\n";
  jit->setSparseMlaTuningDirs({db.string()});
  EXPECT_EQ(runAndCheck(*jit, Problem{3}, 12), "");
  EXPECT_EQ(Jit::lastVariant().configSource, ConfigSource::TuningDatabase);
  EXPECT_NE(Jit::lastVariant().config.find("kv_splits = 2"), std::string::npos)
      << Jit::lastVariant().config;
  // h_q 32 has no file: the table.
  Problem p32{3};
  p32.hQ = 32;
  EXPECT_EQ(runAndCheck(*jit, p32, 13), "");
  EXPECT_EQ(Jit::lastVariant().configSource, ConfigSource::Heuristic);
}

TEST_F(JitAttention, ErrorsNameTheArgument) {
  Buf q(2 * 16 * 64, DType::BF16), kv(8 * 16 * 64, DType::BF16),
      idx(2 * 48, DType::I32), out(2 * 16 * 32, DType::F32);
  Tensor tq = tensor(q, {2, 16, 64}), tkv = tensor(kv, {8, 16, 64}),
         ti = tensor(idx, {2, 48}), to = tensor(out, {2, 16, 32});
  Tensor badKv = tensor(kv, {8, 16, 32});
  auto s = jit->sparseMlaDecode(tq, badKv, ti, to);
  EXPECT_NE(s.message().find("kv_cache must be [blocks, page_size, d_qk = 64]"),
            std::string::npos)
      << s.message();
  Tensor fIdx = ti;
  fIdx.dtype = DType::F32;
  s = jit->sparseMlaDecode(tq, tkv, fIdx, to);
  EXPECT_NE(s.message().find("indices is f32; i32 expected"), std::string::npos)
      << s.message();
  Tensor badOut = tensor(out, {2, 8, 32});
  s = jit->sparseMlaDecode(tq, tkv, ti, badOut);
  EXPECT_NE(s.message().find("out must be [tokens = 2, h_q = 16"),
            std::string::npos)
      << s.message();
  // The layout rules every entry point shares (checkLayouts).
  Tensor stridedQ = tq; // tokens and heads swapped, inside the same buffer
  stridedQ.strides[0] = 64;
  stridedQ.strides[1] = 2 * 64;
  stridedQ.strides[2] = 1;
  s = jit->sparseMlaDecode(stridedQ, tkv, ti, to);
  EXPECT_NE(s.message().find("sparse_mla_decode: q [2, 16, 64] is not "
                             "row-major contiguous"),
            std::string::npos)
      << s.message();
  Tensor shiftedOut = to;
  shiftedOut.data = static_cast<char *>(shiftedOut.data) + 4;
  s = jit->sparseMlaDecode(tq, tkv, ti, shiftedOut);
  EXPECT_NE(s.message().find("sparse_mla_decode: out at"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("is not 16-byte aligned"), std::string::npos)
      << s.message();
  SparseMlaOptions o;
  o.config = "block_h = 48";
  s = jit->sparseMlaDecode(tq, tkv, ti, to, nullptr, o);
  EXPECT_NE(s.message().find("block_h"), std::string::npos) << s.message();
  EXPECT_FALSE(s.ok());
}

TEST_F(JitAttention, TheCallersWorkspace) {
  if (std::thread::hardware_concurrency() < 2)
    GTEST_SKIP() << "one host thread: batch 1 fills the device, no split";
  // Batch 1 splits (it leaves host threads idle): in the caller's workspace
  // of the size sparseMlaWorkspaceBytes names.
  Problem p{1};
  Buf q(p.hQ * p.dQK, DType::BF16), idx(p.topk, DType::I32);
  auto bytes = jit->sparseMlaWorkspaceBytes(tensor(q, {1, p.hQ, p.dQK}),
                                            tensor(idx, {1, p.topk}), p.dV);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  ASSERT_GT(*bytes, 0u);
  std::vector<uint8_t> ws(*bytes + 16);
  SparseMlaOptions o;
  o.config = "block_kv = 16, kv_splits = 4";
  o.workspace = reinterpret_cast<void *>(
      (reinterpret_cast<uintptr_t>(ws.data()) + 15) / 16 * 16);
  o.workspaceBytes = *bytes;
  EXPECT_EQ(runAndCheck(*jit, p, 21, o), "");
  // Too small: refused, naming the size it needs.
  o.workspaceBytes = 16;
  std::string err = runAndCheck(*jit, p, 22, o);
  EXPECT_NE(err.find("the workspace has 16 bytes"), std::string::npos) << err;
}

namespace {

/// OCP e4m3fn code -> value (bias 7, subnormals M 2^-9, S.1111.111 NaN).
double e4m3(uint8_t code) {
  int e = (code >> 3) & 15, m = code & 7;
  if (e == 15 && m == 7)
    return std::numeric_limits<double>::quiet_NaN();
  double v = e ? std::ldexp(1.0 + m / 8.0, e - 7) : std::ldexp(m, -9);
  return code & 0x80 ? -v : v;
}

/// x rounded to bf16 (nearest even), as a double.
double bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000u;
  std::memcpy(&x, &u, 4);
  return x;
}

} // namespace

// DeepSeek-V3.2's fp8 cache as an i8 [blocks, page, 656] tensor (kv_format
// fp8_ds_mla): against float64 over K = bf16(code x scale) and the bf16
// rope; a bf16 cache's shape check and the fp8 rules name the argument.
TEST_F(JitAttention, Fp8DsMlaCache) {
  const int64_t tokens = 3, hQ = 16, page = 16, blocks = 4, topk = 40,
                rows = blocks * page;
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> uni(-1, 1);
  Buf q(tokens * hQ * 576, DType::BF16), idx(tokens * topk, DType::I32);
  Buf out(tokens * hQ * 512, DType::BF16), lse(tokens * hQ, DType::F32);
  Buf kv(rows * 656 / 4 + 1, DType::I8);
  auto *bytes = static_cast<uint8_t *>(kv.data());
  std::vector<double> qv(tokens * hQ * 576), kvv(rows * 576);
  for (size_t i = 0; i < qv.size(); ++i)
    qv[i] = q.set(i, uni(rng));
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t *row = bytes + r * 656;
    float scales[4];
    for (float &s : scales)
      s = static_cast<float>(std::exp2(uni(rng)) / 448.0);
    std::memcpy(row + 512, scales, 16);
    for (int64_t c = 0; c < 512; ++c) {
      uint8_t code = static_cast<uint8_t>(rng());
      if ((code & 0x7f) == 0x7f)
        code ^= 1;
      row[c] = code;
      kvv[r * 576 + c] =
          bf16(static_cast<float>(e4m3(code) * double(scales[c / 128])));
    }
    for (int64_t c = 0; c < 64; ++c) {
      float f = static_cast<float>(bf16(static_cast<float>(uni(rng))));
      uint32_t u;
      std::memcpy(&u, &f, 4);
      uint16_t h = static_cast<uint16_t>(u >> 16);
      std::memcpy(row + 528 + 2 * c, &h, 2);
      kvv[r * 576 + 512 + c] = f;
    }
  }
  std::vector<int32_t> iv(tokens * topk);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t j = 0; j < topk; ++j) {
      int32_t r = t == 1 || rng() % 8 == 0 ? -1
                                           : static_cast<int32_t>(rng() % rows);
      iv[t * topk + j] = r;
      idx.set(t * topk + j, r);
    }
  std::memset(out.data(), 0xFF, tokens * hQ * 512 * 2);
  Tensor tq = tensor(q, {tokens, hQ, 576}), tkv = tensor(kv, {blocks, page, 656});
  Tensor ti = tensor(idx, {tokens, topk}), to = tensor(out, {tokens, hQ, 512});
  Tensor tl = tensor(lse, {tokens, hQ});
  rt::Status s = jit->sparseMlaDecode(tq, tkv, ti, to, &tl);
  ASSERT_TRUE(s.ok()) << s.message();
  const double scale = float(1.0 / std::sqrt(576.0));
  double maxErr = 0, maxRef = 0;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t h = 0; h < hQ; ++h) {
      std::vector<double> sc, o(512, 0.0);
      std::vector<int64_t> rs;
      for (int64_t j = 0; j < topk; ++j) {
        int32_t r = iv[t * topk + j];
        if (r < 0)
          continue;
        double d = 0;
        for (int64_t c = 0; c < 576; ++c)
          d += qv[(t * hQ + h) * 576 + c] * kvv[r * 576 + c];
        sc.push_back(scale * d);
        rs.push_back(r);
      }
      double refLse = -std::numeric_limits<double>::infinity();
      if (!sc.empty()) {
        double m = *std::max_element(sc.begin(), sc.end()), l = 0;
        for (size_t i = 0; i < sc.size(); ++i) {
          double w = std::exp(sc[i] - m);
          l += w;
          for (int64_t c = 0; c < 512; ++c)
            o[c] += w * kvv[rs[i] * 576 + c];
        }
        for (double &x : o)
          x /= l;
        refLse = m + std::log(l);
      }
      for (int64_t c = 0; c < 512; ++c) {
        double got = out.get((t * hQ + h) * 512 + c);
        ASSERT_TRUE(std::isfinite(got)) << "out[" << t << ", " << h << "]";
        maxErr = std::max(maxErr, std::abs(got - o[c]));
        maxRef = std::max(maxRef, std::abs(o[c]));
      }
      double gotLse = lse.get(t * hQ + h);
      if (std::isinf(refLse))
        EXPECT_TRUE(std::isinf(gotLse) && gotLse < 0) << gotLse;
      else
        EXPECT_NEAR(gotLse, refLse, 1e-4) << "lse[" << t << ", " << h << "]";
    }
  EXPECT_GT(maxRef, 0.0);
  EXPECT_LE(maxErr, maxRef / 64) << maxErr << " of " << maxRef;
  EXPECT_NE(Jit::lastVariant().kernel.find("sparse_attention"),
            std::string::npos);

  // The rules name what is wrong.
  Tensor shortRows = tensor(kv, {blocks, page, 576});
  s = jit->sparseMlaDecode(tq, shortRows, ti, to);
  EXPECT_NE(s.message().find("656 bytes (fp8_ds_mla)"), std::string::npos)
      << s.message();
  Buf q64(tokens * hQ * 64, DType::BF16);
  s = jit->sparseMlaDecode(tensor(q64, {tokens, hQ, 64}), tkv, ti, to);
  EXPECT_NE(s.message().find("takes a bf16 q [tokens, h_q, 576]"),
            std::string::npos)
      << s.message();
  Buf out32(tokens * hQ * 32, DType::BF16);
  s = jit->sparseMlaDecode(tq, tkv, ti, tensor(out32, {tokens, hQ, 32}));
  EXPECT_NE(s.message().find("out [tokens, h_q, 512]"), std::string::npos)
      << s.message();
}
