//===- JitTuningTest.cpp - the JIT with MOEC_TUNING_DB and MOEC_SHAPE_LOG -===//
//
// Its own binary: both variables are read once per process, so main() sets
// them (to a temporary directory) before any Jit exists. On the host device:
// a config file for one shape is what the JIT uses for it (config source =
// database, nearest M as vLLM does), a miss falls back to the heuristic and
// is reported once per shape, every distinct shape is logged once, and
// `moec tune --shapes` tunes the log the JIT wrote.
//
//===----------------------------------------------------------------------===//

#include "moec/Jit/Jit.h"
#include "moec/Tuning/ShapeLog.h"
#include "moec/Tuning/TuningDB.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

using namespace moec::jit;
namespace fs = std::filesystem;

namespace {

fs::path gDir; // the temporary directory main() made

std::string readFile(const fs::path &p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t countOf(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + 1))
    ++n;
  return n;
}

/// C (M x N, bf16) = A (M x K, bf16) x B^T (B: N x K, bf16), a linear layer;
/// A = 1, B = 0.5, so every element of C is K / 2 (exact in bf16 for K=64).
rt::Status linear(Jit &jit, int64_t m, int64_t n, int64_t k,
                  std::vector<uint16_t> *out = nullptr) {
  std::vector<uint16_t> a(m * k, 0x3F80), b(n * k, 0x3F00), c(m * n, 0);
  GemmOptions o;
  o.transposeB = true;
  rt::Status s = jit.gemm(Tensor::matrix(a.data(), DType::BF16, m, k),
                          Tensor::matrix(b.data(), DType::BF16, n, k),
                          Tensor::matrix(c.data(), DType::BF16, m, n), o);
  if (out)
    *out = std::move(c);
  return s;
}

TEST(JitTuning, DatabaseHitMissAndShapeLog) {
  auto made = Jit::create("host");
  ASSERT_TRUE(made.ok()) << made.message();
  Jit &jit = **made;
  // The file `moec tune` writes for N = 48, K = 64 on this device.
  std::string file = moec::tuning::configFileName(moec::tuning::gemmFileKey(
      48, 64, jit.device().name(), "bf16", "nt"));
  std::ofstream(gDir / "db" / file)
      << "{\n    \"100\": {\n        \"BLOCK_SIZE_M\": 16,\n"
         "        \"BLOCK_SIZE_N\": 32,\n        \"BLOCK_SIZE_K\": 16,\n"
         "        \"GROUP_SIZE_M\": 1,\n        \"num_warps\": 4,\n"
         "        \"num_stages\": 1,\n        \"time_us\": 1.5\n    }\n}\n";

  std::vector<uint16_t> c;
  ASSERT_TRUE(linear(jit, 100, 48, 64, &c).ok());
  EXPECT_EQ(c[0], 0x4200) << "32.0 in bf16";
  EXPECT_EQ(c.back(), 0x4200);
  VariantInfo hit = Jit::lastVariant();
  EXPECT_EQ(hit.configSource, ConfigSource::TuningDatabase);
  EXPECT_NE(hit.config.find("block_m = 16, block_n = 32, block_k = 16"),
            std::string::npos)
      << hit.config;
  // Another M takes the nearest entry (there is only one).
  ASSERT_TRUE(linear(jit, 300, 48, 64).ok());
  EXPECT_EQ(Jit::lastVariant().configSource, ConfigSource::TuningDatabase);
  EXPECT_EQ(Jit::lastVariant().keyHex, hit.keyHex)
      << "the same config is the same variant: nothing compiled again";

  // A shape without a file: the heuristic, and one report for the shape
  // however often it is asked for.
  testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(linear(jit, 100, 32, 64).ok());
    EXPECT_EQ(Jit::lastVariant().configSource, ConfigSource::Heuristic);
  }
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(countOf(err, "no tuned config for M=100"), 1u) << err;
  EXPECT_NE(err.find("N=32,K=64"), std::string::npos) << err;
  EXPECT_NE(err.find("using the heuristic config"), std::string::npos) << err;
  // MOEC_TUNE unset (0): nothing is tuned or written at run time.
  EXPECT_FALSE(fs::exists(gDir / "db" /
                          moec::tuning::configFileName(moec::tuning::gemmFileKey(
                              32, 64, jit.device().name(), "bf16", "nt"))));

  // Every distinct shape once, in the format `moec run` writes.
  ASSERT_TRUE(linear(jit, 100, 48, 64).ok());
  auto log = moec::tuning::readShapeLog((gDir / "shapes.jsonl").string());
  ASSERT_TRUE(bool(log)) << llvm::toString(log.takeError());
  ASSERT_EQ(log->size(), 3u) << readFile(gDir / "shapes.jsonl");
  const moec::tuning::ShapeRecord &r = log->front();
  EXPECT_EQ(r.op, "gemm");
  EXPECT_EQ(r.dim("M"), 100);
  EXPECT_EQ(r.dim("N"), 48);
  EXPECT_EQ(r.dim("K"), 64);
  EXPECT_EQ(r.dtypes, (std::vector<std::string>{"bf16", "bf16", "bf16"}));
  EXPECT_EQ(r.attr("layout"), "nt");
  EXPECT_EQ(r.target, "host");
  EXPECT_EQ(r.device, jit.device().name());
  EXPECT_EQ(log->back().dim("N"), 32);
}

TEST(JitTuning, MoecTuneTunesTheLogTheJitWrote) {
  // Runs after the test above (same binary, same log). `moec tune --shapes`
  // reads the JIT's records; the bf16 "nt" benchmark kernel matches them.
  fs::path out = gDir / "tuned";
  std::string cmd = std::string("\"") + MOEC_TOOL + "\" tune \"" +
                    MOEC_SOURCE_DIR + "/benchmarks/gemm_bf16_nk.mlir\" "
                    "--arch host --shapes \"" +
                    (gDir / "shapes.jsonl").string() + "\" -o \"" +
                    out.string() +
                    "\" --space small --jobs 1 --warmup 1 --repeat 2 "
                    "--quiet > \"" +
                    (gDir / "tune.txt").string() + "\" 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << readFile(gDir / "tune.txt");
  std::string text = readFile(gDir / "tune.txt");
  EXPECT_NE(text.find("M=100 N=48 K=64"), std::string::npos) << text;
  EXPECT_NE(text.find("M=300 N=48 K=64"), std::string::npos) << text;
  EXPECT_NE(text.find("M=100 N=32 K=64"), std::string::npos) << text;
  EXPECT_NE(text.find("tuned 3 shape(s)"), std::string::npos) << text;
  size_t files = 0;
  for (const auto &e : fs::directory_iterator(out))
    files += e.path().extension() == ".json";
  EXPECT_EQ(files, 2u) << "one file per (N, K)";
}

TEST(JitTuning, OnlineTuningRecordsTheShape) {
  // After the tests above (the shape log holds their shapes already).
  ::setenv("MOEC_TUNE", "1", 1);
  auto made = Jit::create("host");
  ::unsetenv("MOEC_TUNE");
  ASSERT_TRUE(made.ok()) << made.message();
  fs::path file = gDir / "db" /
                  moec::tuning::configFileName(moec::tuning::gemmFileKey(
                      80, 64, (*made)->device().name(), "bf16", "nt"));
  ASSERT_FALSE(fs::exists(file));
  std::vector<uint16_t> c;
  testing::internal::CaptureStderr();
  ASSERT_TRUE(linear(**made, 24, 80, 64, &c).ok());
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("a config tuned now (MOEC_TUNE=1)"), std::string::npos)
      << err;
  // The caller's result is right after the candidates' launches.
  EXPECT_EQ(c[0], 0x4200);
  EXPECT_EQ(c.back(), 0x4200);
  VariantInfo tuned = Jit::lastVariant();
  EXPECT_EQ(tuned.configSource, ConfigSource::TuningDatabase);
  ASSERT_TRUE(fs::exists(file)) << "recorded in the first MOEC_TUNING_DB dir";
  auto cf = moec::tuning::readConfigFile(file.string());
  ASSERT_TRUE(bool(cf)) << llvm::toString(cf.takeError());
  const moec::tuning::TuningEntry *e = cf->find(24);
  ASSERT_NE(e, nullptr) << moec::tuning::printConfigFile(*cf);
  EXPECT_TRUE(e->getNumber("time_us").has_value());
  // A new Jit without MOEC_TUNE reads the recorded entry: the same config.
  auto again = Jit::create("host");
  ASSERT_TRUE(again.ok()) << again.message();
  ASSERT_TRUE(linear(**again, 24, 80, 64).ok());
  EXPECT_EQ(Jit::lastVariant().configSource, ConfigSource::TuningDatabase);
  EXPECT_EQ(Jit::lastVariant().config, tuned.config);
}

/// fused_moe on bf16 zeros/ones (E experts, H = 32, I = 16, top_k 2).
rt::Status fusedMoe(Jit &jit, int64_t tokens, int64_t experts) {
  const int64_t H = 32, I = 16, K = 2;
  auto aligned = [](std::vector<uint32_t> &v) { return v.data(); };
  std::vector<uint32_t> x(tokens * H / 2 + 4, 0x3F803F80u),
      w13(experts * 2 * I * H / 2, 0x3F003F00u), w2(experts * H * I / 2, 0),
      tw(tokens * K + 4, 0x3F800000u), ids(tokens * K + 4, 0),
      out(tokens * H / 2 + 4, 0);
  auto t = [&](std::vector<uint32_t> &v, DType d,
               std::initializer_list<int64_t> sizes) {
    Tensor r;
    r.data = aligned(v);
    r.dtype = d;
    r.rank = static_cast<int>(sizes.size());
    int i = 0;
    for (int64_t s : sizes)
      r.sizes[i++] = s;
    return r;
  };
  return jit.fusedMoe(t(x, DType::BF16, {tokens, H}),
                      t(w13, DType::BF16, {experts, 2 * I, H}),
                      t(w2, DType::BF16, {experts, H, I}),
                      t(tw, DType::F32, {tokens, K}),
                      t(ids, DType::I32, {tokens, K}),
                      t(out, DType::BF16, {tokens, H}));
}

TEST(JitTuning, FusedMoeTakesTheVllmFileNearestM) {
  auto made = Jit::create("host");
  ASSERT_TRUE(made.ok()) << made.message();
  Jit &jit = **made;
  // vLLM's file for E = 8, N = I = 16 on this device (what `moec tune --op
  // moe` writes), keys = token counts.
  std::string file = moec::tuning::configFileName(
      moec::tuning::moeFileKey(8, 16, jit.device().name(), ""));
  std::ofstream(gDir / "db" / file)
      << "{\n    \"1\": {\n        \"BLOCK_SIZE_M\": 16,\n"
         "        \"BLOCK_SIZE_N\": 32,\n        \"BLOCK_SIZE_K\": 16,\n"
         "        \"GROUP_SIZE_M\": 1,\n        \"num_warps\": 4,\n"
         "        \"num_stages\": 1\n    },\n"
         "    \"64\": {\n        \"BLOCK_SIZE_M\": 32,\n"
         "        \"BLOCK_SIZE_N\": 64,\n        \"BLOCK_SIZE_K\": 32,\n"
         "        \"GROUP_SIZE_M\": 1,\n        \"num_warps\": 4,\n"
         "        \"num_stages\": 1\n    }\n}\n";
  ASSERT_TRUE(fusedMoe(jit, 3, 8).ok());
  VariantInfo v = Jit::lastVariant();
  EXPECT_EQ(v.configSource, ConfigSource::TuningDatabase) << v.config;
  EXPECT_NE(v.config.find("w13 #moec.config<block_m = 16, block_n = 32, "
                          "block_k = 16"),
            std::string::npos)
      << v.config;
  EXPECT_NE(v.config.find("(tuning database); w2 #moec.config<block_m = 16"),
            std::string::npos)
      << v.config;
  ASSERT_TRUE(fusedMoe(jit, 50, 8).ok()); // nearest: 64
  v = Jit::lastVariant();
  EXPECT_NE(v.config.find("w13 #moec.config<block_m = 32, group_m = 1"),
            std::string::npos)
      << v.config;
  // No file for E = 4: the heuristic, and the miss said once on stderr.
  testing::internal::CaptureStderr();
  ASSERT_TRUE(fusedMoe(jit, 3, 4).ok());
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Jit::lastVariant().configSource, ConfigSource::Heuristic);
  EXPECT_NE(err.find("E=4,N=16"), std::string::npos) << err;
}

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::string tmpl =
      (fs::temp_directory_path() / "moec-jit-tuning-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    return 1;
  gDir = tmpl;
  fs::create_directories(gDir / "db");
  ::setenv("MOEC_TUNING_DB", (gDir / "db").c_str(), 1);
  ::setenv("MOEC_SHAPE_LOG", (gDir / "shapes.jsonl").c_str(), 1);
  ::setenv("MOEC_CACHE_DIR", (gDir / "cache").c_str(), 1);
  int rc = RUN_ALL_TESTS();
  std::error_code ec;
  fs::remove_all(gDir, ec);
  return rc;
}
