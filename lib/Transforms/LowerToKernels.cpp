//===- LowerToKernels.cpp - moec ops -> gpu.func kernels + launches -------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Transforms/GemmKernel.h"
#include "moec/Transforms/KernelBuilding.h"
#include "moec/Transforms/MatrixCore.h"
#include "moec/Transforms/MoeKernels.h"
#include "moec/Transforms/SparseAttentionKernel.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/TypeSwitch.h"

namespace moec {
#define GEN_PASS_DEF_MOECLOWERTOKERNELS
#include "moec/Dialect/MoecPasses.h.inc"
} // namespace moec

using namespace mlir;
using namespace moec;

namespace {

/// A kernel of the GEMM skeleton (gemm, moe_gemm) and its launch: a grid of
/// ceil(rows / block_m) x ceil(cols / block_n) workgroups, the extents the
/// kernel tiles, built before the op by `rowsCols`.
LogicalResult lowerGemmLike(
    Operation *op, const GemmKernelSpec &spec, gpu::GPUModuleOp kernels,
    StringRef name,
    llvm::function_ref<std::pair<Value, Value>(OpBuilder &, Location)>
        rowsCols) {
  if (failed(checkIdentityLayouts(op)))
    return failure();
  OpBuilder b(op);
  FailureOr<GemmKernel> kernel =
      buildGemmKernel(b, kernels, name, spec, op->getLoc());
  if (failed(kernel))
    return failure();
  Location loc = op->getLoc();
  b.setInsertionPoint(op);
  auto makeGrid = [&]() -> Value {
    auto [m, n] = rowsCols(b, loc);
    auto cdiv = [&](Value x, int64_t d) {
      return arith::CeilDivUIOp::create(
          b, loc, x, arith::ConstantIndexOp::create(b, loc, d));
    };
    // Named, in order: as call arguments their order would be the
    // compiler's (GCC and clang differ), and so would the IR.
    Value tilesM = cdiv(m, spec.cfg().block_m);
    Value tilesN = cdiv(n, spec.cfg().block_n);
    return arith::MulIOp::create(b, loc, tilesM, tilesN);
  };
  emitLaunch(b, op, kernel->func, spec.plan, op->getAttr("config"), makeGrid);
  return success();
}

/// moe_gemm: one workgroup per (block_m rows of sorted_token_ids, block_n
/// columns of W), getMoeGemmPlan's grid.
LogicalResult lowerMoeGemm(MoeGemmOp op, const TargetInfo &target,
                           gpu::GPUModuleOp kernels, StringRef name) {
  return lowerGemmLike(
      op, GemmKernelSpec::get(op, target), kernels, name,
      [&](OpBuilder &b, Location loc) -> std::pair<Value, Value> {
        Value m = memref::DimOp::create(b, loc, op.getSortedTokenIds(), 0);
        Value n = memref::DimOp::create(b, loc, op.getW(), 1);
        return {m, n};
      });
}

LogicalResult lowerSparseAttention(SparseAttentionOp op,
                                   const TargetInfo &target,
                                   gpu::GPUModuleOp kernels, StringRef name) {
  if (failed(checkIdentityLayouts(op)))
    return failure();
  SparseAttentionKernelSpec spec = SparseAttentionKernelSpec::get(op, target);
  OpBuilder b(op);
  FailureOr<gpu::GPUFuncOp> func =
      buildSparseAttentionKernel(b, kernels, name, spec, op.getLoc());
  if (failed(func))
    return failure();
  // Grid: tokens x ceil(h_q / block_h), as SparseAttentionPlan::gridSize.
  Location loc = op.getLoc();
  b.setInsertionPoint(op);
  // Split-KV: the workspace's first dimension is the launch's split count
  // (the launcher sizes it, SparseAttentionPlan::kvSplitsFor).
  Value ws = op.getWorkspace();
  auto splits = [&]() -> Value {
    return ws ? memref::DimOp::create(b, loc, ws, 0).getResult()
              : arith::ConstantIndexOp::create(b, loc, 1).getResult();
  };
  auto makeGrid = [&]() -> Value {
    Value tokens = memref::DimOp::create(b, loc, op.getQ(), 0);
    Value heads = memref::DimOp::create(b, loc, op.getQ(), 1);
    Value groups = arith::CeilDivUIOp::create(
        b, loc, heads,
        arith::ConstantIndexOp::create(b, loc, spec.cfg().block_h));
    Value grid = arith::MulIOp::create(b, loc, tokens, groups);
    return ws ? arith::MulIOp::create(b, loc, grid, splits()).getResult()
              : grid;
  };
  emitLaunch(b, op, *func, spec.plan.kernel, op.getConfig(), makeGrid,
             /*eraseOp=*/false);
  if (ws) {
    // Then the merge, when there was more than one split.
    std::string mergeName = (name + "_merge").str();
    FailureOr<gpu::GPUFuncOp> merge =
        buildSparseAttentionMergeKernel(b, kernels, mergeName, spec, loc);
    if (failed(merge))
      return failure();
    Value many = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ugt, splits(),
        arith::ConstantIndexOp::create(b, loc, 1));
    auto ifOp = scf::IfOp::create(b, loc, many, /*withElse=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    // The merge uses no LDS.
    KernelPlan mergePlan = spec.plan.kernel;
    mergePlan.ldsBytes = 0;
    mergePlan.dynamicLds = false;
    emitLaunch(b, op, *merge, mergePlan, op.getConfig(), [&]() -> Value {
      Value tokens = memref::DimOp::create(b, loc, op.getQ(), 0);
      Value heads = memref::DimOp::create(b, loc, op.getQ(), 1);
      return arith::MulIOp::create(b, loc, tokens, heads);
    }, /*eraseOp=*/false);
  }
  op.erase();
  return success();
}

LogicalResult lowerMoeAlign(MoeAlignOp op, const TargetInfo &target,
                            gpu::GPUModuleOp kernels, StringRef name) {
  if (failed(checkIdentityLayouts(op)))
    return failure();
  MoeAlignPlan plan = getMoeAlignPlan(op, target);
  OpBuilder b(op);
  gpu::GPUFuncOp func = buildMoeAlignKernel(b, kernels, name, op, plan);
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  emitLaunch(b, op, func, plan.ldsBytes, /*dynamicLds=*/false, plan.lanes,
             op.getConfig(), [&]() -> Value {
               Value tokens = memref::DimOp::create(b, loc, op.getTopkIds(), 0);
               Value topK = memref::DimOp::create(b, loc, op.getTopkIds(), 1);
               Value copies = arith::MulIOp::create(b, loc, tokens, topK);
               // plan.gridSize: at least one workgroup, which writes the
               // length.
               Value per = arith::ConstantIndexOp::create(
                   b, loc, plan.copiesPerWorkgroup);
               Value chunks = arith::CeilDivUIOp::create(b, loc, copies, per);
               Value one = arith::ConstantIndexOp::create(b, loc, 1);
               return arith::MaxUIOp::create(b, loc, chunks, one);
             });
  return success();
}

LogicalResult lowerActAndMul(ActAndMulOp op, const TargetInfo &target,
                             gpu::GPUModuleOp kernels, StringRef name) {
  if (failed(checkIdentityLayouts(op)))
    return failure();
  ActAndMulPlan plan = getActAndMulPlan(op, target);
  OpBuilder b(op);
  gpu::GPUFuncOp func = buildActAndMulKernel(b, kernels, name, op, plan);
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  emitLaunch(b, op, func, /*ldsBytes=*/0, /*dynamicLds=*/false, plan.lanes,
             op.getConfig(), [&]() -> Value {
               // plan.gridSize(elements of output).
               auto outT = cast<MemRefType>(op.getOutput().getType());
               Value elems = arith::ConstantIndexOp::create(b, loc, 1);
               for (int64_t d = 0; d < outT.getRank(); ++d)
                 elems = arith::MulIOp::create(
                     b, loc, elems,
                     memref::DimOp::create(b, loc, op.getOutput(), d));
               Value per = arith::ConstantIndexOp::create(
                   b, loc, plan.elemsPerWorkgroup);
               Value one = arith::ConstantIndexOp::create(b, loc, 1);
               return arith::MaxUIOp::create(
                   b, loc, arith::CeilDivUIOp::create(b, loc, elems, per),
                   one);
             });
  return success();
}

LogicalResult lowerQuantFp8(QuantFp8Op op, const TargetInfo &target,
                            gpu::GPUModuleOp kernels, StringRef name) {
  if (failed(checkIdentityLayouts(op)))
    return failure();
  QuantFp8Plan plan = getQuantFp8Plan(op, target);
  OpBuilder b(op);
  gpu::GPUFuncOp func = buildQuantFp8Kernel(b, kernels, name, op, plan);
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  emitLaunch(b, op, func, plan.ldsBytes(), /*dynamicLds=*/false, plan.lanes,
             op.getConfig(), [&]() -> Value {
               // plan.gridSize(rows, cols).
               Value rows = memref::DimOp::create(b, loc, op.getInput(), 0);
               Value cols = memref::DimOp::create(b, loc, op.getInput(), 1);
               Value one = arith::ConstantIndexOp::create(b, loc, 1);
               auto cst = [&](int64_t v) {
                 return arith::ConstantIndexOp::create(b, loc, v);
               };
               Value n;
               if (plan.staticScale)
                 n = rows;
               else if (plan.perTensor)
                 n = one;
               else if (plan.groupK)
                 n = arith::CeilDivUIOp::create(
                     b, loc,
                     arith::MulIOp::create(
                         b, loc, rows,
                         arith::CeilDivUIOp::create(b, loc, cols,
                                                    cst(plan.groupK))),
                     cst(plan.groupsPerWorkgroup()));
               else
                 n = rows;
               return arith::MaxUIOp::create(b, loc, n, one);
             });
  return success();
}

LogicalResult lowerSparseWindowIndices(SparseWindowIndicesOp op,
                                       const TargetInfo &target,
                                       gpu::GPUModuleOp kernels,
                                       StringRef name) {
  if (failed(checkIdentityLayouts(op)))
    return failure();
  ActAndMulPlan plan = getSparseWindowIndicesPlan(op, target);
  OpBuilder b(op);
  gpu::GPUFuncOp func =
      buildSparseWindowIndicesKernel(b, kernels, name, op, plan);
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  emitLaunch(b, op, func, /*ldsBytes=*/0, /*dynamicLds=*/false, plan.lanes,
             op.getConfig(), [&]() -> Value {
               // plan.gridSize(tokens * topk).
               Value elems = arith::MulIOp::create(
                   b, loc, memref::DimOp::create(b, loc, op.getIndices(), 0),
                   memref::DimOp::create(b, loc, op.getIndices(), 1));
               Value per = arith::ConstantIndexOp::create(
                   b, loc, plan.elemsPerWorkgroup);
               Value one = arith::ConstantIndexOp::create(b, loc, 1);
               return arith::MaxUIOp::create(
                   b, loc, arith::CeilDivUIOp::create(b, loc, elems, per),
                   one);
             });
  return success();
}

struct LowerToKernelsPass
    : public moec::impl::MoecLowerToKernelsBase<LowerToKernelsPass> {
  void getDependentDialects(DialectRegistry &registry) const override {
    MoecLowerToKernelsBase::getDependentDialects(registry);
    getMatrixCoreDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto targetAttr =
        module->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName);
    if (!targetAttr) {
      module.emitError() << "moec-lower-to-kernels needs a `moec.target` on "
                            "the module (moec compile sets it from --arch)";
      return signalPassFailure();
    }
    const TargetInfo *target = lookupTarget(targetAttr.getChip());
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (isa<MoecDialect>(op->getDialect()))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    if (Operation *taken = SymbolTable::lookupSymbolIn(module, kKernelModuleName);
        taken && !isa<gpu::GPUModuleOp>(taken)) {
      taken->emitError() << "the symbol name '" << kKernelModuleName
                         << "' is reserved for the module of kernels moec "
                            "generates; rename this symbol";
      return signalPassFailure();
    }
    bool misplaced = false;
    for (Operation *op : ops)
      misplaced |= failed(checkPlacement(op, module));
    if (misplaced)
      return signalPassFailure();
    // moec.gemm has one lowering, through the tile level (the compile
    // pipeline runs its passes before this one); run alone, this pass runs
    // them first.
    bool hasGemm = false;
    module.walk([&](GemmOp) {
      hasGemm = true;
      return WalkResult::interrupt();
    });
    if (hasGemm) {
      OpPassManager tiles(ModuleOp::getOperationName());
      buildGemmTilePipeline(tiles);
      if (failed(runPipeline(tiles, module)))
        return signalPassFailure();
      ops.clear();
      module.walk([&](Operation *op) {
        if (isa<MoecDialect>(op->getDialect()))
          ops.push_back(op);
      });
      if (ops.empty())
        return;
    }
    gpu::GPUModuleOp kernels = getOrCreateKernelModule(module, *target);
    for (Operation *op : ops) {
      std::string name = uniqueKernelName(op, module, kernels);
      auto lower = [&](auto lowerOp) {
        return [&, lowerOp](auto concrete) {
          return lowerOp(concrete, *target, kernels, name);
        };
      };
      LogicalResult lowered =
          llvm::TypeSwitch<Operation *, LogicalResult>(op)
              .Case<MoeGemmOp>(lower(lowerMoeGemm))
              .Case<SparseAttentionOp>(lower(lowerSparseAttention))
              .Case<MoeAlignOp>(lower(lowerMoeAlign))
              .Case<SparseWindowIndicesOp>(lower(lowerSparseWindowIndices))
              .Case<ActAndMulOp>(lower(lowerActAndMul))
              .Case<QuantFp8Op>(lower(lowerQuantFp8))
              .Default([](Operation *other) {
                return other->emitOpError() << "has no kernel lowering yet";
              });
      if (failed(lowered))
        return signalPassFailure();
    }
  }
};

} // namespace
