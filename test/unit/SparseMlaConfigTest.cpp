//===- SparseMlaConfigTest.cpp - the per-shape sparse MLA config table ----===//
//
// lib/Tuning/SparseMlaConfigs.def and its lookup: every row verifies as a
// `moec.sparse_attention` config on its target(s) (d_qk 576, d_v 512, bf16,
// with a split-KV workspace); lookups land on the ramp rows (split-KV) for
// small batches and on the saturated rows (no split) for large ones, per
// target; every shape of every target finds a row; the tuning database
// wins over the table when it has a file for the shape.
//
//===----------------------------------------------------------------------===//

#include "TextModule.h"

#include "moec/Dialect/MoecDialect.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Tools/Registration.h"
#include "moec/Tuning/ConfigMapping.h"
#include "moec/Tuning/SparseMlaConfig.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

using namespace mlir;
using namespace moec;
using namespace moec::tuning;

namespace {

/// Verifies `c` on a sparse_attention of `hQ` heads for `chip`; the
/// diagnostics, empty when it verifies.
std::string verifyOn(llvm::StringRef chip, int64_t hQ, const Candidate &c) {
  std::string text = fmt::format(
      R"(module attributes {{moec.target = #moec.target<"{1}">}} {{
  func.func @mla(%q: memref<?x{0}x576xbf16>, %kv: memref<?x64x576xbf16>,
                 %idx: memref<?x2048xi32>, %out: memref<?x{0}x512xbf16>,
                 %lse: memref<?x{0}xf32>, %ws: memref<?x?x513xf32>) {{
    moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x{0}xf32>)
        workspace(%ws : memref<?x?x513xf32>) {{
      scale = 0.0721687836 : f32, config = #moec.config<>
    }} : memref<?x{0}x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32>
        -> memref<?x{0}x512xbf16>
    return
  }}
}})",
      hQ, chip.str());
  test::TextModule m(text, /*verify=*/false);
  if (!m.module)
    return "parse: " + m.diagnostics;
  if (failed(applyCandidate(*m.module, c)) || failed(verify(*m.module)))
    return m.diagnostics.empty() ? std::string("failed") : m.diagnostics;
  return {};
}

} // namespace

TEST(SparseMlaConfig, EveryRowVerifiesOnItsTargets) {
  int checked = 0;
  for (const SparseMlaTableRow &r : sparseMlaTable()) {
    std::vector<std::string> chips;
    if (llvm::StringRef(r.target) == "*")
      for (const TargetInfo &t : allTargets())
        chips.push_back(t.chip.str());
    else
      chips.push_back(r.target);
    // The head counts of the row's range among 16, 32, 64, 128.
    for (int64_t hQ : {16, 32, 64, 128}) {
      if ((r.hQMin >= 0 && hQ < r.hQMin) || (r.hQMax >= 0 && hQ > r.hQMax))
        continue;
      for (const std::string &chip : chips) {
        ASSERT_NE(lookupTarget(chip), nullptr) << "row " << r.index;
        std::string why = verifyOn(chip, hQ, r.candidate());
        EXPECT_EQ(why, "") << "row " << r.index << " (" << r.describe()
                           << ") on " << chip << " h_q " << hQ;
        ++checked;
      }
    }
    // The regime and kv_splits agree: the ramp splits, saturation does not.
    EXPECT_EQ(llvm::StringRef(r.regime) == "ramp", r.kvSplits > 1)
        << "row " << r.index << ": " << r.describe();
    EXPECT_TRUE(llvm::StringRef(r.regime) == "ramp" ||
                llvm::StringRef(r.regime) == "saturated")
        << r.regime;
  }
  EXPECT_GT(checked, 20);
}

TEST(SparseMlaConfig, LookupPicksTheRampAndTheSaturatedRows) {
  // H100: h_q 16 (one head group a token) splits below 132 tokens.
  const SparseMlaTableRow &h16b1 = lookupSparseMlaTable("sm_90", {1, 16, 2048});
  EXPECT_STREQ(h16b1.target, "sm_90");
  EXPECT_STREQ(h16b1.regime, "ramp");
  EXPECT_GT(h16b1.kvSplits, 1);
  EXPECT_EQ(h16b1.blockH, 16);
  const SparseMlaTableRow &h16b64 =
      lookupSparseMlaTable("sm_90", {64, 16, 2048});
  EXPECT_STREQ(h16b64.regime, "ramp");
  const SparseMlaTableRow &h16b1024 =
      lookupSparseMlaTable("sm_90", {1024, 16, 2048});
  EXPECT_STREQ(h16b1024.regime, "saturated");
  EXPECT_EQ(h16b1024.kvSplits, 1);
  // h_q 128 has its own rows.
  const SparseMlaTableRow &h128b8 =
      lookupSparseMlaTable("sm_90", {8, 128, 2048});
  EXPECT_STREQ(h128b8.regime, "ramp");
  EXPECT_GE(h128b8.blockH, 16);
  EXPECT_NE(h128b8.index, h16b1.index);
  EXPECT_STREQ(lookupSparseMlaTable("sm_90", {1024, 128, 2048}).regime,
               "saturated");
  // An unknown token count: the saturated row of the target.
  const SparseMlaTableRow &unknown =
      lookupSparseMlaTable("sm_90", {-1, 16, 2048});
  EXPECT_EQ(unknown.index, h16b1024.index);
  // gfx942 rows are gfx942's own (block_h 16: Q in 64 KiB of LDS).
  const SparseMlaTableRow &amd = lookupSparseMlaTable("gfx942", {1, 128, 2048});
  EXPECT_STREQ(amd.target, "gfx942");
  EXPECT_STREQ(amd.regime, "ramp");
  EXPECT_EQ(amd.blockH, 16);
  EXPECT_STREQ(lookupSparseMlaTable("gfx942", {4096, 128, 2048}).regime,
               "saturated");
  // Targets without rows of their own take the "*" rows.
  EXPECT_STREQ(lookupSparseMlaTable("gfx950", {1, 16, 2048}).target, "*");
  EXPECT_STREQ(lookupSparseMlaTable("host", {4096, 16, 2048}).regime,
               "saturated");
}

TEST(SparseMlaConfig, EveryShapeOfEveryTargetFindsARow) {
  for (const TargetInfo &t : allTargets())
    for (int64_t hQ : {1, 8, 16, 32, 64, 128, 256})
      for (int64_t topk : {1, 512, 2048, 4096})
        for (int64_t tokens : {-1, 0, 1, 7, 8, 9, 64, 131, 132, 300, 4096}) {
          const SparseMlaTableRow &r =
              lookupSparseMlaTable(t.chip, {tokens, hQ, topk});
          EXPECT_TRUE(t.chip == r.target || llvm::StringRef(r.target) == "*")
              << t.chip.str();
          bool inRange = tokens < 0 ? r.tokensMax < 0
                                    : (r.tokensMin < 0 || tokens >= r.tokensMin) &&
                                          (r.tokensMax < 0 || tokens <= r.tokensMax);
          EXPECT_TRUE(inRange) << t.chip.str() << " tokens " << tokens
                               << " -> row " << r.index << " " << r.describe();
        }
}

TEST(SparseMlaConfig, TheDatabaseWinsOverTheTable) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("moec-mla-db", dir));
  ConfigFileKey key =
      sparseMlaFileKey(16, 2048, 576, 512, "NVIDIA H100 80GB HBM3", "bf16");
  EXPECT_EQ(configFileName(key),
            "op=sparse_mla,h_q=16,topk=2048,d_qk=576,d_v=512,device_name="
            "NVIDIA_H100_80GB_HBM3,dtype=bf16.json");
  auto parsed = parseConfigFileName(configFileName(key));
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(*parsed == key);
  Candidate tuned;
  tuned.blockH = 32, tuned.blockKV = 64, tuned.numWarps = 8;
  tuned.numStages = 3, tuned.kvSplits = 8;
  ConfigFile file;
  TuningEntry e = toEntry(tuned, TargetFamily::NVIDIA, EntryFlavor::Attention);
  EXPECT_EQ(e.str(), R"({"block_h": 32, "block_kv": 64, "num_warps": 8, "num_stages": 3, "kv_splits": 8, "async_copy": false})");
  file.put(8, e);
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, configFileName(key));
  ASSERT_FALSE(bool(writeConfigFile(path, file)));

  TuningDB db({std::string(dir)});
  std::vector<std::string> said;
  db.setLogSink([&](llvm::StringRef m) { said.push_back(m.str()); });
  SparseMlaChoice hit = chooseSparseMlaConfig(
      &db, "sm_90", "NVIDIA H100 80GB HBM3", "bf16", {5, 16, 2048}, 576, 512);
  EXPECT_TRUE(hit.fromDatabase);
  EXPECT_EQ(hit.matchedKey, 8);
  EXPECT_EQ(hit.config.key(), tuned.key());
  EXPECT_NE(hit.why.find("tuning database"), std::string::npos) << hit.why;
  // Another shape (h_q 128): no file, the table, and the miss said once.
  SparseMlaChoice miss = chooseSparseMlaConfig(
      &db, "sm_90", "NVIDIA H100 80GB HBM3", "bf16", {5, 128, 2048}, 576, 512);
  EXPECT_FALSE(miss.fromDatabase);
  EXPECT_EQ(miss.row->index, lookupSparseMlaTable("sm_90", {5, 128, 2048}).index);
  EXPECT_NE(miss.why.find("table row"), std::string::npos) << miss.why;
  (void)chooseSparseMlaConfig(&db, "sm_90", "NVIDIA H100 80GB HBM3", "bf16",
                              {5, 128, 2048}, 576, 512);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find("per-shape table"), std::string::npos) << said[0];
  // Another device: its own file, so the table.
  EXPECT_FALSE(chooseSparseMlaConfig(&db, "sm_90", "NVIDIA H200", "bf16",
                                     {5, 16, 2048}, 576, 512)
                   .fromDatabase);
  // No database, or an unknown token count: the table.
  EXPECT_FALSE(chooseSparseMlaConfig(nullptr, "sm_90", "x", "bf16",
                                     {5, 16, 2048}, 576, 512)
                   .fromDatabase);
  EXPECT_FALSE(chooseSparseMlaConfig(&db, "sm_90", "NVIDIA H100 80GB HBM3",
                                     "bf16", {-1, 16, 2048}, 576, 512)
                   .fromDatabase);
  llvm::sys::fs::remove_directories(dir);
}

TEST(SparseMlaConfig, RowsPrintAsTableLines) {
  const SparseMlaTableRow &r = sparseMlaTable().front();
  std::string line = r.defLine();
  EXPECT_EQ(line.rfind("MOEC_MLA_ROW(\"", 0), 0u) << line;
  EXPECT_NE(line.find(r.regime), std::string::npos);
  Candidate c = r.candidate();
  auto back = Candidate::fromKey(c.key());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kvSplits, r.kvSplits);
  EXPECT_EQ(back->blockH, r.blockH);
}

TEST(SparseMlaConfig, AttentionCandidatesArePrunedAndFolded) {
  SearchSpace space;
  space.axes = {{"block_h", {16, 64}},
                {"block_kv", {32, 4096}},
                {"kv_splits", {1, 8, 32}}};
  std::map<std::string, int> dropped;
  size_t seeds = 0;
  Candidate seed;
  seed.blockKV = 64, seed.kvSplits = 64;
  // h_q 16, topk 2048, batch 1 on 132 SMs: block_h 64 is over h_q, the
  // splits stay (1 group, 64 blocks of 32 rows).
  auto small = candidatesForAttention(space, {1, 16, 2048},
                                      TargetFamily::NVIDIA, 132, {seed},
                                      &seeds, &dropped);
  EXPECT_EQ(seeds, 1u);
  EXPECT_EQ(small.front().blockKV, 64);
  EXPECT_EQ(small.front().kvSplits, 32) << "64 splits of 2048 / 64 blocks";
  EXPECT_EQ(dropped["block_h over h_q"], 6);
  std::set<int64_t> splits;
  for (const Candidate &c : small) {
    EXPECT_EQ(c.blockH, 16);
    splits.insert(c.kvSplits);
  }
  EXPECT_EQ(splits, (std::set<int64_t>{1, 8, 32}));
  // Batch 1024 fills the device: every kv_splits folds to 1.
  dropped.clear();
  auto big = candidatesForAttention(space, {1024, 128, 2048},
                                    TargetFamily::NVIDIA, 132, {}, &seeds,
                                    &dropped);
  EXPECT_EQ(seeds, 0u);
  for (const Candidate &c : big)
    EXPECT_EQ(c.kvSplits, 1) << c.key();
  // block_kv 4096 is over topk; block_h {16, 64} x block_kv 32 remain.
  EXPECT_EQ(big.size(), 2u);
  EXPECT_EQ(dropped["block_kv over topk"], 6);
  EXPECT_EQ(dropped["kv_splits folded (the launch would use fewer)"], 4);
  // block_kv over topk (unless the smallest) and AMD's MFMA width.
  auto shortTopk = candidatesForAttention(space, {1024, 128, 64},
                                          TargetFamily::AMD, 304);
  for (const Candidate &c : shortTopk)
    EXPECT_EQ(c.blockKV, 32) << c.key();
}
