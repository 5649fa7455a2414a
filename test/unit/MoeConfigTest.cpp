//===- MoeConfigTest.cpp - the heuristic config of routed MoE GEMMs ------===//
//
// lib/Tuning/MoeConfig.cpp: the row class follows the rows an expert is
// expected to get (block_m covers mean + 2 sigma), and every row verifies on
// every target for the GEMMs Jit::fusedMoe builds from it: the w13 GEMM with
// the fused gated activation (its f32 LDS tile is the largest) and the w2
// GEMM with routed weights and reduce, at Mixtral, DeepSeek-V3 and
// Qwen3-MoE sizes, f16 and bf16.
//
//===----------------------------------------------------------------------===//

#include "TextModule.h"

#include "moec/Target/TargetInfo.h"
#include "moec/Tuning/MoeConfig.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

using namespace mlir;
using namespace moec;
using namespace moec::tuning;

namespace {

/// Verifies the fused w13 and the w2 GEMM of an (E, hidden, inter, top_k)
/// layer with `fields` on `chip`; the diagnostics, empty when it verifies.
std::string verifyLayer(llvm::StringRef chip, const std::string &fields,
                        int64_t e, int64_t h, int64_t inter, int64_t topK,
                        llvm::StringRef t) {
  std::string text = fmt::format(
      R"(module attributes {{moec.target = #moec.target<"{0}">}} {{
  func.func @layer(%hidden: memref<?x{2}x{6}>, %w13: memref<{1}x{5}x{2}x{6}>,
      %w2: memref<{1}x{2}x{3}x{6}>, %tw: memref<?x{4}xf32>,
      %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
      %act: memref<?x{4}x{3}x{6}>, %out: memref<?x{2}x{6}>) {{
    moec.moe_gemm %hidden, %w13 -> %act
      routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>) {{
      top_k = {4} : i64, activation = #moec.activation<silu>,
      config = #moec.config<{7}>
    }} : memref<?x{2}x{6}>, memref<{1}x{5}x{2}x{6}> -> memref<?x{4}x{3}x{6}>
    %rows = memref.collapse_shape %act [[0, 1], [2]]
      : memref<?x{4}x{3}x{6}> into memref<?x{3}x{6}>
    moec.moe_gemm %rows, %w2 -> %out
      routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%tw : memref<?x{4}xf32>) {{
      top_k = {4} : i64, a_per_copy, reduce, config = #moec.config<{7}>
    }} : memref<?x{3}x{6}>, memref<{1}x{2}x{3}x{6}> -> memref<?x{2}x{6}>
    return
  }}
}})",
      chip.str(), e, h, inter, topK, 2 * inter, t.str(), fields);
  test::TextModule m(text);
  if (!m.module)
    return m.diagnostics.empty() ? std::string("failed") : m.diagnostics;
  return {};
}

} // namespace

TEST(MoeConfig, RowClassCoversTheExpectedRowsPerExpert) {
  // Mixtral (E 8, top-2).
  EXPECT_EQ(moeGemmRowClass(1, 2, 8), 0);   // 0.25 rows: one block of 16
  EXPECT_EQ(moeGemmRowClass(16, 2, 8), 0);  // 4 + 4 = 8
  EXPECT_EQ(moeGemmRowClass(64, 2, 8), 1);  // 16 + 8 = 24: block_m 32
  EXPECT_EQ(moeGemmRowClass(256, 2, 8), 3); // 64 + 16 = 80: block_m 128
  EXPECT_EQ(moeGemmRowClass(1024, 2, 8), 4); // 256 rows: compute-bound
  // DeepSeek-V3 (E 256, top-8).
  EXPECT_EQ(moeGemmRowClass(64, 8, 256), 0);
  EXPECT_EQ(moeGemmRowClass(256, 8, 256), 0);  // 8 + 5.7: block_m 16
  EXPECT_EQ(moeGemmRowClass(1024, 8, 256), 2); // 32 + 11.3 = 43.3
  EXPECT_EQ(moeGemmRowClass(4096, 8, 256), 3); // 128 rows: the last below
  EXPECT_EQ(moeGemmRowClass(8192, 8, 256), 4);
  // Degenerate inputs stay in range.
  EXPECT_EQ(moeGemmRowClass(0, 2, 8), 0);
  EXPECT_EQ(moeGemmRowClass(5, 2, 0), 1); // 10 rows over "1" expert: 16.3
  EXPECT_EQ(moeGemmRowClass(-3, 2, 8), 0);
}

TEST(MoeConfig, EveryRowVerifiesOnEveryTarget) {
  struct Layer {
    int64_t e, h, inter, topK;
  };
  // Mixtral TP1 and TP8, DeepSeek-V3 TP8, Qwen3-30B-A3B TP1.
  const Layer layers[] = {
      {8, 4096, 14336, 2}, {8, 4096, 1792, 2}, {256, 7168, 256, 8},
      {128, 2048, 768, 8}};
  int checked = 0;
  for (const TargetInfo &tgt : allTargets())
    for (int cls = 0; cls <= 4; ++cls) {
      std::string fields = heuristicMoeGemmFields(tgt.chip, cls);
      for (const Layer &l : layers)
        for (llvm::StringRef t : {"bf16", "f16"}) {
          EXPECT_EQ(verifyLayer(tgt.chip, fields, l.e, l.h, l.inter, l.topK, t),
                    "")
              << tgt.chip.str() << " row " << cls << " (" << fields
              << ") E " << l.e << " inter " << l.inter;
          ++checked;
        }
    }
  EXPECT_GT(checked, 100);
}

TEST(MoeConfig, RowsGrowWithTheClass) {
  // block_m rises with the class on every GPU (so a bigger class never
  // reads an expert's weights more often), and NVIDIA rows pipeline K with
  // cp.async.
  for (llvm::StringRef chip : {"sm_90", "gfx942"}) {
    int64_t last = 0;
    for (int cls = 0; cls <= 4; ++cls) {
      std::string f = heuristicMoeGemmFields(chip, cls);
      int64_t bm = std::stoll(f.substr(f.find("block_m = ") + 10));
      EXPECT_GE(bm, last) << chip.str() << " row " << cls;
      EXPECT_EQ(bm, std::min<int64_t>(16 << cls, 128)) << f;
      last = bm;
      EXPECT_EQ(f.find("async_copy = true") != std::string::npos,
                chip.starts_with("sm_"))
          << f;
    }
  }
  EXPECT_EQ(heuristicMoeGemmFields("sm_90", 99), heuristicMoeGemmFields("sm_90", 4));
}
