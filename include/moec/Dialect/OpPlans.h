//===- OpPlans.h - the kernel plan of each moec op --------------*- C++ -*-===//
//
// Where an op's operands and config become a MatmulProblem and so a
// KernelPlan (moec/Plan/KernelPlan.h). The verifier, the lowering and the
// launcher all go through here, so they agree on every derived number.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_DIALECT_OPPLANS_H
#define MOEC_DIALECT_OPPLANS_H

#include "moec/Dialect/MoecDialect.h"
#include "moec/Plan/KernelPlan.h"

namespace moec {

/// The matrix problem of one workgroup of `op`.
MatmulProblem getGemmProblem(GemmOp op);
/// The plan of `op`'s kernel on `target`.
KernelPlan getGemmPlan(GemmOp op, const TargetInfo &target);

/// The launch of `moec.moe_align` (lib/Transforms/MoeAlignKernel.cpp says
/// how the kernel works). One workgroup sorts `copiesPerWorkgroup` routed
/// copies; `subChunks` of its lanes each scatter a contiguous run of
/// `runLength` of them in order, which keeps the order within an expert.
/// LDS holds i32 words: per-expert counters (total, copies before this
/// workgroup's chunk, two scan buffers), the [subChunks][E] table of
/// per-run offsets, and the chunk's expert ids.
struct MoeAlignPlan {
  const TargetInfo *target = nullptr;
  int64_t numExperts = 0, blockM = 0;
  int64_t lanes = 1;
  int64_t subChunks = 1, runLength = 1, copiesPerWorkgroup = 1;
  /// Word offsets of each LDS array, and the total.
  int64_t ldsTotal = 0, ldsBefore = 0, ldsScanA = 0, ldsScanB = 0,
          ldsTable = 0, ldsStage = 0, ldsWords = 0, ldsBytes = 0;
  /// Most LDS the kernel may take on the target (static shared memory).
  int64_t ldsLimit = 0;

  /// Workgroups for `copies` = tokens x top_k routed copies (at least 1:
  /// workgroup 0 also writes num_tokens_post_padded).
  int64_t gridSize(int64_t copies) const;
  /// The largest sorted_token_ids / expert_ids the op can fill for `copies`.
  int64_t maxSortedIds(int64_t copies) const;
  int64_t maxBlocks(int64_t copies) const;
  /// Checks the LDS against the target, naming num_experts.
  mlir::LogicalResult
  verify(llvm::function_ref<mlir::InFlightDiagnostic()> emitError) const;

  static MoeAlignPlan get(int64_t numExperts, const ConfigValues &config,
                          const TargetInfo &target);
};
MoeAlignPlan getMoeAlignPlan(MoeAlignOp op, const TargetInfo &target);

/// The launch of `moec.act_and_mul`: each workgroup of `lanes` lanes takes
/// `elemsPerWorkgroup` consecutive output elements, lanes strided.
struct ActAndMulPlan {
  const TargetInfo *target = nullptr;
  int64_t lanes = 1;
  int64_t elemsPerWorkgroup = 1;
  /// Workgroups for `elems` output elements (at least 1).
  int64_t gridSize(int64_t elems) const;
  mlir::LogicalResult
  verify(llvm::function_ref<mlir::InFlightDiagnostic()> emitError) const;
  static ActAndMulPlan get(const ConfigValues &config,
                           const TargetInfo &target);
};
ActAndMulPlan getActAndMulPlan(ActAndMulOp op, const TargetInfo &target);

} // namespace moec

#endif // MOEC_DIALECT_OPPLANS_H
