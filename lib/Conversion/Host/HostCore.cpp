//===- HostCore.cpp - the tile product of the host's lanes ----------------===//
//
// The host runs the GPU skeleton's lane program: num_warps x 64 lanes per
// workgroup (the runtime runs each lane as a fiber; a host "wave" is 64
// lanes, CDNA's, so the skeleton's per-lane slot rounds, partial last
// rounds and guards are the ones the AMD kernels run). The accumulator tile
// is split into a grid of TM x TN sub-tiles, one per lane (lanes past the
// grid own nothing); each lane keeps its sub-tile in a private f32 buffer and
// reads its A rows and B rows from the swizzled LDS ring in vectors of
// kpack x 8 bytes (the MFMA core's LDS read width), so the copies into LDS,
// the swizzle, the barriers and the ring slots all decide the result.
//
// B may sit in LDS as K x N (attention's P x V, GemmKernelSpec::ldsBIsKxN):
// lanes then read it one element a step.
//
//===----------------------------------------------------------------------===//

#include "moec/Conversion/MatrixCores.h"
#include "moec/Dialect/TargetChecks.h"
#include "moec/Transforms/MatrixCore.h"
#include "moec/Transforms/LdsLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

using namespace mlir;
using namespace moec;

namespace {

class HostCore final : public MatrixCore {
public:
  explicit HostCore(const GemmKernelSpec &spec) : spec(spec) {
    bm = spec.cfg().block_m;
    bn = spec.cfg().block_n;
    numLanes = spec.plan.lanes;
    // The product's lanes: its waves' (a product of a bigger workgroup, as
    // attention's, may run on its first waves only).
    int64_t distLanes = std::min<int64_t>(
        numLanes, spec.cfg().num_warps * spec.plan.target->waveSize);
    // The smallest sub-tile whose grid fits the lanes, the squarest of
    // those: (bm / tm) x (bn / tn) lanes busy.
    int64_t best = -1;
    for (int64_t m = 1; m <= bm; ++m) {
      if (bm % m)
        continue;
      for (int64_t n = 1; n <= bn; ++n) {
        if (bn % n || (bm / m) * (bn / n) > distLanes)
          continue;
        int64_t cost = m * n * 4096 + std::abs(m - n);
        if (best < 0 || cost < best)
          best = cost, tm = m, tn = n;
      }
    }
    lanesN = bn / tn;
    busyLanes = (bm / tm) * lanesN;
  }

  int64_t lanes() const override { return numLanes; }

  SmallVector<Value> initAccumulators(OpBuilder &b, Location loc) override {
    auto alloca = memref::AllocaOp::create(
        b, loc, MemRefType::get({tm, tn}, b.getF32Type()));
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
    forSubTile(b, loc, [&](Value i, Value j) {
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
    Type elt = cast<MemRefType>(ldsA.getType()).getElementType();
    int64_t bk = spec.cfg().block_k;
    // K elements per LDS read: kpack x 8 bytes, inside one 16-byte swizzle
    // chunk (reads start at multiples of the width).
    int64_t width = std::clamp<int64_t>(spec.plan.kpack * 8 / elementBytes(elt),
                                        1, bk);
    while (bk % width)
      width /= 2;
    // B as K x N (attention's P x V): a lane's B column is strided, so it
    // reads one element of A and of B per step.
    if (spec.ldsBIsKxN)
      width = 1;
    auto vecType = VectorType::get({width}, elt);
    withLaneOrigin(b, loc, tid, [&](Value row0, Value col0) {
      forSubTile(b, loc, [&](Value i, Value j) {
        Value r = arith::AddIOp::create(b, loc, row0, i);
        Value c = arith::AddIOp::create(b, loc, col0, j);
        Value init = memref::LoadOp::create(b, loc, accBuf, ValueRange{i, j});
        auto kLoop = scf::ForOp::create(b, loc, idx(b, loc, 0), idx(b, loc, bk),
                                        idx(b, loc, width), ValueRange{init});
        {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPointToStart(kLoop.getBody());
          Value k = kLoop.getInductionVar();
          auto read = [&](Value lds, Value row, Value col) -> Value {
            return toF32(b, loc,
                         vector::LoadOp::create(
                             b, loc, vecType, lds,
                             ValueRange{buf, row,
                                        swizzledLdsCol(b, loc, lds, row, col)}));
          };
          Value prod = arith::MulFOp::create(
              b, loc, read(ldsA, r, k),
              spec.ldsBIsKxN ? read(ldsB, k, c) : read(ldsB, c, k));
          Value sum = vector::ReductionOp::create(
              b, loc, vector::CombiningKind::ADD, prod,
              kLoop.getRegionIterArgs()[0]);
          scf::YieldOp::create(b, loc, ValueRange{sum});
        }
        memref::StoreOp::create(b, loc, kLoop.getResult(0), accBuf,
                                ValueRange{i, j});
      });
    });
    return {};
  }

  void forEachElement(OpBuilder &b, Location loc, Value tid, ValueRange,
                      ElementFn fn) override {
    withLaneOrigin(b, loc, tid, [&](Value row0, Value col0) {
      forSubTile(b, loc, [&](Value i, Value j) {
        fn(b, loc, arith::AddIOp::create(b, loc, row0, i),
           arith::AddIOp::create(b, loc, col0, j),
           memref::LoadOp::create(b, loc, accBuf, ValueRange{i, j}));
      });
    });
  }

  SmallVector<Value> updateElements(OpBuilder &b, Location loc, Value tid,
                                    ValueRange, UpdateFn fn) override {
    withLaneOrigin(b, loc, tid, [&](Value row0, Value col0) {
      forSubTile(b, loc, [&](Value i, Value j) {
        Value v = memref::LoadOp::create(b, loc, accBuf, ValueRange{i, j});
        memref::StoreOp::create(
            b, loc,
            fn(b, loc, arith::AddIOp::create(b, loc, row0, i),
               arith::AddIOp::create(b, loc, col0, j), v),
            accBuf, ValueRange{i, j});
      });
    });
    return {};
  }

private:
  static Value idx(OpBuilder &b, Location loc, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }
  /// A scalar or vector in f32 (fp8 decoded from its bits).
  static Value toF32(OpBuilder &b, Location loc, Value v) {
    Type elt = getElementTypeOrSelf(v.getType());
    if (elt.isF32())
      return v;
    if (isFp8(elt))
      return fp8ToF32(b, loc, v);
    Type f32 = b.getF32Type();
    if (auto vt = dyn_cast<VectorType>(v.getType()))
      f32 = VectorType::get(vt.getShape(), f32);
    return arith::ExtFOp::create(b, loc, f32, v);
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
  /// Emits `for i < tm, j < tn { body(i, j) }` over this lane's sub-tile.
  void forSubTile(OpBuilder &b, Location loc,
                  llvm::function_ref<void(Value, Value)> body) {
    auto rows = scf::ForOp::create(b, loc, idx(b, loc, 0), idx(b, loc, tm),
                                   idx(b, loc, 1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(rows.getBody());
    auto cols = scf::ForOp::create(b, loc, idx(b, loc, 0), idx(b, loc, tn),
                                   idx(b, loc, 1));
    b.setInsertionPointToStart(cols.getBody());
    body(rows.getInductionVar(), cols.getInductionVar());
  }
  /// Calls `body(row0, col0)` with the first tile row and column of lane
  /// `tid`'s sub-tile, inside a guard when some lanes own none.
  void withLaneOrigin(OpBuilder &b, Location loc, Value tid,
                      llvm::function_ref<void(Value, Value)> body) {
    OpBuilder::InsertionGuard g(b);
    if (busyLanes < numLanes) {
      auto guard = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, tid,
                                idx(b, loc, busyLanes)),
          /*withElse=*/false);
      b.setInsertionPointToStart(guard.thenBlock());
    }
    Value row0 = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, tid, idx(b, loc, lanesN)),
        idx(b, loc, tm));
    Value col0 = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, tid, idx(b, loc, lanesN)),
        idx(b, loc, tn));
    body(row0, col0);
  }

  void zero(OpBuilder &b, Location loc, Value buf) {
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
    forSubTile(b, loc, [&](Value i, Value j) {
      memref::StoreOp::create(b, loc, zero, buf, ValueRange{i, j});
    });
  }

  const GemmKernelSpec &spec;
  int64_t bm, bn, numLanes;
  int64_t tm = 1, tn = 1; ///< each lane's sub-tile
  int64_t lanesN = 1;     ///< lanes along N in the sub-tile grid
  int64_t busyLanes = 1;  ///< lanes that own a sub-tile
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

