//===- SparseAttentionKernel.h - one workgroup's sparse MLA decode -*- C++ -*-===//
//
// The target-independent skeleton of `moec.sparse_attention`
// (SparseAttentionKernelBuilder.cpp): gather the token's KV rows block_kv at
// a time into LDS (the next block prefetched), S = Q K^T on the matrix core,
// the online softmax in f32 through LDS, O += P V on the matrix core, then
// O / sum stored into the caller's `out` and the optional `lse`. Both
// products go through MatrixCore objects built from the plan's `qk` and `pv`
// KernelPlans.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TRANSFORMS_SPARSEATTENTIONKERNEL_H
#define MOEC_TRANSFORMS_SPARSEATTENTIONKERNEL_H

#include "moec/Dialect/OpPlans.h"
#include "moec/Transforms/GemmKernel.h"

namespace moec {

struct SparseAttentionKernelSpec {
  SparseAttentionPlan plan;
  /// What the two products' cores are built from (plan.qk / plan.pv and the
  /// KV element type for both operands).
  GemmKernelSpec qk, pv;
  mlir::Type elt;     ///< q and the KV tile in LDS (a plain kv_cache's too)
  mlir::Type kvType;  ///< kv_cache's element type (i8 for fp8_ds_mla)
  mlir::Type outType; ///< out
  bool hasLse = false;
  bool hasWorkspace = false; ///< split-KV: the op has a workspace
  float scale = 1.0f;

  static SparseAttentionKernelSpec get(SparseAttentionOp op,
                                       const TargetInfo &target);
  const ConfigValues &cfg() const { return plan.kernel.config; }
};

/// Builds the split-KV merge kernel (spec.hasWorkspace): one workgroup per
/// (token, head) combines the splits' partial outputs and lse from the
/// workspace into `out` and `lse`. Same arguments as the attention kernel.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildSparseAttentionMergeKernel(mlir::OpBuilder &b,
                                mlir::gpu::GPUModuleOp module,
                                llvm::StringRef name,
                                const SparseAttentionKernelSpec &spec,
                                mlir::Location loc);

/// Builds the kernel for `spec` as a `gpu.func` at the end of `module`.
/// Arguments: the op's operands in ODS order (q, kv_cache, indices, out,
/// then lse and workspace when present), each a memref of the operand's rank with dynamic
/// sizes in the global address space.
mlir::FailureOr<mlir::gpu::GPUFuncOp>
buildSparseAttentionKernel(mlir::OpBuilder &b, mlir::gpu::GPUModuleOp module,
                           llvm::StringRef name,
                           const SparseAttentionKernelSpec &spec,
                           mlir::Location loc);

} // namespace moec

#endif // MOEC_TRANSFORMS_SPARSEATTENTIONKERNEL_H
