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

/// The matrix problem of one workgroup of a moe_gemm: a GEMM tile with B
/// N x K (W's layout) plus the block's row map in LDS.
MatmulProblem getMoeGemmProblem(MoeGemmOp op);
/// The plan of `op`'s kernel on `target`. Its grid is
/// ceil(len(sorted_token_ids) / block_m) x ceil(N / block_n):
/// gridSize(len(sorted_token_ids), N).
KernelPlan getMoeGemmPlan(MoeGemmOp op, const TargetInfo &target);

} // namespace moec

#endif // MOEC_DIALECT_OPPLANS_H
