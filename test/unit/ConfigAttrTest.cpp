//===- ConfigAttrTest.cpp - #moec.config semantics ------------------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/Config.h"
#include "moec/Plan/KernelPlan.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/AsmParser/AsmParser.h"

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
    ConfigValues v;
    v.block_m = blockM;
    v.num_stages = numStages;
    v.kpack = kpack;
    return v.toAttrChecked([&] { return emitError(UnknownLoc::get(&ctx)); },
                           &ctx);
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

/// The plan of a 64x64x32 tile (1024 bytes of A and of B per stage in
/// these tests) under `config` on `chip`.
static KernelPlan planFor(const ConfigValues &config, llvm::StringRef chip) {
  MatmulProblem p;
  p.m = 64, p.n = 64, p.k = 32;
  p.aStageBytes = 1024;
  p.bStageBytes = 1024;
  return KernelPlan::get(config, *lookupTarget(chip), p);
}

TEST_F(ConfigAttrTest, LegacyZeroStagesMeansTwo) {
  std::string msg;
  ConfigAttr legacy = make(64, 0, 1, &msg);
  ASSERT_TRUE(legacy) << msg;
  EXPECT_EQ(ConfigValues(legacy).effectiveNumStages(), 2);
  KernelPlan plan = planFor(ConfigValues(legacy), "gfx942");
  EXPECT_EQ(plan.numStages, 2);
  EXPECT_EQ(plan.numLdsBuffers, 1);
  for (auto [stages, buffers] : {std::pair{1, 1}, {2, 1}, {3, 2}, {4, 3}}) {
    ConfigValues v;
    v.num_stages = stages;
    EXPECT_EQ(planFor(v, "gfx942").numLdsBuffers, buffers) << stages;
    // Without async copies NVIDIA stages through registers as AMD does.
    EXPECT_EQ(planFor(v, "sm_90").numLdsBuffers, buffers) << stages;
  }
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
  ConfigValues three;
  three.num_stages = 3;
  // Registers hold the prefetch: num_stages - 1 buffers on every GPU.
  EXPECT_EQ(planFor(three, "gfx942").ldsBytes, 4096);
  EXPECT_EQ(planFor(three, "sm_90").ldsBytes, 4096);
  // cp.async fills a ring of num_stages buffers (NVIDIA only).
  three.async_copy = true;
  EXPECT_TRUE(planFor(three, "sm_90").asyncCopy);
  EXPECT_EQ(planFor(three, "sm_90").ldsBytes, 6144);
  EXPECT_FALSE(planFor(three, "gfx942").asyncCopy);
  EXPECT_EQ(planFor(three, "gfx942").ldsBytes, 4096);
}

// The issue-8 case: 256x256x64 bf16, 8 warps, 4 stages on sm_90 needs three
// 64 KiB buffers (196608 bytes, dynamic shared memory) and fits; the old
// verifier counted four (262144) and refused it.
TEST_F(ConfigAttrTest, Sm90FourStagesFit) {
  ConfigValues v;
  v.block_m = 256, v.block_n = 256, v.block_k = 64, v.num_warps = 8,
  v.num_stages = 4;
  MatmulProblem p;
  p.m = 256, p.n = 256, p.k = 64;
  p.inputType = BFloat16Type::get(&ctx);
  p.aStageBytes = p.bStageBytes = 256 * 64 * 2;
  KernelPlan plan = KernelPlan::get(v, *lookupTarget("sm_90"), p);
  EXPECT_EQ(plan.ldsBytes, 196608);
  EXPECT_TRUE(plan.dynamicLds);
  EXPECT_EQ(plan.lanes, 256);
  EXPECT_TRUE(succeeded(plan.verify([&] {
    return emitError(UnknownLoc::get(&ctx));
  })));
  v.async_copy = true;
  plan = KernelPlan::get(v, *lookupTarget("sm_90"), p);
  EXPECT_EQ(plan.ldsBytes, 262144);
  std::string msg;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    msg = d.str();
    return success();
  });
  EXPECT_TRUE(failed(plan.verify([&] {
    return emitError(UnknownLoc::get(&ctx));
  })));
  EXPECT_NE(msg.find("LDS use of 262144 bytes"), std::string::npos) << msg;
}

// Every knob of ConfigKnobs.def survives ConfigValues -> #moec.config ->
// text -> #moec.config -> ConfigValues: the list and the ODS parameters are
// in the same order, and printing and parsing agree.
TEST_F(ConfigAttrTest, EveryKnobRoundTrips) {
  ConfigValues v;
  v.block_m = 128, v.block_n = 32, v.block_k = 64, v.group_m = 4,
  v.num_warps = 8, v.num_stages = 3, v.waves_per_eu = 2,
  v.matrix_instr_nonkdim = 32, v.kpack = 2, v.epilogue = EpilogueKind::lds,
  v.block_h = 32, v.block_kv = 64, v.async_copy = true,
  v.assume_aligned = true, v.kv_splits = 4, v.wgmma = true;
  ConfigValues defaults;
#define MOEC_INT_KNOB(param, Field, flag, dflt, help)                          \
  EXPECT_NE(v.param, defaults.param) << #param " must differ in this test";
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help)                   \
  EXPECT_NE(v.param, defaults.param) << #param " must differ in this test";
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help)                         \
  EXPECT_NE(v.param, defaults.param) << #param " must differ in this test";
#include "moec/Dialect/ConfigKnobs.def"
  ConfigAttr attr = v.toAttr(&ctx);
  EXPECT_EQ(ConfigValues(attr), v) << ConfigValues(attr).str();
  std::string text;
  llvm::raw_string_ostream os(text);
  Attribute(attr).print(os);
  Attribute parsed = parseAttribute(text, &ctx);
  ASSERT_TRUE(parsed) << text;
  EXPECT_EQ(ConfigValues(cast<ConfigAttr>(parsed)), v) << text;
  // Defaults print as nothing.
  std::string empty;
  llvm::raw_string_ostream os2(empty);
  Attribute(defaults.toAttr(&ctx)).print(os2);
  EXPECT_EQ(empty, "#moec.config<>");
  // Distinct configs, distinct names and hashes; the hash is stable.
  EXPECT_NE(v.mangle(), defaults.mangle());
  EXPECT_NE(stableHash(v), stableHash(defaults));
  EXPECT_EQ(defaults.mangle(), "64_64_32_8_4_2_0_16_1_direct_16_32_1");
}

} // namespace
