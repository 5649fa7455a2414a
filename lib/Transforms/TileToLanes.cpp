//===- TileToLanes.cpp - annotated tile programs -> lane-level kernels ----===//
//
// moec-tile-to-lanes: the conversion that materializes the decisions the
// tile passes wrote (TileDecisions.cpp). For each moec.tile.launch of a GEMM
// tile program it builds the gpu.func with the GEMM skeleton's pieces
// (GemmKernelBuilder.cpp), which take every decision from the spec's plan;
// the plan's decided fields are set here from the attributes, not from the
// config:
//
//   #moec.core      lanes, num_warps, waves_per_eu, the instruction, its K,
//                   matrix_instr_nonkdim, kpack       -> the matrix core
//   #moec.pipeline  num_stages, LDS buffers, async copies, ring bytes
//                                                     -> the K loop variant
//   #moec.epilogue  direct | lds, its LDS tile        -> the epilogue
//   #moec.access    vector widths, aligned leading dimensions
//                                                     -> loads and stores
//
// The program's scalar part before the K loop (sizes, the workgroup
// swizzle, per-tensor scale loads) is cloned into the kernel with the block
// id for the program id; its epilogue (every op between the K loop and the
// store: arith/math on the accumulator tile, splats, broadcasts of rank-1
// tile loads) is converted element by element in the matrix core's layout
// (MatrixCore::forEachElement), whatever ops it holds.
//
//===----------------------------------------------------------------------===//

#include "moec/Transforms/GemmKernel.h"
#include "moec/Transforms/KernelBuilding.h"
#include "moec/Transforms/MatrixCore.h"
#include "moec/Transforms/Passes.h"
#include "moec/Transforms/TileProgram.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/ScopeExit.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace moec {
#define GEN_PASS_DEF_MOECTILETOLANES
#include "moec/Dialect/MoecPasses.h.inc"
} // namespace moec

using namespace mlir;
using namespace moec;

namespace {

/// The decisions of one program, each from its attribute.
struct Decisions {
  CoreAttr core;
  PipelineAttr pipeline;
  EpilogueAttr epilogue;
  AccessAttr a, b, c;

  /// Reads them, or fails naming the pass that has not run.
  static FailureOr<Decisions> read(GemmTileProgram p) {
    Decisions d;
    auto get = [&](Operation *op, StringRef name, StringRef pass,
                   auto &out) -> LogicalResult {
      out = op->getAttrOfType<std::remove_reference_t<decltype(out)>>(name);
      if (out)
        return success();
      return op->emitError() << "moec-tile-to-lanes: no '" << name
                             << "' decision here; run " << pass
                             << " first";
    };
    if (failed(get(p.dot, MoecDialect::kCoreAttrName, "moec-tile-select-core",
                   d.core)) ||
        failed(get(p.kLoop, MoecDialect::kPipelineAttrName,
                   "moec-tile-pipeline", d.pipeline)) ||
        failed(get(p.store, MoecDialect::kEpilogueAttrName,
                   "moec-tile-epilogue", d.epilogue)) ||
        failed(get(p.aLoad, MoecDialect::kAccessAttrName,
                   "moec-tile-global-access", d.a)) ||
        failed(get(p.bLoad, MoecDialect::kAccessAttrName,
                   "moec-tile-global-access", d.b)) ||
        failed(get(p.store, MoecDialect::kAccessAttrName,
                   "moec-tile-global-access", d.c)))
      return failure();
    return d;
  }

  /// The plan the skeleton builds from: the program's (target, problem) with
  /// every decided number replaced by the attributes' (the config copy
  /// too, since the cores read num_warps and waves_per_eu from it).
  FailureOr<KernelPlan> apply(KernelPlan plan, Location loc) const {
    ConfigValues &cfg = plan.config;
    cfg.num_warps = core.getNumWarps();
    cfg.waves_per_eu = core.getWavesPerEu();
    cfg.matrix_instr_nonkdim = core.getNonkdim();
    cfg.kpack = core.getKpack();
    plan.lanes = core.getLanes();
    plan.nonKDim = core.getNonkdim();
    plan.kpack = core.getKpack();
    plan.instrK = core.getInstrK();
    plan.instr.reset();
    for (const MatrixInstr &mi : plan.target->matrixInstrs)
      if (mi.mnemonic == core.getInstr())
        plan.instr = mi;
    if (!core.getInstr().empty() && !plan.instr)
      return emitError(loc) << "moec-tile-to-lanes: " << plan.target->chip
                            << " has no matrix instruction '"
                            << core.getInstr() << "'",
             failure();

    cfg.num_stages = pipeline.getNumStages();
    cfg.async_copy = pipeline.getAsyncCopy();
    plan.numStages = pipeline.getNumStages();
    plan.numLdsBuffers = pipeline.getLdsBuffers();
    plan.asyncCopy = pipeline.getAsyncCopy();
    plan.ldsABytes = pipeline.getLdsABytes();
    plan.ldsBBytes = pipeline.getLdsBBytes();

    cfg.epilogue = epilogue.getKind();
    plan.epilogue = epilogue.getKind();
    plan.epilogueLdsBytes = epilogue.getLdsBytes();
    plan.layoutLds();

    plan.vecA = a.getVec();
    plan.vecB = b.getVec();
    plan.vecC = c.getVec();
    plan.ldAligned[0] = a.getAligned();
    plan.ldAligned[1] = b.getAligned();
    plan.ldAligned[2] = c.getAligned();
    return plan;
  }
};

/// Builds the kernel of one program and replaces its launch.
class ProgramLowering {
public:
  explicit ProgramLowering(const GemmTileProgram &p) : p(p) {}

  LogicalResult lower(TileLaunchOp launch, const TargetInfo &target,
                      gpu::GPUModuleOp kernels);

private:
  FailureOr<GemmTileHooks::Origin> prologue(OpBuilder &b, ValueRange args,
                                            function_ref<Value()> programId);
  /// A scalar of the program at the kernel's insertion point: cloned in
  /// the prologue, or cloned now (with its operands) when it is computed
  /// after the K loop.
  Value scalar(OpBuilder &b, Value v);
  /// The stored element (row, col) of the program's epilogue, from the
  /// element's f32 accumulator value.
  Value epilogueElement(OpBuilder &b, Location loc, Value row, Value col,
                        Value gRow, Value gCol, Value acc);
  Value clone(OpBuilder &b, Operation *op, ValueRange operands,
              function_ref<Type(Type)> resultType);

  GemmTileProgram p;
  IRMapping map; ///< program scalars -> kernel values
  /// While an element of the epilogue is built: the scalars cloned for it,
  /// forgotten afterwards (the next element may be in another block).
  SmallVectorImpl<Value> *lazy = nullptr;
  LogicalResult status = success();
};

Value ProgramLowering::clone(OpBuilder &b, Operation *op, ValueRange operands,
                             function_ref<Type(Type)> resultType) {
  OperationState state(op->getLoc(), op->getName());
  state.addOperands(operands);
  state.addAttributes(op->getAttrs());
  for (Type t : op->getResultTypes())
    state.addTypes(resultType(t));
  return b.create(state)->getResult(0);
}

Value ProgramLowering::scalar(OpBuilder &b, Value v) {
  if (Value m = map.lookupOrNull(v))
    return m;
  Operation *op = v.getDefiningOp();
  if (!op || op->getNumRegions() || op->getNumResults() != 1 ||
      llvm::any_of(op->getOperandTypes(), llvm::IsaPred<TensorType>)) {
    (op ? op->emitError() : emitError(v.getLoc()))
        << "moec-tile-to-lanes: cannot compute this scalar per lane";
    status = failure();
    return arith::ConstantIndexOp::create(b, v.getLoc(), 0);
  }
  SmallVector<Value> operands;
  for (Value o : op->getOperands())
    operands.push_back(scalar(b, o));
  Value r = clone(b, op, operands, [](Type t) { return t; });
  map.map(v, r);
  if (lazy)
    lazy->push_back(v);
  return r;
}

FailureOr<GemmTileHooks::Origin>
ProgramLowering::prologue(OpBuilder &b, ValueRange args,
                          function_ref<Value()> programId) {
  for (auto [from, to] : llvm::zip(p.func.getArguments(), args))
    map.map(from, to);
  // What only the K loop's bounds use (its trip count) is made where the
  // skeleton builds the loop, on demand (tripCount).
  DenseSet<Operation *> deferred;
  for (Operation *op = p.kLoop->getPrevNode(); op; op = op->getPrevNode())
    if (!op->use_empty() && isMemoryEffectFree(op) &&
        llvm::all_of(op->getUsers(), [&](Operation *user) {
          return user == p.kLoop.getOperation() || deferred.contains(user);
        }) &&
        llvm::none_of(p.kLoop.getInitArgs(), [&](Value v) {
          return v.getDefiningOp() == op;
        }))
      deferred.insert(op);
  for (Operation &op : p.func.getBody().front()) {
    if (&op == p.kLoop.getOperation())
      break;
    if (deferred.contains(&op))
      continue;
    if (isa<TileProgramIdOp>(op)) {
      map.map(op.getResult(0), programId());
      continue;
    }
    // Tiles (the accumulator's zero) become the core's accumulators.
    if (llvm::any_of(op.getResultTypes(), llvm::IsaPred<TensorType>))
      continue;
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      // A rank-0 memref (a per-tensor scale) is a [1] kernel argument.
      Value mem = map.lookup(load.getMemRef());
      SmallVector<Value> idx;
      for (Value i : load.getIndices())
        idx.push_back(map.lookup(i));
      if (idx.empty() && cast<MemRefType>(mem.getType()).getRank() == 1)
        idx.push_back(arith::ConstantIndexOp::create(b, load.getLoc(), 0));
      map.map(load.getResult(),
              memref::LoadOp::create(b, load.getLoc(), mem, idx).getResult());
      continue;
    }
    if (op.getNumRegions())
      return op.emitError() << "moec-tile-to-lanes: a region before the K "
                               "loop is not supported",
             failure();
    b.clone(op, map);
  }
  // The skeleton's assumptions about the program's tiles, checked.
  auto same = [](Value x, Value y) { return x == y; };
  Value aRow = p.aLoad.getIndices()[p.transposeA ? 1 : 0];
  Value bCol = p.bLoad.getIndices()[p.transposeB ? 0 : 1];
  Value kA = p.aLoad.getBounds()[p.transposeA ? 0 : 1];
  if (!same(aRow, p.store.getIndices()[0]) ||
      !same(bCol, p.store.getIndices()[1]) ||
      !same(p.aLoad.getBounds()[p.transposeA ? 1 : 0], p.store.getBounds()[0]) ||
      !same(p.bLoad.getBounds()[p.transposeB ? 0 : 1], p.store.getBounds()[1]))
    return p.store.emitError()
               << "moec-tile-to-lanes: the output tile is not at the rows of "
                  "A's tile and the columns of B's (the GEMM skeleton's "
                  "tiling)",
           failure();
  if (!matchPattern(p.kLoop.getLowerBound(), m_Zero()) ||
      !matchPattern(p.kLoop.getStep(), m_One()))
    return p.kLoop.emitError() << "moec-tile-to-lanes: the K loop must run "
                                  "from 0 in steps of 1",
           failure();
  GemmTileHooks::Origin o;
  o.M = map.lookup(p.store.getBounds()[0]);
  o.N = map.lookup(p.store.getBounds()[1]);
  o.K = map.lookup(kA);
  o.m0 = map.lookup(p.store.getIndices()[0]);
  o.n0 = map.lookup(p.store.getIndices()[1]);
  o.numK = [this, &b] { return scalar(b, p.kLoop.getUpperBound()); };
  return o;
}

/// The dimension of the output tile a rank-1 tile runs along: that of the
/// broadcast it reaches through element-wise ops; -1 if none.
static int64_t broadcastDim(Value v) {
  for (Operation *user : v.getUsers()) {
    if (auto bc = dyn_cast<TileBroadcastOp>(user))
      return bc.getDim();
    if (user->hasTrait<OpTrait::Elementwise>() && user->getNumResults() == 1)
      if (int64_t d = broadcastDim(user->getResult(0)); d >= 0)
        return d;
  }
  return -1;
}

Value ProgramLowering::epilogueElement(OpBuilder &b, Location loc, Value row,
                                       Value col, Value gRow, Value gCol,
                                       Value acc) {
  DenseMap<Value, Value> memo; // tile values -> this element's scalar
  memo[p.kLoop.getResult(0)] = acc;
  SmallVector<Value> clonedHere;
  lazy = &clonedHere;
  llvm::scope_exit forget([&] {
    for (Value v : clonedHere)
      map.erase(v);
    lazy = nullptr;
  });
  auto fail = [&](Operation *op, const Twine &what) {
    op->emitError() << "moec-tile-to-lanes: " << what;
    status = failure();
  };
  // The epilogue: the ops between the K loop and the store, in program order
  // (the order the lane-level code keeps). The indices of the rank-1 loads
  // (bias, per-row/column scales) come first: element (row, col) reads
  // element row or col of each, at an index clamped into its bound when the
  // vector lines up with the output tile (the store drops every element past
  // that bound), else masked (`other`, zero by default).
  SmallVector<Operation *> ops;
  for (Operation *op = p.kLoop->getNextNode(); op && op != p.store.getOperation();
       op = op->getNextNode())
    ops.push_back(op);
  DenseMap<Operation *, std::pair<Value, Value>> vectorIndex; // (index, valid)
  for (Operation *op : ops) {
    auto load = dyn_cast<TileLoadOp>(op);
    if (!load)
      continue;
    int64_t dim = broadcastDim(load.getResult());
    if (load.getType().getRank() != 1 || dim < 0) {
      fail(op, "a tile load of the epilogue must be a vector broadcast "
               "along the output tile");
      return acc;
    }
    bool linesUp = load.getIndices()[0] == p.store.getIndices()[dim] &&
                   load.getBounds()[0] == p.store.getBounds()[dim];
    // Lined up, the index is the element's own output coordinate.
    Value lim = scalar(b, load.getBounds()[0]);
    Value idx = linesUp ? (dim == 0 ? gRow : gCol)
                        : arith::AddIOp::create(
                              b, loc, scalar(b, load.getIndices()[0]),
                              dim == 0 ? row : col)
                              .getResult();
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value last = arith::SubIOp::create(b, loc, lim, one);
    Value clamped = arith::MinSIOp::create(b, loc, idx, last);
    Value valid = linesUp ? Value()
                          : arith::CmpIOp::create(
                                b, loc, arith::CmpIPredicate::slt, idx, lim)
                                .getResult();
    vectorIndex[op] = {clamped, valid};
  }
  auto operand = [&](Value v) -> Value {
    if (isa<TensorType>(v.getType()))
      return memo.lookup(v);
    return scalar(b, v);
  };
  for (Operation *op : ops) {
    if (op->getNumResults() != 1) {
      fail(op, "cannot convert this op of the epilogue element by element");
      return acc;
    }
    Value res = op->getResult(0);
    if (!isa<TensorType>(res.getType()))
      continue; // a scalar: cloned where an element needs it
    Value r;
    DenseElementsAttr dense;
    if (auto load = dyn_cast<TileLoadOp>(op)) {
      auto [idx, valid] = vectorIndex.lookup(op);
      r = memref::LoadOp::create(b, loc, map.lookup(load.getBase()), idx);
      if (valid) {
        Value other = load.getOther()
                          ? scalar(b, load.getOther())
                          : arith::ConstantOp::create(
                                b, loc, b.getZeroAttr(r.getType()))
                                .getResult();
        r = arith::SelectOp::create(b, loc, valid, r, other);
      }
    } else if (auto splat = dyn_cast<TileSplatOp>(op)) {
      r = scalar(b, splat.getValue());
    } else if (auto bc = dyn_cast<TileBroadcastOp>(op)) {
      r = memo.lookup(bc.getSource());
    } else if (matchPattern(op, m_Constant(&dense)) && dense.isSplat()) {
      r = arith::ConstantOp::create(
          b, loc, cast<TypedAttr>(dense.getSplatValue<Attribute>()));
    } else if (op->hasTrait<OpTrait::Elementwise>()) {
      SmallVector<Value> operands;
      for (Value o : op->getOperands())
        operands.push_back(operand(o));
      r = clone(b, op, operands,
                [](Type t) { return cast<TensorType>(t).getElementType(); });
    }
    if (!r || llvm::any_of(op->getOperands(), [&](Value o) {
          return isa<TensorType>(o.getType()) && !memo.lookup(o) &&
                 !isa<TileBroadcastOp, TileSplatOp>(op);
        })) {
      fail(op, "cannot convert this op of the epilogue element by element");
      return acc;
    }
    memo[res] = r;
  }
  Value out = memo.lookup(p.store.getValue());
  if (!out) {
    fail(p.store, "the stored tile is not computed by the epilogue");
    return acc;
  }
  return out;
}

LogicalResult ProgramLowering::lower(TileLaunchOp launch,
                                     const TargetInfo &target,
                                     gpu::GPUModuleOp kernels) {
  Location loc = p.func.getLoc();
  for (Value v : launch.getArgs())
    if (auto m = dyn_cast<MemRefType>(v.getType()); !m || !m.getLayout().isIdentity())
      return launch.emitError() << "moec-tile-to-lanes: the kernels take "
                                   "row-major memrefs only, not "
                                << v.getType(),
             failure();
  FailureOr<Decisions> d = Decisions::read(p);
  if (failed(d))
    return failure();
  FailureOr<KernelPlan> plan = d->apply(p.plan(target), loc);
  if (failed(plan))
    return failure();
  auto eltOf = [](Value v) {
    return cast<ShapedType>(v.getType()).getElementType();
  };
  // The tile shapes are the config's block sizes the cores tile by.
  auto accType = cast<RankedTensorType>(p.dot.getType());
  auto aType = cast<RankedTensorType>(p.dot.getA().getType());
  if (accType.getDimSize(0) != plan->config.block_m ||
      accType.getDimSize(1) != plan->config.block_n ||
      aType.getDimSize(1) != plan->config.block_k)
    return p.dot.emitError() << "moec-tile-to-lanes: the tile.dot's tiles "
                             << aType << " -> " << accType
                             << " are not the config's block sizes",
           failure();

  GemmKernelSpec spec;
  spec.plan = *plan;
  spec.transposeA = p.transposeA;
  spec.transposeB = p.transposeB;
  spec.aType = eltOf(p.aLoad.getBase());
  spec.bType = eltOf(p.bLoad.getBase());
  spec.cType = eltOf(p.store.getBase());

  MLIRContext *ctx = launch.getContext();
  SmallVector<Type> argTypes;
  for (Type t : p.func.getArgumentTypes()) {
    auto m = cast<MemRefType>(t);
    argTypes.push_back(globalKernelArgType(
        ctx, m.getElementType(), std::max<int64_t>(1, m.getRank())));
  }

  GemmTileHooks hooks;
  hooks.prologue = [&](OpBuilder &b, ValueRange args,
                       function_ref<Value()> programId) {
    return prologue(b, args, programId);
  };
  hooks.element = [&](OpBuilder &b, Location l, Value row, Value col,
                      Value gRow, Value gCol, Value acc) -> Value {
    return epilogueElement(b, l, row, col, gRow, gCol, acc);
  };
  OpBuilder b(launch);
  FailureOr<GemmKernel> kernel = buildGemmKernelFromTiles(
      b, kernels, p.func.getName(), spec, argTypes, hooks, launch.getLoc());
  if (failed(kernel) || failed(status))
    return failure();
  b.setInsertionPoint(launch);
  Value grid = launch.getGrid();
  emitLaunch(b, launch, kernel->func, spec.plan, p.config, [&] {
    // The grid's computation, where nothing else uses it, moves next to
    // the launch (after the arguments' casts), where the host code has
    // always computed it.
    SmallVector<Operation *> slice;
    SmallVector<Value> work{grid};
    DenseSet<Operation *> seen;
    while (!work.empty()) {
      Operation *op = work.pop_back_val().getDefiningOp();
      if (!op || op->getBlock() != launch->getBlock() ||
          !isMemoryEffectFree(op) || !seen.insert(op).second)
        continue;
      slice.push_back(op);
      llvm::append_range(work, op->getOperands());
    }
    llvm::sort(slice, [](Operation *x, Operation *y) {
      return x->isBeforeInBlock(y);
    });
    for (Operation *op : slice)
      if (llvm::all_of(op->getUsers(), [&](Operation *u) {
            return u == launch.getOperation() || seen.contains(u);
          }))
        op->moveBefore(launch);
    return grid;
  });
  return success();
}

struct TileToLanesPass
    : public moec::impl::MoecTileToLanesBase<TileToLanesPass> {
  void getDependentDialects(DialectRegistry &registry) const override {
    MoecTileToLanesBase::getDependentDialects(registry);
    getMatrixCoreDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<GemmTileProgram> programs;
    const TargetInfo *target = nullptr;
    if (failed(getTilePrograms(module, getArgument(), programs, target)))
      return signalPassFailure();
    if (programs.empty())
      return;
    if (Operation *taken = SymbolTable::lookupSymbolIn(module, kKernelModuleName);
        taken && !isa<gpu::GPUModuleOp>(taken)) {
      taken->emitError() << "the symbol name '" << kKernelModuleName
                         << "' is reserved for the module of kernels moec "
                            "generates; rename this symbol";
      return signalPassFailure();
    }
    gpu::GPUModuleOp kernels = getOrCreateKernelModule(module, *target);
    for (GemmTileProgram &p : programs) {
      SmallVector<TileLaunchOp> launches;
      module.walk([&](TileLaunchOp l) {
        if (l.getCallee() == p.func.getName())
          launches.push_back(l);
      });
      if (launches.size() != 1) {
        p.func.emitError() << "moec-tile-to-lanes: tile program '"
                           << p.func.getName() << "' has " << launches.size()
                           << " launches; one kernel per launch needs one";
        return signalPassFailure();
      }
      if (SymbolTable::lookupSymbolIn(kernels, p.func.getName())) {
        p.func.emitError() << "moec-tile-to-lanes: a kernel named '"
                           << p.func.getName() << "' exists already";
        return signalPassFailure();
      }
      if (failed(ProgramLowering(p).lower(launches.front(), *target, kernels)))
        return signalPassFailure();
      p.func.erase();
    }
  }
};

} // namespace

void moec::buildGemmTilePipeline(OpPassManager &pm) {
  pm.addPass(createMoecLowerGemmToTiles());
  pm.addPass(createMoecTileSelectCore());
  pm.addPass(createMoecTilePipeline());
  pm.addPass(createMoecTileEpilogue());
  pm.addPass(createMoecTileGlobalAccess());
  pm.addPass(createMoecTileToLanes());
}
