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

#include <cmath>

using namespace mlir;
using namespace moec;

namespace {

class HostCore final : public MatrixCore {
public:
  explicit HostCore(const GemmKernelSpec &spec) : spec(spec) {}

  int64_t lanes() const override { return 1; }
  bool unrollsLanes() const override { return false; }

  SmallVector<Value> initAccumulators(OpBuilder &b, Location loc) override {
    auto alloca = memref::AllocaOp::create(
        b, loc, MemRefType::get({spec.cfg().block_m, spec.cfg().block_n}, b.getF32Type()));
    accBuf = mainBuf = alloca;
    mainAlloca = alloca;
    zero(b, loc, accBuf);
    return {};
  }

  // Block-wise scales: the K tile's product goes to a second buffer
  // (allocated once, next to the main one, outside the K loop), which
  // addAccumulators adds into the main one.
  SmallVector<Value> initTileAccumulators(OpBuilder &b,
                                          Location loc) override {
    if (!tileBuf) {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointAfter(mainAlloca);
      tileBuf = memref::AllocaOp::create(b, loc, mainAlloca.getType());
    }
    accBuf = tileBuf;
    zero(b, loc, accBuf);
    return {};
  }

  SmallVector<Value> addAccumulators(OpBuilder &b, Location loc, ValueRange,
                                     ValueRange) override {
    forTile(b, loc, [&](Value i, Value j) {
      Value x = memref::LoadOp::create(b, loc, mainBuf, ValueRange{i, j});
      Value y = memref::LoadOp::create(b, loc, tileBuf, ValueRange{i, j});
      memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, x, y),
                              mainBuf, ValueRange{i, j});
    });
    accBuf = mainBuf;
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
    if (isFp8(v.getType()))
      return fp8ToF32(b, loc, v);
    return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  }
  /// fp8 (OCP e4m3fn / e5m2, fnuz e4m3fnuz / e5m2fnuz) -> f32 from the bits:
  /// LLVM has no fp8 types, so the host decodes them with integer ops (the
  /// GPUs' matrix units read them natively). Normal: sign | (e - bias + 127)
  /// << 23 | m << (23 - mb); subnormal: m x 2^(1 - bias - mb); NaN and inf
  /// as each format defines them.
  static Value fp8ToF32(OpBuilder &b, Location loc, Value v) {
    // Works element-wise on a scalar or a vector of fp8.
    auto vt = dyn_cast<VectorType>(v.getType());
    auto ft = cast<FloatType>(vt ? vt.getElementType() : v.getType());
    auto like = [&](Type elt) -> Type {
      return vt ? Type(VectorType::get(vt.getShape(), elt)) : elt;
    };
    bool fnuz = isa<Float8E4M3FNUZType, Float8E5M2FNUZType>(ft);
    int64_t mb = ft.getFPMantissaWidth() - 1; // stored mantissa bits
    int64_t eb = 7 - mb;
    int64_t bias = (int64_t(1) << (eb - 1)) - 1 + (fnuz ? 1 : 0);
    bool e5m2 = eb == 5;
    Type i32 = like(b.getI32Type()), f32 = like(b.getF32Type());
    auto constant = [&](Type t, Attribute scalar) -> Value {
      Attribute a = vt ? Attribute(DenseElementsAttr::get(
                             cast<ShapedType>(t), scalar))
                       : scalar;
      return arith::ConstantOp::create(b, loc, cast<TypedAttr>(a));
    };
    auto ci = [&](int64_t c) { return constant(i32, b.getI32IntegerAttr(c)); };
    auto cf = [&](double c) { return constant(f32, b.getF32FloatAttr(c)); };
    auto eq = [&](Value x, Value y) {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
    };
    Value bits8 = arith::BitcastOp::create(b, loc, like(b.getI8Type()), v);
    Value x = arith::ExtUIOp::create(b, loc, i32, bits8);
    Value sign = arith::AndIOp::create(b, loc, x, ci(0x80));
    Value e = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, x, ci(mb)),
        ci((int64_t(1) << eb) - 1));
    Value m = arith::AndIOp::create(b, loc, x, ci((int64_t(1) << mb) - 1));
    Value normalBits = arith::OrIOp::create(
        b, loc,
        arith::OrIOp::create(
            b, loc, arith::ShLIOp::create(b, loc, sign, ci(24)),
            arith::ShLIOp::create(
                b, loc, arith::AddIOp::create(b, loc, e, ci(127 - bias)),
                ci(23))),
        arith::ShLIOp::create(b, loc, m, ci(23 - mb)));
    Value normal = arith::BitcastOp::create(b, loc, f32, normalBits);
    Value sub = arith::MulFOp::create(
        b, loc, arith::UIToFPOp::create(b, loc, f32, m),
        cf(std::ldexp(1.0, static_cast<int>(1 - bias - mb))));
    sub = arith::SelectOp::create(b, loc, eq(sign, ci(0)), sub,
                                  arith::NegFOp::create(b, loc, sub));
    Value r = arith::SelectOp::create(b, loc, eq(e, ci(0)), sub, normal);
    Value nan = cf(std::nan(""));
    if (fnuz) // 0x80 is the only NaN; no infinities
      return arith::SelectOp::create(b, loc, eq(x, ci(0x80)), nan, r);
    Value eMax = eq(e, ci((int64_t(1) << eb) - 1));
    if (!e5m2) // e4m3fn: S.1111.111 is NaN, no infinities
      return arith::SelectOp::create(
          b, loc, arith::AndIOp::create(b, loc, eMax, eq(m, ci(7))), nan, r);
    // e5m2: IEEE-like, all-ones exponent is inf (m = 0) or NaN
    Value inf = arith::SelectOp::create(b, loc, eq(sign, ci(0)),
                                        cf(INFINITY), cf(-INFINITY));
    Value special = arith::SelectOp::create(b, loc, eq(m, ci(0)), inf, nan);
    return arith::SelectOp::create(b, loc, eMax, special, r);
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

  void zero(OpBuilder &b, Location loc, Value buf) {
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
    forTile(b, loc, [&](Value i, Value j) {
      memref::StoreOp::create(b, loc, zero, buf, ValueRange{i, j});
    });
  }

  const GemmKernelSpec &spec;
  /// The accumulator multiply and updateElements work on: the main one, or
  /// a K tile's during a block-wise scaled product.
  Value accBuf, mainBuf, tileBuf;
  memref::AllocaOp mainAlloca;
};

} // namespace

void moec::registerHostMatrixCore() {
  MatrixCoreFactory f;
  f.create = [](const GemmKernelSpec &spec,
                Location loc) -> FailureOr<std::unique_ptr<MatrixCore>> {
    return std::unique_ptr<MatrixCore>(std::make_unique<HostCore>(spec));
  };
  registerMatrixCore(TargetKind::Host, std::move(f));
}

