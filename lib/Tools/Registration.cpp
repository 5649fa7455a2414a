//===- Registration.cpp - dialects and passes moec tools load -------------===//

#include "moec/Tools/Registration.h"
#include "moec/Conversion/MatrixCores.h"
#include "moec/Dialect/MoecDialect.h"
#include "moec/Target/LLVMIR.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

#include <mutex>

void moec::registerMoecDialects(mlir::DialectRegistry &registry) {
  registry.insert<moec::MoecDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::vector::VectorDialect,
                  mlir::gpu::GPUDialect, mlir::amdgpu::AMDGPUDialect,
                  mlir::ROCDL::ROCDLDialect, mlir::nvgpu::NVGPUDialect,
                  mlir::NVVM::NVVMDialect, mlir::LLVM::LLVMDialect,
                  mlir::math::MathDialect, mlir::cf::ControlFlowDialect,
                  mlir::affine::AffineDialect>();
  moec::registerLLVMIRTranslations(registry);
  // The per-target matrix cores plug into the target-independent lowering.
  static std::once_flag once;
  std::call_once(once, [] { moec::registerAllMatrixCores(); });
}

void moec::registerAllMoecPasses() {
  moec::registerMoecPassesAndPipelines();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  // The upstream steps of moec's pipelines, to run them one at a time.
  mlir::registerLowerAffinePass();
  mlir::arith::registerArithExpandOpsPass();
  mlir::registerSCFToControlFlowPass();
  mlir::memref::registerExpandStridedMetadataPass();
  mlir::registerConvertMathToLLVMPass();
  mlir::registerConvertGpuOpsToROCDLOps();
  mlir::registerConvertGpuOpsToNVVMOps();
  mlir::registerConvertNVGPUToNVVMPass();
  mlir::registerConvertVectorToLLVMPass();
  mlir::registerArithToLLVMConversionPass();
  mlir::registerFinalizeMemRefToLLVMConversionPass();
  mlir::registerConvertFuncToLLVMPass();
  mlir::registerConvertControlFlowToLLVMPass();
  mlir::registerReconcileUnrealizedCastsPass();
}
