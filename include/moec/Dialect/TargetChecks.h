//===- TargetChecks.h - configs against a target's limits -------*- C++ -*-===//
//
// The checks that need to know the chip: MFMA/mma shapes, LDS, registers,
// fp8 flavour. Op verifiers run them when the op sits in a module with a
// `moec.target`; the CLI attaches that attribute from `--arch` first.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_DIALECT_TARGETCHECKS_H
#define MOEC_DIALECT_TARGETCHECKS_H

#include "moec/Dialect/MoecDialect.h"
#include "moec/Target/TargetInfo.h"

namespace moec {

/// One workgroup's matrix tile, as the checks see it. Names are those the
/// user wrote in the config, so messages can point at the parameter.
struct MatmulTile {
  int64_t m, n, k;
  llvm::StringRef mName, nName, kName;
  mlir::Type inputType;    ///< element type fed to the matrix unit
  int64_t aTileBytes;      ///< bytes of the A tile staged per K step
  int64_t bTileBytes;      ///< bytes of the B tile staged per K step
  int64_t epilogueBytes;   ///< LDS of the epilogue conversion (0 if direct)
  int64_t extraLdsBytes;   ///< LDS outside the pipelined buffers
  int64_t accElems = 0;    ///< f32 accumulator elements; 0 means m * n
};

/// The target named by the nearest enclosing `moec.target`, or nullptr.
const TargetInfo *getEnclosingTarget(mlir::Operation *op);

/// Checks `tile` under `config` against `target`; emits on `op`.
mlir::LogicalResult verifyTileForTarget(mlir::Operation *op,
                                        ConfigAttr config,
                                        const TargetInfo &target,
                                        const MatmulTile &tile);

/// Checks that `type` (an element type) is usable on `target`.
mlir::LogicalResult verifyElementTypeForTarget(mlir::Operation *op,
                                               llvm::StringRef operand,
                                               mlir::Type type,
                                               const TargetInfo &target);

/// LDS bytes of the K loop's staging buffers for `config` on `target`.
int64_t pipelinedLdsBytes(ConfigAttr config, const TargetInfo &target,
                          int64_t bytesPerStage);

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
