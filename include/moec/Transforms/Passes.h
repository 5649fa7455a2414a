//===- Passes.h - moec passes -----------------------------------*- C++ -*-===//
#ifndef MOEC_TRANSFORMS_PASSES_H
#define MOEC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace moec {

struct TargetInfo;

#define GEN_PASS_DECL
#include "moec/Dialect/MoecPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "moec/Dialect/MoecPasses.h.inc"

/// Name of the gpu.module that holds every kernel moec builds.
inline constexpr llvm::StringLiteral kKernelModuleName = "moec_kernels";

/// moec ops -> kernels -> target dialects, up to (not including) LLVM IR
/// translation: for GPUs the gpu.module holds llvm.func kernels in the
/// ROCDL/NVVM dialects; for the host the top-level module holds llvm.func
/// workgroup functions.
void buildLoweringPipeline(mlir::OpPassManager &pm, const TargetInfo &target);
/// moec.gemm through the tile level: moec-lower-gemm-to-tiles, the decision
/// passes (select-core, pipeline, epilogue, global-access), then
/// moec-tile-to-lanes.
void buildGemmTilePipeline(mlir::OpPassManager &pm);
/// The first half: moec ops -> gpu.func kernels and launches.
void buildKernelOutliningPipeline(mlir::OpPassManager &pm);
/// The second half: kernels -> the target's LLVM dialect.
void buildKernelToLLVMPipeline(mlir::OpPassManager &pm,
                               const TargetInfo &target);
/// GPU targets: the part of the second half that stays in MLIR's
/// target-specific dialects (arith/vector/memref/cf + amdgpu/rocdl or
/// nvgpu/nvvm): its output is the input of moec-convert-kernels-to-llvm,
/// the lane level the AMD emulator executes. buildKernelToLLVMPipeline is
/// this followed by the LLVM conversion.
void buildKernelToLaneLevelPipeline(mlir::OpPassManager &pm);

/// Registers `moec-lower-to-kernels`, `moec-kernels-to-host` and the
/// `moec-lower-{gfx90a,gfx942,gfx950,host,...}` pipelines for moec-opt.
void registerMoecPassesAndPipelines();

} // namespace moec

#endif // MOEC_TRANSFORMS_PASSES_H
