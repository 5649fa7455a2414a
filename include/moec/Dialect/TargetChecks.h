//===- TargetChecks.h - configs against a target's limits -------*- C++ -*-===//
//
// The checks that need to know the chip but not the kernel plan (which
// checks shapes, LDS and registers: moec/Plan/KernelPlan.h): fp8 flavour.
// Op verifiers run them when the op sits in a module with a `moec.target`;
// the CLI attaches that attribute from `--arch` first.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_DIALECT_TARGETCHECKS_H
#define MOEC_DIALECT_TARGETCHECKS_H

#include "moec/Dialect/MoecDialect.h"
#include "moec/Target/TargetInfo.h"

namespace moec {

/// The target named by the nearest enclosing `moec.target`, or nullptr.
const TargetInfo *getEnclosingTarget(mlir::Operation *op);

/// Checks that `type` (an element type) is usable on `target`.
mlir::LogicalResult verifyElementTypeForTarget(mlir::Operation *op,
                                               llvm::StringRef operand,
                                               mlir::Type type,
                                               const TargetInfo &target);

/// The matrix-instruction input class of an element type (f16, bf16, i8,
/// else fp8): the key into TargetInfo::findMatrixInstrs.
MatrixInputKind matrixInputKind(mlir::Type type);

/// Bytes of one element of `type` as stored in memory.
int64_t elementBytes(mlir::Type type);

/// LDS bytes of a `rows` x `cols` tile of `type` as the GEMM skeleton
/// allocates it: unpadded, the rows swizzled against bank conflicts instead
/// (moec/Transforms/LdsLayout.h).
int64_t ldsTileBytes(int64_t rows, int64_t cols, mlir::Type type);
bool isFp8(mlir::Type type);

} // namespace moec

#endif // MOEC_DIALECT_TARGETCHECKS_H
