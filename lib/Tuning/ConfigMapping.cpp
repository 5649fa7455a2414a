//===- ConfigMapping.cpp - #moec.config <-> tuning candidates -------------===//

#include "moec/Tuning/ConfigMapping.h"
#include "moec/Dialect/Config.h"

using namespace mlir;
using namespace moec;
using namespace moec::tuning;

ConfigAttr
moec::tuning::toConfigAttr(llvm::function_ref<InFlightDiagnostic()> emitError,
                           MLIRContext *ctx, const Candidate &c) {
  ConfigValues v;
  v.block_m = c.blockM;
  v.block_n = c.blockN;
  v.block_k = c.blockK;
  v.group_m = c.groupM;
  v.num_warps = c.numWarps;
  v.num_stages = c.numStages;
  v.waves_per_eu = c.wavesPerEU;
  v.matrix_instr_nonkdim = c.nonKDim;
  v.kpack = c.kpack;
  v.epilogue = c.ldsEpilogue ? EpilogueKind::lds : EpilogueKind::direct;
  v.block_h = c.blockH;
  v.block_kv = c.blockKV;
  v.kv_splits = c.kvSplits;
  v.async_copy = c.asyncCopy;
  return v.toAttrChecked(emitError, ctx);
}

Candidate moec::tuning::fromConfigAttr(ConfigAttr config, bool asyncCopy) {
  ConfigValues v(config);
  Candidate c;
  c.blockM = v.block_m;
  c.blockN = v.block_n;
  c.blockK = v.block_k;
  c.groupM = v.group_m;
  c.numWarps = v.num_warps;
  c.numStages = v.num_stages;
  c.wavesPerEU = v.waves_per_eu;
  c.nonKDim = v.matrix_instr_nonkdim;
  c.kpack = v.kpack;
  c.ldsEpilogue = v.epilogue == EpilogueKind::lds;
  c.blockH = v.block_h;
  c.blockKV = v.block_kv;
  c.kvSplits = v.kv_splits;
  c.asyncCopy = v.async_copy || asyncCopy;
  return c;
}

LogicalResult moec::tuning::applyCandidate(ModuleOp module,
                                           const Candidate &c) {
  WalkResult r = module.walk([&](Operation *op) {
    if (!op->getAttrOfType<ConfigAttr>("config"))
      return WalkResult::advance();
    ConfigAttr cfg = toConfigAttr([&] { return op->emitError(); },
                                  op->getContext(), c);
    if (!cfg)
      return WalkResult::interrupt();
    op->setAttr("config", cfg);
    return WalkResult::advance();
  });
  return failure(r.wasInterrupted());
}
