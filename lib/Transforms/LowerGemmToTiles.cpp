//===- LowerGemmToTiles.cpp - moec.gemm -> tile program + launch ----------===//
//
// The target-independent first step of the tile level (docs/architecture.md):
// one workgroup's GEMM written on tiles. Sizes come from the op's KernelPlan;
// nothing here looks at the target beyond that.
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Transforms/Activation.h"
#include "moec/Transforms/KernelBuilding.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace moec {
#define GEN_PASS_DEF_MOECLOWERGEMMTOTILES
#include "moec/Dialect/MoecPasses.h.inc"
} // namespace moec

using namespace mlir;
using namespace moec;

namespace {

/// `<function>_gemm`, then `_1`, `_2`, ...: a name no symbol of the module
/// has yet.
std::string uniqueProgramName(Operation *op, ModuleOp module) {
  auto parent = op->getParentOfType<FunctionOpInterface>();
  std::string base =
      (parent ? parent.getName().str() + "_" : std::string()) +
      op->getName().stripDialect().str();
  std::string name = base;
  for (int i = 1; SymbolTable::lookupSymbolIn(module, name); ++i)
    name = base + "_" + std::to_string(i);
  return name;
}

/// Builds the body of one GEMM tile program.
class GemmTileBuilder {
public:
  GemmTileBuilder(OpBuilder &b, Location loc, GemmOp op, const KernelPlan &plan)
      : b(b), loc(loc), op(op), cfg(plan.config) {}

  void build(func::FuncOp func);

private:
  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value ceilDiv(Value x, int64_t d) {
    return arith::CeilDivUIOp::create(b, loc, x, cst(d));
  }
  RankedTensorType tile(ArrayRef<int64_t> shape, Type elt) {
    return RankedTensorType::get(shape, elt);
  }
  static Type eltOf(Value v) {
    return cast<MemRefType>(v.getType()).getElementType();
  }
  /// A `rows x cols` tile of `mem` at (r, c), transposed when `trans`
  /// (then read as `cols x rows` at (c, r)).
  Value loadTile(Value mem, bool trans, Value r, Value c, Value rLim,
                 Value cLim, int64_t rows, int64_t cols);
  /// A per-tensor scale operand's value (loaded where the builder stands:
  /// before the K loop), or null for a per-row/column one.
  Value perTensorScale(Value scale);
  /// The f32 scale of a per-tensor (`value`, loaded) or per-row/column scale
  /// operand as a tile of the accumulator's shape; `dim` is the dimension a
  /// vector runs along.
  Value scaleTile(Value scale, Value value, Value off, Value lim, int64_t dim);
  Value toF32(Value v);

  OpBuilder &b;
  Location loc;
  GemmOp op;
  const ConfigValues &cfg;
  RankedTensorType accType;
};

Value GemmTileBuilder::loadTile(Value mem, bool trans, Value r, Value c,
                                Value rLim, Value cLim, int64_t rows,
                                int64_t cols) {
  Type elt = eltOf(mem);
  if (!trans)
    return TileLoadOp::create(b, loc, tile({rows, cols}, elt), mem,
                              ValueRange{r, c}, ValueRange{rLim, cLim},
                              Value());
  Value t = TileLoadOp::create(b, loc, tile({cols, rows}, elt), mem,
                               ValueRange{c, r}, ValueRange{cLim, rLim},
                               Value());
  return TileTransOp::create(b, loc, tile({rows, cols}, elt), t);
}

Value GemmTileBuilder::toF32(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getElementType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, t.clone(b.getF32Type()), v);
}

Value GemmTileBuilder::perTensorScale(Value scale) {
  if (!scale)
    return {};
  auto type = cast<MemRefType>(scale.getType());
  bool perTensor = type.getRank() == 0 ||
                   (type.getRank() == 1 && type.getDimSize(0) == 1);
  if (!perTensor)
    return {};
  return memref::LoadOp::create(
      b, loc, scale, type.getRank() ? ValueRange{cst(0)} : ValueRange{});
}

Value GemmTileBuilder::scaleTile(Value scale, Value value, Value off,
                                 Value lim, int64_t dim) {
  if (value)
    return TileSplatOp::create(b, loc, accType, value);
  Value v = TileLoadOp::create(b, loc, tile({accType.getDimSize(dim)},
                                            b.getF32Type()),
                               scale, ValueRange{off}, ValueRange{lim},
                               Value());
  return TileBroadcastOp::create(b, loc, accType, v, dim);
}

void GemmTileBuilder::build(func::FuncOp func) {
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ValueRange args = func.getArguments();
  Value A = args[0], B = args[1], C = args[2];
  unsigned next = 3;
  Value bias = op.getBias() ? args[next++] : Value();
  Value scaleA = op.getScaleA() ? args[next++] : Value();
  Value scaleB = op.getScaleB() ? args[next++] : Value();
  bool ta = op.getTransposeA(), tb = op.getTransposeB();
  int64_t bm = cfg.block_m, bn = cfg.block_n, bk = cfg.block_k;
  accType = tile({bm, bn}, b.getF32Type());

  Value M = memref::DimOp::create(b, loc, A, ta ? 1 : 0);
  Value K = memref::DimOp::create(b, loc, A, ta ? 0 : 1);
  Value N = memref::DimOp::create(b, loc, B, tb ? 0 : 1);

  // Program id -> (pid_m, pid_n), Triton's grouped ordering: group_m row
  // tiles share B's columns while they are hot in L2.
  Value pid = TileProgramIdOp::create(b, loc, b.getIndexType(), 0);
  Value numPidM = ceilDiv(M, bm), numPidN = ceilDiv(N, bn);
  Value inGroup = mul(cst(cfg.group_m), numPidN);
  Value groupId = arith::DivUIOp::create(b, loc, pid, inGroup);
  Value firstPidM = mul(groupId, cst(cfg.group_m));
  // Ops are created one per statement: the printed order must not depend
  // on the compiler's order of evaluating arguments.
  Value left = arith::SubIOp::create(b, loc, numPidM, firstPidM);
  Value groupSize = arith::MinSIOp::create(b, loc, left, cst(cfg.group_m));
  Value local = arith::RemUIOp::create(b, loc, pid, inGroup);
  Value pidM = add(firstPidM, arith::RemUIOp::create(b, loc, local, groupSize));
  Value pidN = arith::DivUIOp::create(b, loc, local, groupSize);
  Value m0 = mul(pidM, cst(bm)), n0 = mul(pidN, cst(bn));
  // Per-tensor scales: one value per program, read once before the K loop.
  Value scaleAValue = perTensorScale(scaleA);
  Value scaleBValue = perTensorScale(scaleB);

  // The K loop: one (block_m x block_k) x (block_k x block_n) product per
  // step, accumulated in f32.
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0).getValue()));
  Value numK = ceilDiv(K, bk);
  Value lb = cst(0);
  Value step = cst(1);
  auto loop = scf::ForOp::create(b, loc, lb, numK, step, ValueRange{zero});
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k0 = mul(loop.getInductionVar(), cst(bk));
    Value a = loadTile(A, ta, m0, k0, M, K, bm, bk);
    Value bt = loadTile(B, tb, k0, n0, K, N, bk, bn);
    Value acc = TileDotOp::create(b, loc, accType, a, bt,
                                  loop.getRegionIterArgs()[0]);
    scf::YieldOp::create(b, loc, acc);
  }

  // Epilogue: C = act(acc * scale_a * scale_b + bias), in f32, then C's type.
  Value v = loop.getResult(0);
  if (scaleA)
    v = arith::MulFOp::create(b, loc, v,
                              scaleTile(scaleA, scaleAValue, m0, M, 0));
  if (scaleB)
    v = arith::MulFOp::create(b, loc, v,
                              scaleTile(scaleB, scaleBValue, n0, N, 1));
  if (bias) {
    Value row = TileLoadOp::create(b, loc, tile({bn}, eltOf(bias)), bias,
                                   ValueRange{n0}, ValueRange{N}, Value());
    v = arith::AddFOp::create(
        b, loc, v, TileBroadcastOp::create(b, loc, accType, toF32(row), 1));
  }
  v = buildActivation(b, loc, op.getActivation(), v);
  Type cElt = eltOf(C);
  if (!cElt.isF32())
    v = arith::TruncFOp::create(b, loc, accType.clone(cElt), v);
  TileStoreOp::create(b, loc, v, C, ValueRange{m0, n0}, ValueRange{M, N});
  func::ReturnOp::create(b, loc);
}

LogicalResult lowerGemm(GemmOp op, const TargetInfo &target, ModuleOp module) {
  KernelPlan plan = getGemmPlan(op, target);
  Location loc = op.getLoc();
  std::string name = uniqueProgramName(op, module);

  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto func = func::FuncOp::create(
      b, loc, name, b.getFunctionType(op->getOperandTypes(), {}));
  func.setPrivate();
  func->setAttr(MoecDialect::kTileProgramAttrName, b.getUnitAttr());
  func->setAttr(MoecDialect::kKernelConfigAttrName, op.getConfig());
  GemmTileBuilder(b, loc, op, plan).build(func);

  // The launch: ceil(M / block_m) * ceil(N / block_n) programs, from the
  // sizes (canonicalize folds it to the plan's gridSize when M and N are
  // static).
  b.setInsertionPoint(op);
  auto cdiv = [&](Value x, int64_t d) {
    return arith::CeilDivUIOp::create(
        b, loc, x, arith::ConstantIndexOp::create(b, loc, d));
  };
  Value mv = memref::DimOp::create(b, loc, op.getA(), op.getTransposeA() ? 1 : 0);
  Value nv = memref::DimOp::create(b, loc, op.getB(), op.getTransposeB() ? 0 : 1);
  Value numPidM = cdiv(mv, plan.config.block_m);
  Value numPidN = cdiv(nv, plan.config.block_n);
  Value grid = arith::MulIOp::create(b, loc, numPidM, numPidN);
  TileLaunchOp::create(b, loc, name, grid, op->getOperands());
  op.erase();
  return success();
}

struct LowerGemmToTilesPass
    : public moec::impl::MoecLowerGemmToTilesBase<LowerGemmToTilesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<GemmOp> ops;
    module.walk([&](GemmOp op) { ops.push_back(op); });
    if (ops.empty())
      return;
    auto targetAttr =
        module->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName);
    if (!targetAttr) {
      module.emitError() << "moec-lower-gemm-to-tiles needs a `moec.target` "
                            "on the module: the tile sizes come from the "
                            "op's KernelPlan (moec compile sets it from "
                            "--arch)";
      return signalPassFailure();
    }
    const TargetInfo *target = lookupTarget(targetAttr.getChip());
    // Where a gemm may stand and what it takes, as moec-lower-to-kernels
    // says it for every moec op.
    bool refused = false;
    for (GemmOp op : ops)
      refused |= failed(checkPlacement(op, module)) ||
                 failed(checkIdentityLayouts(op));
    if (refused)
      return signalPassFailure();
    for (GemmOp op : ops)
      if (failed(lowerGemm(op, *target, module)))
        return signalPassFailure();
  }
};

} // namespace
