//===- ConfigMapping.cpp - #moec.config <-> tuning candidates -------------===//

#include "moec/Tuning/ConfigMapping.h"
#include "moec/Transforms/GemmKernel.h"

using namespace mlir;
using namespace moec;
using namespace moec::tuning;

ConfigAttr
moec::tuning::toConfigAttr(llvm::function_ref<InFlightDiagnostic()> emitError,
                           MLIRContext *ctx, const Candidate &c) {
  return ConfigAttr::getChecked(
      emitError, ctx, c.blockM, c.blockN, c.blockK, c.groupM, c.numWarps,
      c.numStages, c.wavesPerEU, c.nonKDim, c.kpack,
      c.ldsEpilogue ? EpilogueKind::lds : EpilogueKind::direct, c.blockH,
      c.blockKV);
}

Candidate moec::tuning::fromConfigAttr(ConfigAttr config, bool asyncCopy) {
  Candidate c;
  c.blockM = config.getBlockM();
  c.blockN = config.getBlockN();
  c.blockK = config.getBlockK();
  c.groupM = config.getGroupM();
  c.numWarps = config.getNumWarps();
  c.numStages = config.getNumStages();
  c.wavesPerEU = config.getWavesPerEu();
  c.nonKDim = config.getMatrixInstrNonkdim();
  c.kpack = config.getKpack();
  c.ldsEpilogue = config.getEpilogue() == EpilogueKind::lds;
  c.blockH = config.getBlockH();
  c.blockKV = config.getBlockKv();
  c.asyncCopy = asyncCopy;
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
  if (c.asyncCopy)
    module->setAttr(GemmKernelSpec::kAsyncCopyAttrName,
                    UnitAttr::get(module.getContext()));
  else
    module->removeAttr(GemmKernelSpec::kAsyncCopyAttrName);
  return failure(r.wasInterrupted());
}
