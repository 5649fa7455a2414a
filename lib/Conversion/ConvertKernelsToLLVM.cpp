//===- ConvertKernelsToLLVM.cpp - kernels -> LLVM + ROCDL/NVVM ------------===//

// The pass base (Passes.h) names the dialects it depends on.
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"

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
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/AMDGPU/Utils/Chipset.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
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

/// nvgpu.mma.sync with bf16 operands -> nvvm.mma.sync. Upstream's lowering
/// (LLVM 22) deduces PTX types for f16, tf32, f64 and the integers only and
/// fails on bf16, although nvvm.mma.sync takes it: m16n8k16 with A as four
/// and B as two i32 (each a bf16 pair) and a four-f32 accumulator.
struct MmaSyncBF16ToNVVM : public ConvertOpToLLVMPattern<nvgpu::MmaSyncOp> {
  MmaSyncBF16ToNVVM(const LLVMTypeConverter &converter)
      : ConvertOpToLLVMPattern(converter, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(nvgpu::MmaSyncOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    VectorType aType = op.getMatrixA().getType();
    VectorType cType = op.getMatrixC().getType();
    if (!aType.getElementType().isBF16() ||
        !op.getMatrixB().getType().getElementType().isBF16() ||
        !cType.getElementType().isF32() ||
        op.getMmaShapeAsArray() != std::array<int64_t, 3>{16, 8, 16})
      return rewriter.notifyMatchFailure(op, "not a bf16 m16n8k16 f32 mma");
    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
    // Operands arrive as !llvm.array<R x vector<2 x T>>.
    auto rows = [&](Value v) {
      auto t = cast<LLVM::LLVMArrayType>(v.getType());
      SmallVector<Value> out;
      for (unsigned i = 0; i < t.getNumElements(); ++i)
        out.push_back(LLVM::ExtractValueOp::create(rewriter, loc, v, i));
      return out;
    };
    auto packed = [&](Value v) {
      SmallVector<Value> out;
      for (Value row : rows(v))
        out.push_back(LLVM::BitcastOp::create(rewriter, loc, i32, row));
      return out;
    };
    SmallVector<Value> c;
    for (Value row : rows(adaptor.getMatrixC()))
      for (int64_t e = 0; e < 2; ++e)
        c.push_back(LLVM::ExtractElementOp::create(
            rewriter, loc, row,
            LLVM::ConstantOp::create(rewriter, loc, i32,
                                     rewriter.getI32IntegerAttr(e))));
    auto resultType =
        LLVM::LLVMStructType::getLiteral(getContext(), {f32, f32, f32, f32});
    Value mma = NVVM::MmaOp::create(
        rewriter, loc, resultType, packed(adaptor.getMatrixA()),
        packed(adaptor.getMatrixB()), c, ArrayRef<int64_t>{16, 8, 16},
        std::nullopt, std::nullopt,
        std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                      NVVM::MMATypes::bf16},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    // Back to !llvm.array<2 x vector<2xf32>>.
    Type rowType = VectorType::get({2}, f32);
    Type arrayType = getTypeConverter()->convertType(cType);
    Value result = LLVM::PoisonOp::create(rewriter, loc, arrayType);
    for (int64_t r = 0; r < 2; ++r) {
      Value row = LLVM::PoisonOp::create(rewriter, loc, rowType);
      for (int64_t e = 0; e < 2; ++e)
        row = LLVM::InsertElementOp::create(
            rewriter, loc, row,
            LLVM::ExtractValueOp::create(rewriter, loc, mma, 2 * r + e),
            LLVM::ConstantOp::create(rewriter, loc, i32,
                                     rewriter.getI32IntegerAttr(e)));
      result = LLVM::InsertValueOp::create(rewriter, loc, result, row, r);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConvertKernelsToLLVMPass
    : public moec::impl::MoecConvertKernelsToLLVMBase<ConvertKernelsToLLVMPass> {
  void runOnOperation() override {
    gpu::GPUModuleOp kernels = getOperation();
    MLIRContext *ctx = &getContext();
    // The target: the gpu.module's own (#rocdl.target / #nvvm.target, set by
    // moec-lower-to-kernels), else the enclosing module's moec.target.
    const TargetInfo *target = nullptr;
    if (ArrayAttr targets = kernels.getTargetsAttr())
      for (Attribute t : targets) {
        if (auto rocdl = dyn_cast<ROCDL::ROCDLTargetAttr>(t))
          target = lookupTarget(rocdl.getChip());
        else if (auto nvvm = dyn_cast<NVVM::NVVMTargetAttr>(t))
          target = lookupTarget(nvvm.getChip());
        if (target)
          break;
      }
    if (!target) {
      auto module = kernels->getParentOfType<ModuleOp>();
      auto targetAttr = module ? module->getAttrOfType<TargetAttr>(
                                     MoecDialect::kTargetAttrName)
                               : TargetAttr();
      target = targetAttr ? lookupTarget(targetAttr.getChip()) : nullptr;
    }
    if (!target || target->isHost()) {
      kernels.emitError() << "moec-convert-kernels-to-llvm needs a GPU "
                             "target: #rocdl.target / #nvvm.target on the "
                             "gpu.module or `moec.target` on the enclosing "
                             "module";
      return signalPassFailure();
    }

    {
      // Dynamic masks (edge tiles) and strided slices (kpack) into forms the
      // LLVM conversion knows.
      RewritePatternSet patterns(ctx);
      vector::populateVectorMaskMaterializationPatterns(
          patterns, /*force32BitVectorIndices=*/true);
      vector::populateVectorInsertExtractStridedSliceTransforms(patterns);
      // n-D from_elements (a 2x2 mma.sync accumulator rebuilt element by
      // element, as the attention kernel's rescale does) -> 1-D ones.
      vector::populateVectorFromElementsUnrollPatterns(patterns);
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
    } else {
      configureGpuToNVVMTypeConverter(converter);
      populateNVGPUToNVVMConversionPatterns(converter, patterns);
      patterns.add<MmaSyncBF16ToNVVM>(converter);
      populateGpuToNVVMConversionPatterns(converter, patterns);
      configureGpuToNVVMConversionLegality(conversionTarget);
    }
    arith::populateArithToLLVMConversionPatterns(converter, patterns);
    // Math becomes LLVM intrinsics the backends lower natively (ex2.approx,
    // v_exp_f32, abs): outrank the GPU patterns that would call libdevice or
    // ocml, which moec does not link.
    populateMathToLLVMConversionPatterns(converter, patterns,
                                         /*approximateLog1p=*/true,
                                         /*benefit=*/10);
    cf::populateControlFlowToLLVMConversionPatterns(converter, patterns);
    populateFuncToLLVMConversionPatterns(converter, patterns);
    populateFinalizeMemRefToLLVMConversionPatterns(converter, patterns);
    populateVectorToLLVMConversionPatterns(converter, patterns);
    ub::populateUBToLLVMConversionPatterns(converter, patterns);
    conversionTarget.addLegalOp<gpu::GPUModuleOp>();
    // Upstream marks these intrinsics illegal to route them to libdevice /
    // ocml calls; both backends lower them natively (ex2.approx, v_exp_f32,
    // abs, bit ops), and moec links no device library.
    conversionTarget.addLegalOp<LLVM::Exp2Op, LLVM::FAbsOp, LLVM::CopySignOp>();
    if (failed(applyFullConversion(kernels, conversionTarget,
                                   std::move(patterns))))
      return signalPassFailure();
    if (target->isNVPTX()) {
      // gpu.dynamic_shared_memory lowers to an *internal* zero-length shared
      // global, which NVPTX prints as a 1-byte static `.shared` variable.
      // Dynamic shared memory is an `.extern .shared ... []` declaration:
      // give it external linkage.
      kernels.walk([](LLVM::GlobalOp global) {
        auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
        bool shared = global.getAddrSpace() ==
                      static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared);
        if (shared && array && array.getNumElements() == 0)
          global.setLinkage(LLVM::Linkage::External);
      });
    }
  }
};

} // namespace
