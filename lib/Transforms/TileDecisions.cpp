//===- TileDecisions.cpp - the decision passes over tile programs ---------===//
//
// Four passes, each named after the decision it makes, each writing that
// decision into the tile program as an attribute (dialects/MoecAttrs.td):
//
//   moec-tile-select-core    #moec.core on the tile.dot      matrix core, lanes
//   moec-tile-pipeline       #moec.pipeline on the K loop    stages, LDS ring
//   moec-tile-epilogue       #moec.epilogue on the store     direct | lds
//   moec-tile-global-access  #moec.access on loads, stores   vectors, alignment
//
// The numbers are the program's KernelPlan's (the one owner of derived
// numbers); moec-tile-to-lanes builds the kernel from the attributes.
//
//===----------------------------------------------------------------------===//

#include "moec/Transforms/Passes.h"
#include "moec/Transforms/TileProgram.h"

namespace moec {
#define GEN_PASS_DEF_MOECTILESELECTCORE
#define GEN_PASS_DEF_MOECTILEPIPELINE
#define GEN_PASS_DEF_MOECTILEEPILOGUE
#define GEN_PASS_DEF_MOECTILEGLOBALACCESS
#include "moec/Dialect/MoecPasses.h.inc"
} // namespace moec

using namespace mlir;
using namespace moec;

namespace {

/// Runs `decide` on every tile program of `module` with its plan.
template <typename Fn>
LogicalResult decideEach(ModuleOp module, StringRef pass, Fn decide) {
  SmallVector<GemmTileProgram> programs;
  const TargetInfo *target = nullptr;
  if (failed(getTilePrograms(module, pass, programs, target)))
    return failure();
  for (GemmTileProgram &p : programs)
    decide(p, p.plan(*target));
  return success();
}

llvm::StringRef coreKind(const TargetInfo &t) {
  switch (t.kind) {
  case TargetKind::AMDGPU:
    return "mfma";
  case TargetKind::NVPTX:
    return "mma_sync";
  case TargetKind::Host:
    return "host";
  }
  return "";
}

struct TileSelectCorePass
    : public moec::impl::MoecTileSelectCoreBase<TileSelectCorePass> {
  void runOnOperation() override {
    if (failed(decideEach(getOperation(), getArgument(), [](GemmTileProgram &p, const KernelPlan &plan) {
      MLIRContext *ctx = p.func.getContext();
      p.dot->setAttr(
          MoecDialect::kCoreAttrName,
          CoreAttr::get(ctx, coreKind(*plan.target),
                        plan.instr ? StringRef(plan.instr->mnemonic) : StringRef(),
                        plan.instrK, plan.nonKDim, plan.kpack,
                        plan.config.num_warps, plan.lanes,
                        plan.config.waves_per_eu));
    })))
      signalPassFailure();
  }
};

struct TilePipelinePass
    : public moec::impl::MoecTilePipelineBase<TilePipelinePass> {
  void runOnOperation() override {
    if (failed(decideEach(getOperation(), getArgument(), [](GemmTileProgram &p, const KernelPlan &plan) {
      p.kLoop->setAttr(MoecDialect::kPipelineAttrName,
                       PipelineAttr::get(p.func.getContext(), plan.numStages,
                                         plan.numLdsBuffers, plan.asyncCopy,
                                         plan.ldsABytes, plan.ldsBBytes));
    })))
      signalPassFailure();
  }
};

struct TileEpiloguePass
    : public moec::impl::MoecTileEpilogueBase<TileEpiloguePass> {
  void runOnOperation() override {
    if (failed(decideEach(getOperation(), getArgument(), [](GemmTileProgram &p, const KernelPlan &plan) {
      p.store->setAttr(MoecDialect::kEpilogueAttrName,
                       EpilogueAttr::get(p.func.getContext(), plan.epilogue,
                                         plan.epilogueLdsBytes));
    })))
      signalPassFailure();
  }
};

struct TileGlobalAccessPass
    : public moec::impl::MoecTileGlobalAccessBase<TileGlobalAccessPass> {
  void runOnOperation() override {
    if (failed(decideEach(getOperation(), getArgument(), [](GemmTileProgram &p, const KernelPlan &plan) {
      MLIRContext *ctx = p.func.getContext();
      auto access = [&](Operation *op, int64_t vec, bool aligned) {
        op->setAttr(MoecDialect::kAccessAttrName,
                    AccessAttr::get(ctx, vec, aligned));
      };
      access(p.aLoad, plan.vecA, plan.ldAligned[0]);
      access(p.bLoad, plan.vecB, plan.ldAligned[1]);
      access(p.store, plan.vecC, plan.ldAligned[2]);
      // The epilogue's vectors (bias, per-row/column scales): one element
      // per access, in the matrix core's layout.
      p.func.walk([&](TileLoadOp load) {
        if (load != p.aLoad && load != p.bLoad)
          access(load, 1, false);
      });
    })))
      signalPassFailure();
  }
};

} // namespace
