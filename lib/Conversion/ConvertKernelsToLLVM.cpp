//===- ConvertKernelsToLLVM.cpp - kernels -> LLVM + ROCDL/NVVM ------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Conversion/AMDGPUToROCDL/AMDGPUToROCDL.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/GPUToROCDL/GPUToROCDLPass.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/AMDGPU/Utils/Chipset.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace moec {
#define GEN_PASS_DEF_MOECCONVERTKERNELSTOLLVM
#include "moec/Dialect/MoecPasses.h.inc"
} // namespace moec

using namespace mlir;
using namespace moec;

namespace {

struct ConvertKernelsToLLVMPass
    : public moec::impl::MoecConvertKernelsToLLVMBase<ConvertKernelsToLLVMPass> {
  void runOnOperation() override {
    gpu::GPUModuleOp kernels = getOperation();
    MLIRContext *ctx = &getContext();
    auto module = kernels->getParentOfType<ModuleOp>();
    auto targetAttr = module ? module->getAttrOfType<TargetAttr>(
                                   MoecDialect::kTargetAttrName)
                             : TargetAttr();
    const TargetInfo *target =
        targetAttr ? lookupTarget(targetAttr.getChip()) : nullptr;
    if (!target || target->isHost()) {
      kernels.emitError() << "moec-convert-kernels-to-llvm needs a GPU "
                             "`moec.target` on the enclosing module";
      return signalPassFailure();
    }

    {
      // Dynamic masks (edge tiles) and strided slices (kpack) into forms the
      // LLVM conversion knows.
      RewritePatternSet patterns(ctx);
      vector::populateVectorMaskMaterializationPatterns(
          patterns, /*force32BitVectorIndices=*/true);
      vector::populateVectorInsertExtractStridedSliceTransforms(patterns);
      if (failed(applyPatternsGreedily(kernels, std::move(patterns))))
        return signalPassFailure();
    }

    LowerToLLVMOptions options(ctx);
    LLVMTypeConverter converter(ctx, options);
    RewritePatternSet patterns(ctx);
    LLVMConversionTarget conversionTarget(*ctx);
    if (target->isAMDGPU()) {
      FailureOr<amdgpu::Chipset> chipset = amdgpu::Chipset::parse(target->chip);
      if (failed(chipset)) {
        kernels.emitError() << "unknown AMD chipset " << target->chip;
        return signalPassFailure();
      }
      populateGpuMemorySpaceAttributeConversions(
          converter, [](gpu::AddressSpace space) -> unsigned {
            switch (space) {
            case gpu::AddressSpace::Global:
              return 1;
            case gpu::AddressSpace::Workgroup:
              return 3;
            case gpu::AddressSpace::Private:
              return 5;
            }
            return 0;
          });
      populateAMDGPUToROCDLConversionPatterns(converter, patterns, *chipset);
      populateGpuToROCDLConversionPatterns(converter, patterns,
                                           gpu::amd::Runtime::HIP, *chipset);
      configureGpuToROCDLConversionLegality(conversionTarget);
      // The backend expands f32 exp2 in line (v_exp_f32 with denormal
      // scaling); upstream's legality would send it to __ocml_exp2_f32.
      conversionTarget.addDynamicallyLegalOp<LLVM::Exp2Op>([](Operation *op) {
        return getElementTypeOrSelf(op->getResult(0).getType()).isF32();
      });
    } else {
      configureGpuToNVVMTypeConverter(converter);
      populateNVGPUToNVVMConversionPatterns(converter, patterns);
      populateGpuToNVVMConversionPatterns(converter, patterns);
      configureGpuToNVVMConversionLegality(conversionTarget);
    }
    arith::populateArithToLLVMConversionPatterns(converter, patterns);
    // Math ops (the activations' exp2, abs, copysign) become LLVM
    // intrinsics where the target's legality allows: the GPU-to-ROCDL/NVVM
    // patterns would call __ocml_*/__nv_* device-library functions, which
    // nothing links into the code object. Outrank them.
    populateMathToLLVMConversionPatterns(converter, patterns,
                                         /*approximateLog1p=*/true,
                                         /*benefit=*/2);
    cf::populateControlFlowToLLVMConversionPatterns(converter, patterns);
    populateFuncToLLVMConversionPatterns(converter, patterns);
    populateFinalizeMemRefToLLVMConversionPatterns(converter, patterns);
    populateVectorToLLVMConversionPatterns(converter, patterns);
    conversionTarget.addLegalOp<gpu::GPUModuleOp>();
    if (failed(applyFullConversion(kernels, conversionTarget,
                                   std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
