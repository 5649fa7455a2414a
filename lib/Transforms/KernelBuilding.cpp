//===- KernelBuilding.cpp - pieces every kernel skeleton shares -----------===//

#include "moec/Transforms/KernelBuilding.h"
#include "moec/Transforms/MatrixCore.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace moec;

MemRefType moec::globalKernelArgType(MLIRContext *ctx, Type elt, int64_t rank) {
  auto global = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Global);
  return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic), elt,
                         MemRefLayoutAttrInterface(), global);
}

gpu::GPUFuncOp moec::createKernelFunc(OpBuilder &b, gpu::GPUModuleOp module,
                                      StringRef name, TypeRange argTypes,
                                      const KernelPlan &plan, MatrixCore &core,
                                      Location loc) {
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToEnd(module.getBody());
  auto func = gpu::GPUFuncOp::create(
      b, loc, name, FunctionType::get(b.getContext(), argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(plan.lanes), 1, 1}));
  core.decorateKernel(b, func);
  return func;
}

Value moec::allocateLds(OpBuilder &b, Location loc, gpu::GPUFuncOp func,
                        const KernelPlan &plan) {
  auto wg = gpu::AddressSpaceAttr::get(b.getContext(),
                                       gpu::AddressSpace::Workgroup);
  if (plan.dynamicLds) {
    // Dynamic shared memory (aligned to 16 bytes by the NVVM lowering), sized
    // at launch.
    return gpu::DynamicSharedMemoryOp::create(
        b, loc,
        MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                        MemRefLayoutAttrInterface(), wg));
  }
  Value raw = func.addWorkgroupAttribution(
      MemRefType::get({plan.ldsBytes}, b.getI8Type(),
                      MemRefLayoutAttrInterface(), wg),
      loc);
  // 16-byte vector stores and ldmatrix rows need an aligned base; without
  // this the lowering leaves the LDS global at alignment 1.
  func.setWorkgroupAttributionAttr(func.getNumWorkgroupAttributions() - 1,
                                   LLVM::LLVMDialect::getAlignAttrName(),
                                   b.getI64IntegerAttr(KernelPlan::kVectorBytes));
  return raw;
}

Value moec::ldsView(OpBuilder &b, Location loc, Value raw,
                    ArrayRef<int64_t> shape, Type elt, int64_t offset) {
  auto wg = gpu::AddressSpaceAttr::get(b.getContext(),
                                       gpu::AddressSpace::Workgroup);
  auto type = MemRefType::get(shape, elt, MemRefLayoutAttrInterface(), wg);
  return memref::ViewOp::create(
      b, loc, type, raw, arith::ConstantIndexOp::create(b, loc, offset),
      ValueRange{});
}

void moec::keepRolled(scf::ForOp loop) {
  MLIRContext *ctx = loop.getContext();
  auto unroll = LLVM::LoopUnrollAttr::get(
      ctx, /*disable=*/BoolAttr::get(ctx, true), /*count=*/{},
      /*runtimeDisable=*/{}, /*full=*/{}, /*followupUnrolled=*/{},
      /*followupRemainder=*/{}, /*followupAll=*/{});
  auto annotation = LLVM::LoopAnnotationAttr::get(
      ctx, /*disableNonforced=*/{}, /*vectorize=*/{}, /*interleave=*/{},
      unroll, /*unrollAndJam=*/{}, /*licm=*/{}, /*distribute=*/{},
      /*pipeline=*/{}, /*peeled=*/{}, /*unswitch=*/{}, /*mustProgress=*/{},
      /*isVectorized=*/{}, /*startLoc=*/{}, /*endLoc=*/{}, /*parallelAccesses=*/{});
  loop->setAttr("loop_annotation", annotation);
}
