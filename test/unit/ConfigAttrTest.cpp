//===- ConfigAttrTest.cpp - #moec.config semantics ------------------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/TargetChecks.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace moec;

namespace {

struct ConfigAttrTest : ::testing::Test {
  ConfigAttrTest() { ctx.loadDialect<MoecDialect>(); }

  /// Builds a config from the defaults with one field changed, capturing the
  /// verifier's message.
  ConfigAttr make(int64_t blockM, int64_t numStages, int64_t kpack,
                  std::string *message) {
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
      *message = d.str();
      return success();
    });
    // Every argument is int64_t so that the generated (non-template)
    // getChecked is the one called.
    int64_t blockN = 64, blockK = 32, groupM = 8, numWarps = 4, wavesPerEU = 0,
            nonKDim = 16, blockH = 16, blockKV = 32;
    return ConfigAttr::getChecked(
        [&] { return emitError(UnknownLoc::get(&ctx)); }, &ctx, blockM, blockN,
        blockK, groupM, numWarps, numStages, wavesPerEU, nonKDim, kpack,
        EpilogueKind::direct, blockH, blockKV);
  }
  MLIRContext ctx;
};

TEST_F(ConfigAttrTest, DefaultsAreTritonOnRocmDefaults) {
  ConfigAttr cfg = ConfigAttr::get(&ctx);
  EXPECT_EQ(cfg.getBlockM(), 64);
  EXPECT_EQ(cfg.getBlockN(), 64);
  EXPECT_EQ(cfg.getBlockK(), 32);
  EXPECT_EQ(cfg.getGroupM(), 8);
  EXPECT_EQ(cfg.getNumWarps(), 4);
  EXPECT_EQ(cfg.getNumStages(), 2);
  EXPECT_EQ(cfg.getMatrixInstrNonkdim(), 16);
  EXPECT_EQ(cfg.getKpack(), 1);
  EXPECT_EQ(cfg.getEpilogue(), EpilogueKind::direct);
}

TEST_F(ConfigAttrTest, LegacyZeroStagesMeansTwo) {
  std::string msg;
  ConfigAttr legacy = make(64, 0, 1, &msg);
  ASSERT_TRUE(legacy) << msg;
  EXPECT_EQ(legacy.getEffectiveNumStages(), 2);
  EXPECT_EQ(legacy.getNumLdsBuffers(), 1);
  EXPECT_EQ(make(64, 1, 1, &msg).getNumLdsBuffers(), 1);
  EXPECT_EQ(make(64, 3, 1, &msg).getNumLdsBuffers(), 2);
  EXPECT_EQ(make(64, 4, 1, &msg).getNumLdsBuffers(), 3);
}

TEST_F(ConfigAttrTest, RejectsWithParameterAndValue) {
  std::string msg;
  EXPECT_FALSE(make(48, 2, 1, &msg));
  EXPECT_NE(msg.find("block_m = 48"), std::string::npos) << msg;
  EXPECT_FALSE(make(64, 2, 3, &msg));
  EXPECT_NE(msg.find("kpack = 3"), std::string::npos) << msg;
  EXPECT_FALSE(make(64, 9, 1, &msg));
  EXPECT_NE(msg.find("num_stages = 9"), std::string::npos) << msg;
}

TEST_F(ConfigAttrTest, PipelinedLdsPerTarget) {
  std::string msg;
  ConfigAttr three = make(64, 3, 1, &msg);
  ASSERT_TRUE(three) << msg;
  // AMD keeps num_stages - 1 buffers, NVIDIA a ring of num_stages.
  EXPECT_EQ(pipelinedLdsBytes(three, *lookupTarget("gfx942"), 1000), 2000);
  EXPECT_EQ(pipelinedLdsBytes(three, *lookupTarget("sm_90"), 1000), 3000);
}

} // namespace
