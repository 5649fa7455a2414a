//===- Pipelines.cpp - moec ops down to the target's LLVM dialect ---------===//

#include "moec/Target/TargetInfo.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/GPUToROCDL/GPUToROCDLPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void moec::buildLoweringPipeline(OpPassManager &pm, const TargetInfo &target) {
  buildKernelOutliningPipeline(pm);
  buildKernelToLLVMPipeline(pm, target);
}

void moec::buildKernelOutliningPipeline(OpPassManager &pm) {
  // moec.gemm goes through the tile level: a tile program, the decision
  // passes, then its distribution over lanes (docs/architecture.md).
  buildGemmTilePipeline(pm);
  // The other ops (moe_gemm, sparse_attention, moe_align, ...) are still
  // built straight from the op.
  pm.addPass(createMoecLowerToKernels());
  // The kernel builders fold as they build: without canonicalizing the
  // gpu.module, benchmarks/asm_corpus.sh gave the same GEMM and MoE
  // kernels byte for byte, and the sparse attention kernels (gfx942, sm_90)
  // with a few instructions reordered, same counts and registers; the
  // canonicalizer was ~40% of the MLIR time of a compile. Only the host
  // functions (the launch's grid arithmetic) are canonicalized.
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void moec::buildKernelToLLVMPipeline(OpPassManager &pm,
                                     const TargetInfo &target) {
  if (target.isHost()) {
    pm.addPass(createMoecKernelsToHost());
    pm.addPass(arith::createArithExpandOpsPass());
    pm.addPass(createLowerAffinePass());
    pm.addPass(createSCFToControlFlowPass());
    pm.addPass(memref::createExpandStridedMetadataPass());
    pm.addPass(createLowerAffinePass());
    pm.addPass(createConvertVectorToLLVMPass());
    pm.addPass(createConvertMathToLLVMPass());
    pm.addPass(createArithToLLVMConversionPass());
    pm.addPass(createFinalizeMemRefToLLVMConversionPass());
    pm.addPass(createConvertFuncToLLVMPass());
    pm.addPass(createConvertControlFlowToLLVMPass());
    pm.addPass(createReconcileUnrealizedCastsPass());
    return;
  }

  buildKernelToLaneLevelPipeline(pm);
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createMoecConvertKernelsToLLVM());
  kernels.addPass(createReconcileUnrealizedCastsPass());
}

void moec::buildKernelToLaneLevelPipeline(OpPassManager &pm) {
  // GPU targets only. What this leaves is the last target-specific MLIR
  // before LLVM: what moec-convert-kernels-to-llvm turns into LLVM IR, and
  // what the AMD emulator (lib/Emulator) executes.
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(arith::createArithExpandOpsPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
}

void moec::registerMoecPassesAndPipelines() {
  registerMoecPasses();
  for (const TargetInfo &t : allTargets()) {
    std::string name = ("moec-lower-" + t.chip).str();
    std::string desc =
        ("moec ops -> kernels -> LLVM dialect for " + t.chip).str();
    const TargetInfo *target = &t;
    PassPipelineRegistration<>(name, desc, [target](OpPassManager &pm) {
      buildLoweringPipeline(pm, *target);
    });
    if (t.isAMDGPU()) {
      std::string lanes = ("moec-lower-" + t.chip + "-lanes").str();
      std::string laneDesc =
          ("moec ops -> lane-level kernels for " + t.chip +
           " (the input of moec-convert-kernels-to-llvm; what the emulator "
           "runs)")
              .str();
      PassPipelineRegistration<>(lanes, laneDesc, [](OpPassManager &pm) {
        buildKernelOutliningPipeline(pm);
        buildKernelToLaneLevelPipeline(pm);
      });
    }
  }
}
