//===- TargetChecksTest.cpp - target checks IR cannot reach ---------------===//
//
// Most target checks are tested in test/Dialect/target-invalid.mlir. The
// "no matrix instruction" rule guards against a gap in the target table: with
// today's table every dtype that passes the fp8-flavour check has an
// instruction in both MFMA families, so no IR reaches it. These tests run it
// against a table row with instructions missing.
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Tools/Registration.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace moec;

namespace {

struct TargetChecksTest : ::testing::Test {
  TargetChecksTest() : ctx(makeRegistry()) {
    ctx.loadAllAvailableDialects();
    module = parseSourceString<ModuleOp>(R"mlir(
      func.func @f(%a: memref<64x32xbf16>, %b: memref<32x64xbf16>,
                   %c: memref<64x64xbf16>) {
        moec.gemm %a, %b -> %c {config = #moec.config<>}
          : memref<64x32xbf16>, memref<32x64xbf16> -> memref<64x64xbf16>
        return
      }
    )mlir",
                                         &ctx);
    module->walk([&](GemmOp op) { gemm = op; });
  }

  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    registerMoecDialects(registry);
    return registry;
  }

  /// Verifies the plan of the gemm's 64x64x32 bf16 tile; returns the
  /// message, or "" when the check passed.
  std::string check(const TargetInfo &target) {
    std::string message;
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
      message = d.str();
      return success();
    });
    LogicalResult result = getGemmPlan(gemm, target).verify(
        [&] { return gemm.emitOpError(); });
    EXPECT_EQ(failed(result), !message.empty()) << message;
    return message;
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  GemmOp gemm;
};

// Only the f16 rows of gfx942's table: bf16 has no MFMA at all.
const MatrixInstr kF16Only[] = {
    {MatrixInputKind::F16, 16, 16, 16, "v_mfma_f32_16x16x16_f16"},
    {MatrixInputKind::F16, 32, 32, 8, "v_mfma_f32_32x32x8_f16"},
};

TEST_F(TargetChecksTest, TheRealTablePasses) {
  ASSERT_TRUE(gemm);
  EXPECT_EQ(check(*lookupTarget("gfx942")), "");
  EXPECT_EQ(check(*lookupTarget("sm_80")), "");
}

TEST_F(TargetChecksTest, NoMatrixInstructionOnAMD) {
  ASSERT_TRUE(gemm);
  TargetInfo gap = *lookupTarget("gfx942");
  gap.matrixInstrs = kF16Only;
  EXPECT_EQ(check(gap), "'moec.gemm' op no matrix instruction for 'bf16' "
                        "inputs on gfx942 with matrix_instr_nonkdim = 16");
}

TEST_F(TargetChecksTest, NoMatrixInstructionInOneFamily) {
  ASSERT_TRUE(gemm);
  // bf16 only in the 32x32 family; the config asks for 16.
  const MatrixInstr bf16x32[] = {
      {MatrixInputKind::BF16, 32, 32, 8, "v_mfma_f32_32x32x8_bf16"}};
  TargetInfo gap = *lookupTarget("gfx942");
  gap.matrixInstrs = bf16x32;
  EXPECT_EQ(check(gap), "'moec.gemm' op no matrix instruction for 'bf16' "
                        "inputs on gfx942 with matrix_instr_nonkdim = 16");
}

TEST_F(TargetChecksTest, NoMatrixInstructionOnNVIDIA) {
  ASSERT_TRUE(gemm);
  // NVIDIA has no nonkdim: the message does not mention it.
  TargetInfo gap = *lookupTarget("sm_80");
  gap.matrixInstrs = kF16Only;
  EXPECT_EQ(check(gap),
            "'moec.gemm' op no matrix instruction for 'bf16' inputs on sm_80");
}

} // namespace
