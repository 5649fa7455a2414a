//===- TargetInfoTest.cpp - the target table ------------------------------===//

#include "moec/Target/TargetInfo.h"

#include <gtest/gtest.h>

using namespace moec;

TEST(TargetInfo, KnowsEveryDocumentedTarget) {
  for (const char *chip : {"gfx90a", "gfx942", "gfx950", "sm_80", "sm_90",
                           "host"})
    EXPECT_NE(lookupTarget(chip), nullptr) << chip;
  EXPECT_EQ(lookupTarget("gfx1100"), nullptr);
  EXPECT_EQ(lookupTarget(""), nullptr);
  EXPECT_EQ(knownTargetNames(), "gfx90a, gfx942, gfx950, sm_80, sm_90, host");
}

TEST(TargetInfo, LdsLimits) {
  EXPECT_EQ(lookupTarget("gfx90a")->ldsBytes, 64 * 1024);
  EXPECT_EQ(lookupTarget("gfx942")->ldsBytes, 64 * 1024);
  EXPECT_EQ(lookupTarget("gfx950")->ldsBytes, 160 * 1024);
  EXPECT_EQ(lookupTarget("host")->ldsBytes, 0); // no limit
}

TEST(TargetInfo, MatrixInstrsPerFamily) {
  const TargetInfo *gfx942 = lookupTarget("gfx942");
  auto bf16x16 = gfx942->findMatrixInstrs(MatrixInputKind::BF16, 16);
  ASSERT_EQ(bf16x16.size(), 1u);
  EXPECT_EQ(bf16x16[0].mnemonic, "v_mfma_f32_16x16x16_bf16");
  auto fp8x32 = gfx942->findMatrixInstrs(MatrixInputKind::FP8, 32);
  ASSERT_EQ(fp8x32.size(), 1u);
  EXPECT_EQ(fp8x32[0].k, 16);
  // gfx90a has no fp8 matrix instructions at all.
  EXPECT_TRUE(lookupTarget("gfx90a")
                  ->findMatrixInstrs(MatrixInputKind::FP8, 16)
                  .empty());
  // gfx950 offers two K per family; the smallest comes first.
  auto gfx950 = lookupTarget("gfx950")->findMatrixInstrs(MatrixInputKind::F16, 16);
  ASSERT_EQ(gfx950.size(), 2u);
  EXPECT_EQ(gfx950[0].k, 16);
  EXPECT_EQ(gfx950[1].k, 32);
  // NVIDIA: one shape, any nonkdim.
  auto sm90 = lookupTarget("sm_90")->findMatrixInstrs(MatrixInputKind::BF16, 0);
  ASSERT_EQ(sm90.size(), 1u);
  EXPECT_EQ(sm90[0].n, 8);
}

TEST(TargetInfo, RegisterBudgetFollowsWavesPerEU) {
  const TargetInfo *t = lookupTarget("gfx942");
  EXPECT_EQ(t->vgprBudget(0), 512);
  EXPECT_EQ(t->vgprBudget(1), 512);
  EXPECT_EQ(t->vgprBudget(2), 256);
  EXPECT_EQ(t->vgprBudget(3), 168); // 512 / 3 = 170, down to the granule of 8
  EXPECT_EQ(t->vgprBudget(8), 64);
}

TEST(TargetInfo, OccupancyFromRegisters) {
  const TargetInfo *t = lookupTarget("gfx942");
  EXPECT_EQ(t->occupancyForVgprs(512), 1);
  EXPECT_EQ(t->occupancyForVgprs(256), 2);
  EXPECT_EQ(t->occupancyForVgprs(129), 3); // rounds up to 136 -> 3 waves
  EXPECT_EQ(t->occupancyForVgprs(64), 8);
  EXPECT_EQ(t->occupancyForVgprs(8), 8);   // capped at the SIMD's 8 waves
}
