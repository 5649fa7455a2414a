//===- KernelsToHost.cpp - gpu.func kernels -> CPU lane functions ---------===//
//
// A host kernel is the GPU kernel's lane program (HostKernel.h): the runtime
// calls it once per lane, each lane a fiber. Thread ids, barriers and the
// workgroup's LDS become calls into the runtime; a one-lane kernel keeps
// its workgroup memory on its stack and drops its barriers.

#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
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

/// The runtime functions a multi-lane kernel calls (HostKernel.h), declared
/// once in `module`.
struct LaneRuntime {
  func::FuncOp threadId, barrier, lds, shuffleXor;

  static LaneRuntime declare(ModuleOp module) {
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    MLIRContext *ctx = module.getContext();
    auto get = [&](StringRef name, FunctionType type) {
      if (auto f = module.lookupSymbol<func::FuncOp>(name))
        return f;
      auto f = func::FuncOp::create(b, module.getLoc(), name, type);
      f.setPrivate();
      return f;
    };
    Type i64 = b.getI64Type();
    LaneRuntime r;
    r.threadId = get("moec_host_thread_id", b.getFunctionType({}, {i64}));
    r.barrier = get("moec_host_barrier", b.getFunctionType({i64}, {}));
    r.lds = get("moec_host_lds",
                b.getFunctionType({i64}, {LLVM::LLVMPointerType::get(ctx)}));
    Type i32 = b.getI32Type();
    r.shuffleXor = get("moec_host_shuffle_xor",
                       b.getFunctionType({i32, i32, i32, i64}, {i32}));
    return r;
  }
};

/// The workgroup's LDS as a memref<bytes x i8>: the runtime's shared
/// buffer (moec_host_lds), wrapped in a memref descriptor.
Value workgroupLds(OpBuilder &b, Location loc, LaneRuntime &rt, int64_t bytes) {
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto i64c = [&](int64_t v) {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };
  Value ptr = func::CallOp::create(b, loc, rt.lds, ValueRange{i64c(bytes)})
                  .getResult(0);
  auto array = LLVM::LLVMArrayType::get(i64, 1);
  auto descType = LLVM::LLVMStructType::getLiteral(
      ctx, {ptrType, ptrType, i64, array, array});
  Value d = LLVM::PoisonOp::create(b, loc, descType);
  d = LLVM::InsertValueOp::create(b, loc, d, ptr, ArrayRef<int64_t>{0});
  d = LLVM::InsertValueOp::create(b, loc, d, ptr, ArrayRef<int64_t>{1});
  d = LLVM::InsertValueOp::create(b, loc, d, i64c(0), ArrayRef<int64_t>{2});
  d = LLVM::InsertValueOp::create(b, loc, d, i64c(bytes),
                                  ArrayRef<int64_t>{3, 0});
  d = LLVM::InsertValueOp::create(b, loc, d, i64c(1), ArrayRef<int64_t>{4, 0});
  auto type = MemRefType::get({bytes}, b.getI8Type());
  return UnrealizedConversionCastOp::create(b, loc, TypeRange{type},
                                            ValueRange{d})
      .getResult(0);
}

int64_t staticBytes(MemRefType t) {
  int64_t bits = t.getElementTypeBitWidth();
  return t.getNumElements() * ((bits + 7) / 8);
}

LogicalResult convertKernel(gpu::GPUFuncOp kernel, ModuleOp module,
                            LaneRuntime &rt) {
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = kernel.getLoc();
  // The workgroup's lanes: the plan's, recorded as the known block size.
  int64_t lanes = 1;
  if (auto known = kernel.getKnownBlockSizeAttr()) {
    lanes = known[0];
    if (known[1] != 1 || known[2] != 1)
      return kernel.emitError("host kernels take one-dimensional workgroups");
  }
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
  if (lanes == 1) {
    // One lane: workgroup memory is its own stack.
    for (BlockArgument wg : kernel.getWorkgroupAttributions())
      map.map(wg, memref::AllocaOp::create(
                      b, loc, cast<MemRefType>(toHostType(wg.getType()))));
  } else if (!kernel.getWorkgroupAttributions().empty()) {
    // Lanes share LDS: one runtime buffer, each attribution a view of it.
    SmallVector<int64_t> offsets;
    int64_t total = 0;
    for (BlockArgument wg : kernel.getWorkgroupAttributions()) {
      auto t = cast<MemRefType>(wg.getType());
      if (!t.hasStaticShape() || !t.getLayout().isIdentity())
        return kernel.emitError("host lowering expects static, row-major "
                                "workgroup memory, not ")
               << t;
      total = llvm::alignTo(total, 16);
      offsets.push_back(total);
      total += staticBytes(t);
    }
    Value raw = workgroupLds(b, loc, rt, total);
    for (auto [wg, offset] :
         llvm::zip(kernel.getWorkgroupAttributions(), offsets))
      map.map(wg, memref::ViewOp::create(
                      b, loc, cast<MemRefType>(toHostType(wg.getType())), raw,
                      arith::ConstantIndexOp::create(b, loc, offset),
                      ValueRange{}));
  }
  for (BlockArgument priv : kernel.getPrivateAttributions())
    map.map(priv, memref::AllocaOp::create(
                      b, loc, cast<MemRefType>(toHostType(priv.getType()))));

  if (!kernel.getBody().hasOneBlock())
    return kernel.emitError("host lowering expects single-block kernels");
  for (Operation &op : kernel.getBody().front()) {
    if (isa<gpu::ReturnOp>(op)) {
      func::ReturnOp::create(b, loc);
      continue;
    }
    b.clone(op, map);
  }

  // The lane's ids, barriers, and LDS types moved to host memory, at any
  // depth.
  Value laneId;
  auto getLaneId = [&]() -> Value {
    if (!laneId) {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(entry);
      Value id = func::CallOp::create(b, loc, rt.threadId, ValueRange{})
                     .getResult(0);
      laneId = arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
    }
    return laneId;
  };
  int64_t barriers = 0;
  SmallVector<Operation *> toErase;
  WalkResult result = func.walk([&](Operation *op) {
    if (isa<gpu::BarrierOp>(op)) {
      toErase.push_back(op);
      if (lanes == 1)
        return WalkResult::advance(); // a single lane never waits
      OpBuilder ob(op);
      Value site = arith::ConstantIntOp::create(ob, op->getLoc(),
                                                ob.getI64Type(), barriers++);
      func::CallOp::create(ob, op->getLoc(), rt.barrier, ValueRange{site});
      return WalkResult::advance();
    }
    if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
      OpBuilder ob(op);
      Value v = id.getDimension() == gpu::Dimension::x && lanes > 1
                    ? getLaneId()
                    : arith::ConstantIndexOp::create(ob, op->getLoc(), 0)
                          .getResult();
      op->getResult(0).replaceAllUsesWith(v);
      toErase.push_back(op);
      return WalkResult::advance();
    }
    if (auto dim = dyn_cast<gpu::BlockDimOp>(op)) {
      OpBuilder ob(op);
      int64_t n = dim.getDimension() == gpu::Dimension::x ? lanes : 1;
      op->getResult(0).replaceAllUsesWith(
          arith::ConstantIndexOp::create(ob, op->getLoc(), n));
      toErase.push_back(op);
      return WalkResult::advance();
    }
    if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
      op->getResult(0).replaceAllUsesWith(
          blockIds[static_cast<int>(id.getDimension())]);
      toErase.push_back(op);
      return WalkResult::advance();
    }
    if (auto sh = dyn_cast<gpu::ShuffleOp>(op)) {
      // xor of 32-bit values: the runtime exchanges them (all lanes meet,
      // numbered with the barriers); the source lane must exist, so valid
      // is true.
      Type t = sh.getValue().getType();
      if (sh.getMode() != gpu::ShuffleMode::XOR ||
          !(t.isF32() || t.isInteger(32))) {
        op->emitOpError("on the host: only xor of f32 or i32 values");
        return WalkResult::interrupt();
      }
      OpBuilder ob(op);
      Location l = op->getLoc();
      Type i32 = ob.getI32Type();
      Value bits = t.isF32() ? arith::BitcastOp::create(ob, l, i32,
                                                        sh.getValue())
                                   .getResult()
                             : sh.getValue();
      Value site = arith::ConstantIntOp::create(ob, l, ob.getI64Type(),
                                                barriers++);
      Value r = func::CallOp::create(
                    ob, l, rt.shuffleXor,
                    ValueRange{bits, sh.getOffset(), sh.getWidth(), site})
                    .getResult(0);
      if (t.isF32())
        r = arith::BitcastOp::create(ob, l, t, r);
      sh.getShuffleResult().replaceAllUsesWith(r);
      sh.getValid().replaceAllUsesWith(
          arith::ConstantIntOp::create(ob, l, ob.getI1Type(), 1).getResult());
      toErase.push_back(op);
      return WalkResult::advance();
    }
    if (isa<gpu::GPUDialect>(op->getDialect())) {
      // Other cross-lane ops (subgroup reductions, ballots) and the grid
      // size have no host form.
      op->emitOpError("is not supported on the host (the runtime provides "
                      "lane ids, barriers, LDS and xor shuffles only)");
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
    LaneRuntime rt = LaneRuntime::declare(module);
    for (auto kernel : llvm::make_early_inc_range(
             kernels.getBody()->getOps<gpu::GPUFuncOp>()))
      if (failed(convertKernel(kernel, module, rt)))
        return signalPassFailure();
    // The runtime launches host workgroups itself.
    SmallVector<Operation *> launches;
    module.walk([&](gpu::LaunchFuncOp op) { launches.push_back(op); });
    for (Operation *op : launches)
      op->erase();
    kernels.erase();
    // Declarations nothing calls (one-lane kernels only) go again.
    for (func::FuncOp f : {rt.threadId, rt.barrier, rt.lds, rt.shuffleXor})
      if (SymbolTable::symbolKnownUseEmpty(f, module))
        f.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
