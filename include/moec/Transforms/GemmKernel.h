//===- GemmKernel.h - one workgroup's GEMM program --------------*- C++ -*-===//
//
// The target-independent part of a GEMM kernel: workgroup swizzle, K loop,
// software pipeline through LDS, masked tile loads, epilogue. The tile product
// itself and the accumulator layout come from a MatrixCore (MFMA, mma.sync or
// the host's scalar loops), the only target-specific piece.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TRANSFORMS_GEMMKERNEL_H
#define MOEC_TRANSFORMS_GEMMKERNEL_H

#include "moec/Dialect/MoecDialect.h"
#include "moec/Plan/KernelPlan.h"
#include "moec/Target/TargetInfo.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace moec {

/// Everything that shapes the generated code for one `moec.gemm`: its plan
/// (config, target and every number derived from them) and what the op
/// says about its operands.
struct GemmKernelSpec {
  KernelPlan plan;
  bool transposeA = false, transposeB = false;
  mlir::Type aType, bType, cType, biasType; ///< element types; bias may be null
  bool hasScaleA = false, hasScaleB = false;
  bool scaleAPerTensor = true, scaleBPerTensor = true;
  Activation activation = Activation::none;

  static GemmKernelSpec get(GemmOp op, const TargetInfo &target);
  const ConfigValues &cfg() const { return plan.config; }
};

/// Result of building a kernel: the function (its launch shape and LDS are
/// the plan's).
struct GemmKernel {
  mlir::gpu::GPUFuncOp func;
};

/// Builds the kernel for `spec` as a `gpu.func` at the end of `module`.
/// Arguments: A, B, C, then bias, scale_a, scale_b when present, each a
/// memref of the op's operand rank with dynamic sizes.
mlir::FailureOr<GemmKernel> buildGemmKernel(mlir::OpBuilder &b,
                                            mlir::gpu::GPUModuleOp module,
                                            llvm::StringRef name,
                                            const GemmKernelSpec &spec,
                                            mlir::Location loc);

} // namespace moec

#endif // MOEC_TRANSFORMS_GEMMKERNEL_H
