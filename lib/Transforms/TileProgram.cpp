//===- TileProgram.cpp - a GEMM tile program as the tile passes see it ----===//

#include "moec/Transforms/TileProgram.h"
#include "moec/Dialect/OpPlans.h"

using namespace mlir;
using namespace moec;

/// The tile load behind a dot operand and whether it is transposed.
static FailureOr<std::pair<TileLoadOp, bool>> operandLoad(Value v) {
  bool trans = false;
  if (auto t = v.getDefiningOp<TileTransOp>()) {
    v = t.getSource();
    trans = true;
  }
  auto load = v.getDefiningOp<TileLoadOp>();
  if (!load || !isa<BlockArgument>(load.getBase()))
    return failure();
  return std::make_pair(load, trans);
}

FailureOr<GemmTileProgram> GemmTileProgram::match(func::FuncOp func) {
  GemmTileProgram p;
  p.func = func;
  auto fail = [&](const Twine &what) {
    func.emitError() << "tile program '" << func.getName()
                     << "' is not a GEMM tile program: " << what;
    return failure();
  };
  p.config = func->getAttrOfType<ConfigAttr>(MoecDialect::kKernelConfigAttrName);
  if (!p.config)
    return fail("it has no `moec.config`");
  if (func.getBody().empty())
    return fail("it has no body");
  SmallVector<TileDotOp> dots;
  func.walk([&](TileDotOp d) { dots.push_back(d); });
  if (dots.size() != 1)
    return fail("it has " + Twine(dots.size()) + " moec.tile.dot, not one");
  p.dot = dots.front();
  p.kLoop = dyn_cast<scf::ForOp>(p.dot->getParentOp());
  Block &entry = func.getBody().front();
  if (!p.kLoop || p.kLoop->getBlock() != &entry ||
      p.kLoop.getNumRegionIterArgs() != 1 ||
      p.dot.getAcc() != p.kLoop.getRegionIterArgs()[0] ||
      p.kLoop.getBody()->getTerminator()->getOperand(0) != p.dot.getResult())
    return fail("its tile.dot is not the accumulation of a K loop (an "
                "scf.for in the function's body carrying the accumulator)");
  auto a = operandLoad(p.dot.getA()), b = operandLoad(p.dot.getB());
  if (failed(a) || failed(b))
    return fail("a tile.dot operand is not a (transposed) tile.load of a "
                "function argument");
  std::tie(p.aLoad, p.transposeA) = *a;
  std::tie(p.bLoad, p.transposeB) = *b;
  SmallVector<TileStoreOp> stores;
  func.walk([&](TileStoreOp s) { stores.push_back(s); });
  if (stores.size() != 1 || stores.front()->getBlock() != &entry ||
      !p.kLoop->isBeforeInBlock(stores.front()))
    return fail("it does not end in one tile.store after the K loop");
  p.store = stores.front();
  if (!isa<BlockArgument>(p.store.getBase()))
    return fail("its tile.store does not write a function argument");
  return p;
}

MatmulProblem GemmTileProgram::problem() const {
  GemmTileProgram p = *this; // op handles: their accessors are not const
  return getGemmProblem(config, p.aLoad.getBase(), p.bLoad.getBase(),
                        p.store.getBase(), transposeA, transposeB);
}

KernelPlan GemmTileProgram::plan(const TargetInfo &target) const {
  return KernelPlan::get(ConfigValues(config), target, problem());
}

LogicalResult moec::getTilePrograms(ModuleOp module, StringRef pass,
                                    SmallVectorImpl<GemmTileProgram> &programs,
                                    const TargetInfo *&target) {
  SmallVector<func::FuncOp> funcs;
  module.walk([&](func::FuncOp f) {
    if (f->hasAttr(MoecDialect::kTileProgramAttrName))
      funcs.push_back(f);
  });
  if (funcs.empty())
    return success();
  auto targetAttr =
      module->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName);
  if (!targetAttr)
    return module.emitError()
           << pass << " needs a `moec.target` on the module: its decisions "
           << "come from the program's KernelPlan on that target";
  target = lookupTarget(targetAttr.getChip());
  for (func::FuncOp f : funcs) {
    FailureOr<GemmTileProgram> p = GemmTileProgram::match(f);
    if (failed(p))
      return failure();
    programs.push_back(*p);
  }
  return success();
}
