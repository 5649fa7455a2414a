//===- MatrixCore.cpp - pick the tile product for a target ----------------===//

#include "moec/Transforms/MatrixCore.h"
#include "moec/Dialect/TargetChecks.h"

#include "llvm/ADT/DenseMap.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace moec;

namespace {
llvm::DenseMap<int, MatrixCoreFactory> &factories() {
  static llvm::DenseMap<int, MatrixCoreFactory> f;
  return f;
}
} // namespace

void moec::registerMatrixCore(TargetKind kind, MatrixCoreFactory factory) {
  factories()[static_cast<int>(kind)] = std::move(factory);
}

void moec::getMatrixCoreDialects(DialectRegistry &registry) {
  for (auto &entry : factories())
    if (entry.second.dependentDialects)
      entry.second.dependentDialects(registry);
}

Attribute moec::getGpuModuleTarget(MLIRContext *ctx, const TargetInfo &target) {
  auto it = factories().find(static_cast<int>(target.kind));
  if (it == factories().end() || !it->second.gpuModuleTarget)
    return {};
  return it->second.gpuModuleTarget(ctx, target);
}

FailureOr<std::unique_ptr<MatrixCore>>
moec::createMatrixCore(const GemmKernelSpec &spec, Location loc) {
  const TargetInfo &t = *spec.plan.target;
  auto it = factories().find(static_cast<int>(t.kind));
  if (it == factories().end())
    return emitError(loc) << "no matrix core is registered for " << t.chip
                          << " (the tool did not link or register its target "
                             "library)",
           failure();
  FailureOr<std::unique_ptr<MatrixCore>> core = it->second.create(spec, loc);
  if (failed(core))
    return failure();
  if (!*core)
    return emitError(loc) << "no " << t.chip
                          << " lowering for this gemm configuration ("
                          << spec.plan.mangle() << ")",
           failure();
  return core;
}

//===----------------------------------------------------------------------===//
// Accumulator elements
//===----------------------------------------------------------------------===//

void MatrixCore::forEachElement(OpBuilder &b, Location loc, Value tid,
                                ValueRange acc, ElementFn fn) {
  visitElements(b, loc, tid, acc,
                [&](OpBuilder &bb, Location l, Value row, Value col, Value &v) {
                  fn(bb, l, row, col, v);
                });
}

SmallVector<Value> MatrixCore::updateElements(OpBuilder &b, Location loc,
                                              Value tid, ValueRange acc,
                                              UpdateFn fn) {
  return visitElements(
      b, loc, tid, acc,
      [&](OpBuilder &bb, Location l, Value row, Value col, Value &v) {
        v = fn(bb, l, row, col, v);
      });
}

SmallVector<Value> MatrixCore::addAccumulators(OpBuilder &b, Location loc,
                                               ValueRange acc,
                                               ValueRange tile) {
  SmallVector<Value> out;
  for (auto [x, y] : llvm::zip(acc, tile))
    out.push_back(arith::AddFOp::create(b, loc, x, y));
  return out;
}

SmallVector<Value> MatrixCore::visitElements(OpBuilder &, Location, Value,
                                             ValueRange, VisitFn) {
  llvm_unreachable("a core without visitElements must override "
                   "forEachElement and updateElements");
}

//===----------------------------------------------------------------------===//
// Global access, guarded by branches
//===----------------------------------------------------------------------===//

int64_t moec::accessBytes(Type type) {
  if (auto v = dyn_cast<VectorType>(type))
    return v.getNumElements() * elementBytes(v.getElementType());
  return elementBytes(type);
}

std::pair<memref::ExtractStridedMetadataOp, Value>
MatrixCore::windowStart(OpBuilder &b, Location loc, Value memref, Value row,
                        Value col) {
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value start = arith::AddIOp::create(
      b, loc, meta.getOffset(),
      arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, row, meta.getStrides()[0]),
          arith::MulIOp::create(b, loc, col, meta.getStrides()[1])));
  return {meta, start};
}

Value MatrixCore::globalWindow(OpBuilder &b, Location loc, Value memref,
                               Value row, Value col) {
  // A 1-D view from (row, col) on; its size bounds nothing (accesses carry
  // their own validity), so it is the whole remaining array.
  auto [meta, start] = windowStart(b, loc, memref, row, col);
  Value size = arith::MulIOp::create(b, loc, meta.getSizes()[0],
                                     meta.getStrides()[0]);
  auto type = cast<MemRefType>(memref.getType());
  auto viewType = MemRefType::get(
      {ShapedType::kDynamic}, type.getElementType(),
      StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, {1}),
      type.getMemorySpace());
  OpFoldResult one = b.getIndexAttr(1);
  return memref::ReinterpretCastOp::create(b, loc, viewType,
                                           meta.getBaseBuffer(), start,
                                           OpFoldResult(size), one);
}

Value MatrixCore::loadGlobal(OpBuilder &b, Location loc, Value window,
                             Type type, Value offset, Value valid) {
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{type}, valid,
                                /*withElse=*/true);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  Value v;
  if (auto vt = dyn_cast<VectorType>(type))
    v = vector::LoadOp::create(b, loc, vt, window, ValueRange{offset},
                               /*nontemporal=*/false,
                               llvm::MaybeAlign(accessBytes(type)));
  else
    v = memref::LoadOp::create(b, loc, window, ValueRange{offset});
  scf::YieldOp::create(b, loc, v);
  b.setInsertionPointToStart(ifOp.elseBlock());
  scf::YieldOp::create(
      b, loc,
      ValueRange{arith::ConstantOp::create(b, loc, type,
                                           cast<TypedAttr>(b.getZeroAttr(type)))});
  return ifOp.getResult(0);
}

void MatrixCore::storeGlobal(OpBuilder &b, Location loc, Value window,
                             Value value, Value offset, Value valid) {
  auto ifOp = scf::IfOp::create(b, loc, valid, /*withElse=*/false);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  if (isa<VectorType>(value.getType()))
    vector::StoreOp::create(b, loc, value, window, ValueRange{offset},
                            /*nontemporal=*/false,
                            llvm::MaybeAlign(accessBytes(value.getType())));
  else
    memref::StoreOp::create(b, loc, value, window, ValueRange{offset});
}

void MatrixCore::atomicAddGlobal(OpBuilder &b, Location loc, Value window,
                                 Value value, Value offset, Value valid) {
  auto ifOp = scf::IfOp::create(b, loc, valid, /*withElse=*/false);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  auto vt = dyn_cast<VectorType>(value.getType());
  int64_t n = vt ? vt.getNumElements() : 1;
  for (int64_t e = 0; e < n; ++e) {
    Value x = vt ? vector::ExtractOp::create(b, loc, value, e).getResult()
                 : value;
    Value at = e ? arith::AddIOp::create(
                       b, loc, offset,
                       arith::ConstantIndexOp::create(b, loc, e))
                       .getResult()
                 : offset;
    memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addf, x, window,
                                ValueRange{at});
  }
}
