//===- Activation.h - the epilogue's activation functions -------*- C++ -*-===//
//
// One definition of each `moec` activation as arith/math ops, shared by the
// lane-level GEMM builder (on f32 scalars) and the tile level (on f32
// tiles): both levels compute the same function, op for op.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TRANSFORMS_ACTIVATION_H
#define MOEC_TRANSFORMS_ACTIVATION_H

#include "moec/Dialect/MoecDialect.h"

#include "mlir/IR/Builders.h"

namespace moec {

/// `act(x)` for an f32 scalar or a tensor of f32 (constants take x's type).
mlir::Value buildActivation(mlir::OpBuilder &b, mlir::Location loc,
                            Activation act, mlir::Value x);

} // namespace moec

#endif // MOEC_TRANSFORMS_ACTIVATION_H
