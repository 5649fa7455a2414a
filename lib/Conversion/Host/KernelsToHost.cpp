//===- KernelsToHost.cpp - one-lane gpu.func kernels -> CPU functions -----===//

#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace moec {
#define GEN_PASS_DEF_MOECKERNELSTOHOST
#include "moec/Dialect/MoecPasses.h.inc"
} // namespace moec

using namespace mlir;
using namespace moec;

namespace {

/// The same memref type in the default (host) memory space.
Type toHostType(Type t) {
  auto m = dyn_cast<MemRefType>(t);
  if (!m || !m.getMemorySpace())
    return t;
  return MemRefType::get(m.getShape(), m.getElementType(), m.getLayout());
}

LogicalResult convertKernel(gpu::GPUFuncOp kernel, ModuleOp module) {
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = kernel.getLoc();
  SmallVector<Type> argTypes;
  for (Type t : kernel.getArgumentTypes())
    argTypes.push_back(toHostType(t));
  argTypes.append(3, b.getIndexType()); // workgroup id x, y, z
  auto func = func::FuncOp::create(b, loc, kernel.getName(),
                                   b.getFunctionType(argTypes, {}));
  for (StringRef attr : {"moec.lds_bytes", "moec.config"})
    if (Attribute a = kernel->getAttr(attr))
      func->setAttr(attr, a);
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  IRMapping map;
  unsigned numArgs = kernel.getNumArguments();
  for (unsigned i = 0; i < numArgs; ++i)
    map.map(kernel.getArgument(i), entry->getArgument(i));
  Value blockIds[3] = {entry->getArgument(numArgs),
                       entry->getArgument(numArgs + 1),
                       entry->getArgument(numArgs + 2)};
  for (BlockArgument wg : kernel.getWorkgroupAttributions())
    map.map(wg, memref::AllocaOp::create(
                    b, loc, cast<MemRefType>(toHostType(wg.getType()))));
  for (BlockArgument priv : kernel.getPrivateAttributions())
    map.map(priv, memref::AllocaOp::create(
                      b, loc, cast<MemRefType>(toHostType(priv.getType()))));

  if (!kernel.getBody().hasOneBlock())
    return kernel.emitError("host lowering expects single-block kernels");
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  for (Operation &op : kernel.getBody().front()) {
    if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
      map.map(id.getResult(), blockIds[static_cast<int>(id.getDimension())]);
      continue;
    }
    if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
      map.map(id.getResult(), zero); // one lane per workgroup
      continue;
    }
    if (auto dim = dyn_cast<gpu::BlockDimOp>(op)) {
      map.map(dim.getResult(), one);
      continue;
    }
    if (isa<gpu::ReturnOp>(op)) {
      func::ReturnOp::create(b, loc);
      continue;
    }
    b.clone(op, map);
  }
  // Nested ops: the same substitutions, and LDS types move to host memory.
  SmallVector<Operation *> toErase;
  WalkResult result = func.walk([&](Operation *op) {
    if (isa<gpu::BarrierOp>(op)) {
      toErase.push_back(op); // a single lane never waits for another
      return WalkResult::advance();
    }
    if (isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp>(
            op)) {
      op->emitOpError("inside a nested region is not supported on the host");
      return WalkResult::interrupt();
    }
    for (Value r : op->getResults())
      r.setType(toHostType(r.getType()));
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          arg.setType(toHostType(arg.getType()));
    return WalkResult::advance();
  });
  for (Operation *op : toErase)
    op->erase();
  return failure(result.wasInterrupted());
}

struct KernelsToHostPass
    : public moec::impl::MoecKernelsToHostBase<KernelsToHostPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto kernels = module.lookupSymbol<gpu::GPUModuleOp>(kKernelModuleName);
    if (!kernels)
      return;
    for (auto kernel : llvm::make_early_inc_range(
             kernels.getBody()->getOps<gpu::GPUFuncOp>()))
      if (failed(convertKernel(kernel, module)))
        return signalPassFailure();
    // The runtime launches host workgroups itself.
    SmallVector<Operation *> launches;
    module.walk([&](gpu::LaunchFuncOp op) { launches.push_back(op); });
    for (Operation *op : launches)
      op->erase();
    kernels.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
