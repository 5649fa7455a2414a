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
#include "moec/Target/TargetInfo.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace moec {

/// Everything that shapes the generated code for one `moec.gemm`.
struct GemmKernelSpec {
  int64_t blockM, blockN, blockK, groupM, numWarps, numStages, wavesPerEU,
      nonKDim, kpack;
  EpilogueKind epilogue;
  bool transposeA, transposeB;
  mlir::Type aType, bType, cType, biasType; ///< element types; bias may be null
  bool hasScaleA = false, hasScaleB = false;
  bool scaleAPerTensor = true, scaleBPerTensor = true;
  Activation activation = Activation::none;
  const TargetInfo *target = nullptr;
  /// Stage K tiles with asynchronous copies (cp.async) into a ring of
  /// num_stages LDS buffers instead of prefetching through registers. Off
  /// unless the module says `moec.async_copy`; NVIDIA only, num_stages >= 2.
  bool asyncCopy = false;

  /// The module attribute that turns `asyncCopy` on.
  static constexpr llvm::StringLiteral kAsyncCopyAttrName = "moec.async_copy";
  /// Leading dimensions of A, B and C are multiples of 16 bytes (Triton's
  /// divisibility-16 specialization): no element-by-element edge path.
  bool assumeAligned = false;
  /// Per operand (A, B, C): its leading dimension is known to be a multiple
  /// of 16 bytes, from assumeAligned or a static size in the op's types.
  bool ldAligned[3] = {false, false, false};
  /// The module attribute that turns `assumeAligned` on.
  static constexpr llvm::StringLiteral kAssumeAlignedAttrName =
      "moec.assume_aligned";

  static GemmKernelSpec get(GemmOp op, const TargetInfo &target);
  /// Workgroup size in lanes (1 on the host: one CPU task per workgroup).
  int64_t lanes() const;
  /// Number of LDS buffers the K loop cycles through.
  int64_t numLdsBuffers() const;
  /// A stable, readable name suffix: "128x128x64_w4_s2_...".
  std::string mangle() const;
};

/// Result of building a kernel: the function and its launch shape.
struct GemmKernel {
  mlir::gpu::GPUFuncOp func;
  int64_t workgroupSize;
  int64_t ldsBytes;
  /// The LDS is dynamic shared memory: launch with ldsBytes of it.
  bool dynamicLds = false;
};

/// Most static shared memory a CUDA kernel may declare; more must be dynamic
/// (and opted into at launch past 48 KiB).
inline constexpr int64_t kMaxStaticSharedBytes = 48 * 1024;

/// Whether a kernel of `spec` needing `ldsBytes` of LDS takes it as dynamic
/// shared memory: on NVIDIA past kMaxStaticSharedBytes, never on AMD.
bool usesDynamicLds(const GemmKernelSpec &spec, int64_t ldsBytes);

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
