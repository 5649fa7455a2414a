//===- QuantFp8Kernel.cpp - the moec.quant_fp8 kernel ---------------------===//
//
// fp8 quantization of an [M, K] activation (the op's description says what
// it computes). Target-independent (gpu/scf/arith/memref): the same lane
// program runs on AMD, NVIDIA and the host (lanes as fibers).
//
// A computed scale: a team of lanes takes one scale group (a row per token
// or the whole tensor: the workgroup's lanes; a row's group_k columns: 32
// lanes, several groups a workgroup). Each lane walks the group's elements
// strided by the team's lane count and keeps its amax; the partials meet in
// LDS, the team's first lane folds them into the scale, writes it to
// `scale` and to the team's first LDS slot; after a barrier every lane
// quantizes its elements with it. A static scale: workgroup g quantizes row g. Lanes
// stride over the columns of each row of their group (neighbouring lanes,
// neighbouring elements; no index division in the loops).
//
// The f32 -> fp8 conversion is integer arithmetic on the f32 bits (LLVM has
// no fp8 types and neither host nor sm_90 has a conversion instruction the
// lowering could name): the value is clamped to +-fp8_max first, so only
// normals and subnormals of the format occur; normals re-bias the exponent
// and round the mantissa to nearest even (a carry into the exponent is the
// right result), subnormals shift the implicit-one mantissa right with the
// same rounding. fnuz formats have no negative zero (0x80 is their NaN).
//
//===----------------------------------------------------------------------===//

#include "moec/Transforms/MoeKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace moec;

double moec::fp8MaxOf(Type fp8) {
  if (isa<Float8E4M3FNType>(fp8))
    return 448.0;
  if (isa<Float8E4M3FNUZType>(fp8))
    return 240.0;
  return 57344.0; // e5m2, e5m2fnuz
}

namespace {

struct Q {
  OpBuilder &b;
  Location loc;
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value ci(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value cf(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value and_(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value or_(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value shr(Value x, Value y) { return arith::ShRUIOp::create(b, loc, x, y); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(b, loc, x, y); }
  Value cmpi(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value sel(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value fmax(Value x, Value y) {
    // NaN-propagating is not needed: amax of finite activations.
    return sel(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y),
               x, y);
  }
  Value fabs(Value x) {
    Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), x);
    return arith::BitcastOp::create(b, loc, b.getF32Type(),
                                    and_(bits, ci(0x7FFFFFFF)));
  }
  Value toF32(Value v) {
    return v.getType().isF32()
               ? v
               : arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  }

  /// x (f32) -> the fp8 value of type `ft` nearest to clamp(x, +-max).
  Value encode(Value x, FloatType ft) {
    using P = arith::CmpIPredicate;
    bool fnuz = isa<Float8E4M3FNUZType, Float8E5M2FNUZType>(ft);
    int64_t mb = ft.getFPMantissaWidth() - 1; // stored mantissa bits
    int64_t eb = 7 - mb;
    int64_t bias = (int64_t(1) << (eb - 1)) - 1 + (fnuz ? 1 : 0);
    double maxV = fp8MaxOf(ft);
    Value isNan =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
    // clamp (NaN passes through the selects; handled at the end)
    Value c = sel(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                        cf(maxV)),
                  cf(maxV), x);
    c = sel(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, c,
                                  cf(-maxV)),
            cf(-maxV), c);
    Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), c);
    Value sign = and_(shr(bits, ci(24)), ci(0x80));
    Value a = and_(bits, ci(0x7FFFFFFF));
    // Normal: a >= the smallest normal of the format, 2^(1 - bias).
    int64_t shift = 23 - mb;
    Value rebased = sub(a, ci((127 - bias) << 23));
    Value lsb = and_(shr(rebased, ci(shift)), ci(1));
    Value normal = shr(add(rebased, add(ci((int64_t(1) << (shift - 1)) - 1),
                                        lsb)),
                       ci(shift));
    // Subnormal: round(mantissa-with-one >> s), s = (151 - bias - mb) - E.
    Value e = shr(a, ci(23));
    Value man = or_(and_(a, ci(0x7FFFFF)), ci(0x800000));
    Value s = sub(ci(151 - bias - mb), e);
    // (1..31: out of the subnormal range s is any value, and a shift by a
    // negative or >= 32 amount would be poison even where unselected.)
    s = sel(cmpi(P::sgt, s, ci(31)), ci(31), s);
    s = sel(cmpi(P::slt, s, ci(1)), ci(1), s);
    Value q = shr(man, s);
    Value rem = and_(man, sub(shl(ci(1), s), ci(1)));
    Value half = shl(ci(1), sub(s, ci(1)));
    Value up = or_(cmpi(P::ugt, rem, half),
                   arith::AndIOp::create(b, loc, cmpi(P::eq, rem, half),
                                         cmpi(P::eq, and_(q, ci(1)), ci(1))));
    Value sub_ = add(q, sel(up, ci(1), ci(0)));
    Value isNormal = cmpi(P::sge, a, ci((128 - bias) << 23));
    Value code = sel(isNormal, normal, sub_);
    // fnuz: no negative zero (0x80 is NaN there).
    Value withSign =
        fnuz ? sel(cmpi(P::eq, code, ci(0)), ci(0), or_(code, sign))
             : or_(code, sign);
    Value nanCode = ci(fnuz ? 0x80 : (eb == 4 ? 0x7F : 0x7E));
    withSign = sel(isNan, nanCode, withSign);
    Value i8 = arith::TruncIOp::create(b, loc, b.getI8Type(), withSign);
    return arith::BitcastOp::create(b, loc, ft, i8);
  }

  /// for (i = lo; i < hi; i += step) body(i)
  void loop(Value lo, Value hi, Value step, function_ref<void(Value)> body) {
    auto f = scf::ForOp::create(b, loc, lo, hi, step);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(f.getBody());
    body(f.getInductionVar());
  }
};

} // namespace

gpu::GPUFuncOp moec::buildQuantFp8Kernel(OpBuilder &b, gpu::GPUModuleOp module,
                                         StringRef name, QuantFp8Op op,
                                         const QuantFp8Plan &plan) {
  MLIRContext *ctx = b.getContext();
  Location loc = op.getLoc();
  auto global = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Global);
  auto inT = cast<MemRefType>(op.getInput().getType());
  auto outT = cast<MemRefType>(op.getOutput().getType());
  auto sT = cast<MemRefType>(op.getScale().getType());
  SmallVector<int64_t> dyn2(2, ShapedType::kDynamic),
      dynS(sT.getRank(), ShapedType::kDynamic);
  auto argIn = MemRefType::get(dyn2, inT.getElementType(),
                               MemRefLayoutAttrInterface(), global);
  auto argOut = MemRefType::get(dyn2, outT.getElementType(),
                                MemRefLayoutAttrInterface(), global);
  auto argS = MemRefType::get(dynS, sT.getElementType(),
                              MemRefLayoutAttrInterface(), global);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  auto func = gpu::GPUFuncOp::create(
      b, loc, name, FunctionType::get(ctx, {argIn, argOut, argS}, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(plan.lanes), 1, 1}));
  Value lds;
  if (!plan.staticScale)
    lds = func.addWorkgroupAttribution(
        MemRefType::get(
            {plan.lanes}, b.getF32Type(), MemRefLayoutAttrInterface(),
            gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)),
        loc);
  b.setInsertionPointToStart(&func.getBody().front());

  Q q{b, loc};
  auto ft = cast<FloatType>(outT.getElementType());
  Value in = func.getArgument(0), out = func.getArgument(1),
        scale = func.getArgument(2);
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value wg = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value c0 = q.idx(0), c1 = q.idx(1);
  Value rows = memref::DimOp::create(b, loc, in, c0);
  Value cols = memref::DimOp::create(b, loc, in, c1);
  int64_t sRank = sT.getRank();
  auto scaleIndex = [&](Value r, Value g) -> SmallVector<Value> {
    if (sRank == 0)
      return {};
    if (sRank == 1)
      return {plan.perTensor ? c0 : r};
    return {plan.perTensor ? c0 : r, g};
  };
  auto quantize = [&](Value r, Value c, Value s) {
    Value x = q.toF32(memref::LoadOp::create(b, loc, in, ValueRange{r, c}));
    Value y = arith::DivFOp::create(b, loc, x, s);
    memref::StoreOp::create(b, loc, q.encode(y, ft), out, ValueRange{r, c});
  };

  // Lanes form teams of plan.teamLanes, one scale group each: the
  // workgroup's one group (per token, per tensor, a static scale's row), or
  // plan.groupsPerWorkgroup() groups of group_k columns side by side.
  Value teamLanes = q.idx(plan.teamLanes);
  Value team = arith::DivUIOp::create(b, loc, tid, teamLanes);
  Value lane = arith::RemUIOp::create(b, loc, tid, teamLanes);
  Value teamBase = arith::MulIOp::create(b, loc, team, teamLanes);
  // The team's rows [r0, r0 + nRows) x columns [col0, col0 + width): a row
  // (per token, and a static scale), a row's group_k columns, or the whole
  // tensor (a computed per-tensor scale).
  Value r0 = wg, nRows = c1, col0 = c0, width = cols, g = c0;
  if (plan.groupK && !plan.staticScale) {
    Value gk = q.idx(plan.groupK);
    Value groups = arith::CeilDivUIOp::create(b, loc, cols, gk);
    Value gi = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, wg, q.idx(plan.groupsPerWorkgroup())),
        team);
    r0 = arith::DivUIOp::create(b, loc, gi, groups);
    g = arith::RemUIOp::create(b, loc, gi, groups);
    col0 = arith::MulIOp::create(b, loc, g, gk);
    width = arith::MinUIOp::create(b, loc, gk,
                                   arith::SubIOp::create(b, loc, cols, col0));
  } else if (plan.perTensor && !plan.staticScale) {
    r0 = c0;
    nRows = rows;
  }
  // Teams past the last group (the last workgroup's, or a launch with more
  // workgroups than the plan's) have nothing to do; they still meet the
  // others at the barriers.
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, r0,
                                        rows);
  Value rEnd = arith::SelectOp::create(
      b, loc, inRange, arith::AddIOp::create(b, loc, r0, nRows), r0);
  Value cBegin = arith::AddIOp::create(b, loc, col0, lane);
  Value cEnd = arith::AddIOp::create(b, loc, col0, width);
  // for r in rows, for c = col0 + lane; c < col0 + width; c += team lanes
  auto forEach = [&](function_ref<void(Value, Value)> body) {
    q.loop(r0, rEnd, c1, [&](Value r) {
      q.loop(cBegin, cEnd, teamLanes, [&](Value c) { body(r, c); });
    });
  };

  if (plan.staticScale) {
    Value s = memref::LoadOp::create(b, loc, scale, scaleIndex(c0, c0));
    forEach([&](Value r, Value c) { quantize(r, c, s); });
    gpu::ReturnOp::create(b, loc);
    return func;
  }

  // 1. The lane's amax, then the workgroup's through LDS.
  auto rowLoop =
      scf::ForOp::create(b, loc, r0, rEnd, c1, ValueRange{q.cf(0.0)});
  {
    OpBuilder::InsertionGuard ig(b);
    b.setInsertionPointToStart(rowLoop.getBody());
    auto colLoop = scf::ForOp::create(b, loc, cBegin, cEnd, teamLanes,
                                      rowLoop.getRegionIterArgs());
    {
      OpBuilder::InsertionGuard cg(b);
      b.setInsertionPointToStart(colLoop.getBody());
      Value x = q.toF32(memref::LoadOp::create(
          b, loc, in,
          ValueRange{rowLoop.getInductionVar(), colLoop.getInductionVar()}));
      scf::YieldOp::create(
          b, loc, q.fmax(colLoop.getRegionIterArgs()[0], q.fabs(x)));
    }
    scf::YieldOp::create(b, loc, colLoop.getResults());
  }
  memref::StoreOp::create(b, loc, rowLoop.getResult(0), lds, ValueRange{tid});
  gpu::BarrierOp::create(b, loc);
  Value lane0 =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, c0);
  {
    auto ifOp = scf::IfOp::create(b, loc, lane0, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard ig(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    auto fold = scf::ForOp::create(
        b, loc, teamBase, arith::AddIOp::create(b, loc, teamBase, teamLanes),
        c1, ValueRange{q.cf(0.0)});
    {
      OpBuilder::InsertionGuard fg(b);
      b.setInsertionPointToStart(fold.getBody());
      Value v = memref::LoadOp::create(b, loc, lds,
                                       ValueRange{fold.getInductionVar()});
      scf::YieldOp::create(b, loc,
                           q.fmax(fold.getRegionIterArgs()[0], v));
    }
    Value amax = q.fmax(fold.getResult(0), q.cf(1e-10));
    Value s = arith::DivFOp::create(b, loc, amax, q.cf(fp8MaxOf(ft)));
    memref::StoreOp::create(b, loc, s, lds, ValueRange{teamBase});
    auto write = scf::IfOp::create(b, loc, inRange, false);
    b.setInsertionPointToStart(write.thenBlock());
    memref::StoreOp::create(b, loc, s, scale, scaleIndex(r0, g));
  }
  gpu::BarrierOp::create(b, loc);
  // 2. Quantize with the group's scale.
  Value s = memref::LoadOp::create(b, loc, lds, ValueRange{teamBase});
  forEach([&](Value r, Value c) { quantize(r, c, s); });
  gpu::ReturnOp::create(b, loc);
  return func;
}
