//===- KernelBuilding.cpp - pieces every kernel skeleton shares -----------===//

#include "moec/Transforms/KernelBuilding.h"
#include "moec/Dialect/MoecDialect.h"
#include "moec/Transforms/MatrixCore.h"
#include "moec/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

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

//===----------------------------------------------------------------------===//
// Outlining: kernels and their launches
//===----------------------------------------------------------------------===//

/// Casts a buffer operand to the fully dynamic type the kernel takes:
/// static sizes are forgotten, a rank-0 scale becomes [1].
Value moec::castToKernelArg(OpBuilder &b, Location loc, Value v, Type kernelType) {
  auto src = cast<MemRefType>(v.getType());
  auto dst = cast<MemRefType>(kernelType);
  if (src.getRank() == 0 && dst.getRank() == 1) {
    auto one = MemRefType::get({1}, src.getElementType());
    v = memref::ExpandShapeOp::create(b, loc, one, v,
                                      ArrayRef<ReassociationIndices>{},
                                      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  }
  // Forget static sizes, then move into the kernel's (global) memory space.
  auto dynamic = MemRefType::get(dst.getShape(), dst.getElementType(),
                                 dst.getLayout(),
                                 cast<MemRefType>(v.getType()).getMemorySpace());
  if (v.getType() != dynamic)
    v = memref::CastOp::create(b, loc, dynamic, v);
  if (v.getType() != kernelType)
    v = memref::MemorySpaceCastOp::create(b, loc, kernelType, v);
  return v;
}

gpu::GPUModuleOp moec::getOrCreateKernelModule(ModuleOp module,
                                         const TargetInfo &target) {
  if (auto existing = module.lookupSymbol<gpu::GPUModuleOp>(kKernelModuleName))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  b.getUnitAttr());
  auto kernels = gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModuleName);
  // The target goes on the gpu.module as upstream puts it (#rocdl.target,
  // #nvvm.target); the conversion to LLVM reads it from there.
  if (Attribute t = getGpuModuleTarget(module.getContext(), target))
    kernels.setTargetsAttr(b.getArrayAttr({t}));
  return kernels;
}

/// A kernel name no symbol in the kernel module or the host module uses
/// yet: `<function>_<op>`, then `_1`, `_2`, ... The host lowering moves the
/// kernels into the host module, so a user function named like a kernel
/// (`@g_gemm` beside `@g`) must not be taken either. Looked up each time
/// rather than cached: every kernel built since is a new symbol.
std::string moec::uniqueKernelName(Operation *op, ModuleOp module,
                             gpu::GPUModuleOp kernels) {
  auto parent = op->getParentOfType<FunctionOpInterface>();
  std::string base =
      (parent ? parent.getName().str() + "_" : std::string()) +
      op->getName().stripDialect().str();
  auto taken = [&](StringRef name) {
    return SymbolTable::lookupSymbolIn(kernels, name) ||
           SymbolTable::lookupSymbolIn(module, name);
  };
  std::string name = base;
  for (int i = 1; taken(name); ++i)
    name = base + "_" + std::to_string(i);
  return name;
}

/// Where a moec op may stand: in a host function of the top-level module.
/// Anything else is reported at the op, in terms of the input file.
LogicalResult moec::checkPlacement(Operation *op, ModuleOp module) {
  if (op->getParentOfType<gpu::GPUModuleOp>() ||
      op->getParentOfType<gpu::GPUFuncOp>() ||
      op->getParentOfType<gpu::LaunchOp>())
    return op->emitOpError()
           << "inside GPU device code (a gpu.module, gpu.func or gpu.launch) "
              "is not supported: moec ops launch their own kernels, so call "
              "them from a host function (func.func)";
  if (op->getParentOfType<ModuleOp>() != module)
    return op->emitOpError()
           << "inside a nested module is not supported: moec compiles the "
              "ops of the file's top-level module only (a file with several "
              "top-level `module`s counts as nested; keep one module)";
  if (!op->getParentOfType<FunctionOpInterface>())
    return op->emitOpError() << "must be inside a function (func.func)";
  return success();
}

/// The kernels take row-major buffers only.
LogicalResult moec::checkIdentityLayouts(Operation *op) {
  for (Value v : op->getOperands())
    if (!cast<MemRefType>(v.getType()).getLayout().isIdentity())
      return op->emitOpError()
             << "operands with a non-identity layout are not supported by the "
                "kernel lowering yet: " << v.getType();
  return success();
}

/// The launch of a built kernel before `op`: its LDS attributes, the op's
/// operands cast to the kernel's argument types, then `makeGrid()`
/// workgroups of `lanesPerGroup` lanes; the op is erased. The numbers come
/// from the op's plan (a KernelPlan, or the plan struct of a kernel outside
/// the matrix skeleton: moe_align, act_and_mul), never recomputed here.
void moec::emitLaunch(OpBuilder &b, Operation *op, gpu::GPUFuncOp func,
                int64_t ldsBytes, bool dynamicLds, int64_t lanesPerGroup,
                Attribute config, llvm::function_ref<Value()> makeGrid,
                bool eraseOp) {
  func->setAttr(MoecDialect::kKernelLdsBytesAttrName,
                b.getI64IntegerAttr(ldsBytes));
  func->setAttr(MoecDialect::kKernelConfigAttrName, config);
  if (dynamicLds)
    func->setAttr(MoecDialect::kKernelDynamicLdsAttrName, b.getUnitAttr());
  Location loc = op->getLoc();
  SmallVector<Value> args;
  // The buffers: a moec op's operands, a tile launch's arguments.
  ValueRange operands = op->getOperands();
  if (auto launch = dyn_cast<TileLaunchOp>(op))
    operands = launch.getArgs();
  for (auto [v, t] : llvm::zip(operands, func.getFunctionType().getInputs()))
    args.push_back(castToKernelArg(b, loc, v, t));
  Value grid = makeGrid();
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value lanes = arith::ConstantIndexOp::create(b, loc, lanesPerGroup);
  Value dynamicSize;
  if (dynamicLds)
    dynamicSize = arith::ConstantOp::create(
        b, loc, b.getI32IntegerAttr(static_cast<int32_t>(ldsBytes)));
  gpu::LaunchFuncOp::create(b, loc, func, gpu::KernelDim3{grid, one, one},
                            gpu::KernelDim3{lanes, one, one}, dynamicSize, args);
  if (eraseOp)
    op->erase();
}

void moec::emitLaunch(OpBuilder &b, Operation *op, gpu::GPUFuncOp func,
                const KernelPlan &plan, Attribute config,
                llvm::function_ref<Value()> makeGrid, bool eraseOp) {
  emitLaunch(b, op, func, plan.ldsBytes, plan.dynamicLds, plan.lanes, config,
             makeGrid, eraseOp);
}

