//===- HostCore.cpp - the tile product as scalar loops on the CPU ---------===//
//
// The host runs one lane per workgroup (a CPU task), so the "distribution"
// is trivial: the lane holds the whole block_m x block_n accumulator in a
// private buffer and multiplies with plain loops in f32. The skeleton around
// it (swizzle, K loop, masks, epilogue) is the same as on the GPUs, which is
// what host tests exercise.
//
//===----------------------------------------------------------------------===//

#include "moec/Conversion/MatrixCores.h"
#include "moec/Dialect/TargetChecks.h"
#include "moec/Transforms/MatrixCore.h"
#include "moec/Transforms/LdsLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace moec;

namespace {

class HostCore final : public MatrixCore {
public:
  explicit HostCore(const GemmKernelSpec &spec) : spec(spec) {}

  int64_t lanes() const override { return 1; }
  bool unrollsLanes() const override { return false; }

  SmallVector<Value> initAccumulators(OpBuilder &b, Location loc) override {
    accBuf = memref::AllocaOp::create(
        b, loc, MemRefType::get({spec.cfg().block_m, spec.cfg().block_n}, b.getF32Type()));
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
    forTile(b, loc, [&](Value i, Value j) {
      memref::StoreOp::create(b, loc, zero, accBuf, ValueRange{i, j});
    });
    return {};
  }

  SmallVector<Value> multiply(OpBuilder &b, Location loc, Value ldsA,
                              Value ldsB, Value buf, Value tid,
                              ValueRange) override {
    forTile(b, loc, [&](Value i, Value j) {
      Value init = memref::LoadOp::create(b, loc, accBuf, ValueRange{i, j});
      auto kLoop = scf::ForOp::create(b, loc, idx(b, loc, 0),
                                      idx(b, loc, spec.cfg().block_k),
                                      idx(b, loc, 1), ValueRange{init});
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(kLoop.getBody());
        Value k = kLoop.getInductionVar();
        // The GPU's swizzled layout, so host runs check it.
        Value a = toF32(
            b, loc,
            memref::LoadOp::create(
                b, loc, ldsA,
                ValueRange{buf, i, swizzledLdsCol(b, loc, ldsA, i, k)}));
        auto [bRow, bCol] = spec.ldsBIsKxN ? std::pair{k, j} : std::pair{j, k};
        Value w = toF32(
            b, loc,
            memref::LoadOp::create(
                b, loc, ldsB,
                ValueRange{buf, bRow, swizzledLdsCol(b, loc, ldsB, bRow, bCol)}));
        Value sum = arith::AddFOp::create(
            b, loc, kLoop.getRegionIterArgs()[0],
            arith::MulFOp::create(b, loc, a, w));
        scf::YieldOp::create(b, loc, ValueRange{sum});
      }
      memref::StoreOp::create(b, loc, kLoop.getResult(0), accBuf,
                              ValueRange{i, j});
    });
    return {};
  }

  void forEachElement(OpBuilder &b, Location loc, Value, ValueRange,
                      ElementFn fn) override {
    forTile(b, loc, [&](Value i, Value j) {
      fn(b, loc, i, j, memref::LoadOp::create(b, loc, accBuf, ValueRange{i, j}));
    });
  }

  SmallVector<Value> updateElements(OpBuilder &b, Location loc, Value,
                                    ValueRange, UpdateFn fn) override {
    forTile(b, loc, [&](Value i, Value j) {
      Value v = memref::LoadOp::create(b, loc, accBuf, ValueRange{i, j});
      memref::StoreOp::create(b, loc, fn(b, loc, i, j, v), accBuf,
                              ValueRange{i, j});
    });
    return {};
  }

private:
  static Value idx(OpBuilder &b, Location loc, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }
  static Value toF32(OpBuilder &b, Location loc, Value v) {
    if (v.getType().isF32())
      return v;
    return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  }
  /// Emits `for i < block_m, j < block_n { body(i, j) }`.
  void forTile(OpBuilder &b, Location loc,
               llvm::function_ref<void(Value, Value)> body) {
    auto rows = scf::ForOp::create(b, loc, idx(b, loc, 0),
                                   idx(b, loc, spec.cfg().block_m), idx(b, loc, 1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(rows.getBody());
    auto cols = scf::ForOp::create(b, loc, idx(b, loc, 0),
                                   idx(b, loc, spec.cfg().block_n), idx(b, loc, 1));
    b.setInsertionPointToStart(cols.getBody());
    body(rows.getInductionVar(), cols.getInductionVar());
  }

  const GemmKernelSpec &spec;
  Value accBuf;
};

} // namespace

void moec::registerHostMatrixCore() {
  MatrixCoreFactory f;
  f.create = [](const GemmKernelSpec &spec,
                Location loc) -> FailureOr<std::unique_ptr<MatrixCore>> {
    if (isFp8(spec.aType) || isFp8(spec.bType))
      return emitError(loc) << "fp8 GEMM on the host target is not supported "
                               "yet (no CPU fp8 conversion in the lowering)",
             failure();
    return std::unique_ptr<MatrixCore>(std::make_unique<HostCore>(spec));
  };
  registerMatrixCore(TargetKind::Host, std::move(f));
}

