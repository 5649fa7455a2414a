//===- TileProgram.h - a GEMM tile program as the tile passes see it -*- C++ -*-===//
//
// What moec-lower-gemm-to-tiles writes for a moec.gemm (a func.func marked
// moec.tile_program): the K loop carrying the accumulator through a
// moec.tile.dot of two masked tile loads (each possibly transposed), and the
// masked store of the epilogue's result. The decision passes find these
// pieces here, compute the program's KernelPlan from them, and annotate
// them; moec-tile-to-lanes reads the annotations back.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TRANSFORMS_TILEPROGRAM_H
#define MOEC_TRANSFORMS_TILEPROGRAM_H

#include "moec/Dialect/MoecDialect.h"
#include "moec/Plan/KernelPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

namespace moec {

struct GemmTileProgram {
  mlir::func::FuncOp func;
  ConfigAttr config;
  mlir::scf::ForOp kLoop; ///< carries the accumulator tile (iter arg 0)
  TileDotOp dot;
  TileLoadOp aLoad, bLoad; ///< A (M x K, or K x M) and B (K x N, or N x K)
  bool transposeA = false, transposeB = false;
  TileStoreOp store; ///< the epilogue's store of the output tile

  /// The pieces of `func`, or failure after an error on it saying what is
  /// not the GEMM shape.
  static mlir::FailureOr<GemmTileProgram> match(mlir::func::FuncOp func);

  /// The matrix problem and plan of the GEMM the program computes (the
  /// same numbers getGemmPlan gives the moec.gemm it came from).
  MatmulProblem problem() const;
  KernelPlan plan(const TargetInfo &target) const;
};

/// The tile programs of `module` (functions with moec.tile_program), matched,
/// and the module's target. Fails after an error when a program is not a
/// GEMM tile program or the module has no `moec.target` (`pass` names the
/// asking pass in the message).
mlir::LogicalResult
getTilePrograms(mlir::ModuleOp module, llvm::StringRef pass,
                llvm::SmallVectorImpl<GemmTileProgram> &programs,
                const TargetInfo *&target);

} // namespace moec

#endif // MOEC_TRANSFORMS_TILEPROGRAM_H
