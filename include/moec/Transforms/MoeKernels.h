//===- MoeKernels.h - the moe_align and act_and_mul kernels -----*- C++ -*-===//
//
// The MoE kernels that are not GEMMs (and quant_fp8): target-independent gpu.funcs
// (gpu/scf/arith/memref/math only) that every target compiles as is.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TRANSFORMS_MOEKERNELS_H
#define MOEC_TRANSFORMS_MOEKERNELS_H

#include "moec/Dialect/OpPlans.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace moec {

/// Builds the kernel of `op` as a `gpu.func` named `name` at the end of
/// `module`. Arguments: the op's operands in ODS order (topk_ids as a 2-D,
/// the others as 1-D i32 memrefs with dynamic sizes, in global memory);
/// launch `plan.gridSize(tokens * top_k)` workgroups of `plan.lanes` lanes.
mlir::gpu::GPUFuncOp buildMoeAlignKernel(mlir::OpBuilder &b,
                                         mlir::gpu::GPUModuleOp module,
                                         llvm::StringRef name, MoeAlignOp op,
                                         const MoeAlignPlan &plan);

/// Builds the kernel of `op` (MoeAlignKernel.cpp says what it computes):
/// arguments input and output with the op's ranks and dynamic sizes; launch
/// `plan.gridSize(elements of output)` workgroups of `plan.lanes` lanes.
mlir::gpu::GPUFuncOp buildActAndMulKernel(mlir::OpBuilder &b,
                                          mlir::gpu::GPUModuleOp module,
                                          llvm::StringRef name,
                                          ActAndMulOp op,
                                          const ActAndMulPlan &plan);

/// Builds the kernel of `op` (SparseWindowKernel.cpp says what it
/// computes): arguments seq_lens, block_table and indices with dynamic
/// sizes; launch `plan.gridSize(tokens * topk)` workgroups of `plan.lanes`
/// lanes.
mlir::gpu::GPUFuncOp buildSparseWindowIndicesKernel(
    mlir::OpBuilder &b, mlir::gpu::GPUModuleOp module, llvm::StringRef name,
    SparseWindowIndicesOp op, const ActAndMulPlan &plan);

/// Builds the kernel of `op` (QuantFp8Kernel.cpp says how): arguments
/// input, output and scale with the op's ranks and dynamic sizes; launch
/// `plan.gridSize(rows, cols)` workgroups of `plan.lanes` lanes with
/// `plan.ldsBytes()` bytes of LDS.
mlir::gpu::GPUFuncOp buildQuantFp8Kernel(mlir::OpBuilder &b,
                                         mlir::gpu::GPUModuleOp module,
                                         llvm::StringRef name, QuantFp8Op op,
                                         const QuantFp8Plan &plan);
/// The largest finite value of an fp8 type (e4m3fn 448, e4m3fnuz 240,
/// e5m2/e5m2fnuz 57344): what quant_fp8 scales an amax to.
double fp8MaxOf(mlir::Type fp8);

} // namespace moec

#endif // MOEC_TRANSFORMS_MOEKERNELS_H
