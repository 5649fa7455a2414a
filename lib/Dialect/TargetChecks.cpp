//===- TargetChecks.cpp - configs against a target's limits ---------------===//

#include "moec/Dialect/TargetChecks.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace moec;

int64_t moec::elementBytes(Type type) {
  return std::max<int64_t>(1, type.getIntOrFloatBitWidth() / 8);
}

int64_t moec::ldsTileBytes(int64_t rows, int64_t cols, Type type) {
  return rows * cols * elementBytes(type);
}

bool moec::isFp8(Type type) {
  return isa<Float8E4M3FNUZType, Float8E5M2FNUZType, Float8E4M3FNType,
             Float8E5M2Type>(type);
}

static bool isFnuzFp8(Type type) {
  return isa<Float8E4M3FNUZType, Float8E5M2FNUZType>(type);
}

const TargetInfo *moec::getEnclosingTarget(Operation *op) {
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
    if (auto target =
            p->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName))
      return lookupTarget(target.getChip());
  return nullptr;
}

LogicalResult moec::verifyElementTypeForTarget(Operation *op, StringRef operand,
                                               Type type,
                                               const TargetInfo &target) {
  if (!isFp8(type))
    return success();
  switch (target.fp8) {
  case Fp8Flavor::Any:
    return success();
  case Fp8Flavor::None:
    return op->emitOpError() << operand << " element type " << type
                             << " is not supported on " << target.chip
                             << ": it has no fp8 matrix instructions";
  case Fp8Flavor::FNUZ:
    if (isFnuzFp8(type))
      return success();
    return op->emitOpError() << operand << " element type " << type
                             << " is not supported on " << target.chip
                             << ", which takes the fnuz fp8 types "
                                "(f8E4M3FNUZ, f8E5M2FNUZ)";
  case Fp8Flavor::OCP:
    if (!isFnuzFp8(type))
      return success();
    return op->emitOpError() << operand << " element type " << type
                             << " is not supported on " << target.chip
                             << ", which takes the OCP fp8 types "
                                "(f8E4M3FN, f8E5M2)";
  }
  return success();
}

int64_t moec::pipelinedLdsBytes(ConfigAttr config, const TargetInfo &target,
                                int64_t bytesPerStage) {
  // AMD (Triton-on-ROCm semantics): stages <= 2 share one LDS buffer, the
  // prefetch lives in registers; deeper pipelines keep stages - 1 buffers.
  // NVIDIA: cp.async fills a ring of num_stages shared-memory buffers.
  int64_t buffers = target.isNVPTX() ? config.getEffectiveNumStages()
                                     : config.getNumLdsBuffers();
  return bytesPerStage * buffers;
}

MatrixInputKind moec::matrixInputKind(Type t) {
  if (t.isF16())
    return MatrixInputKind::F16;
  if (t.isBF16())
    return MatrixInputKind::BF16;
  if (t.isInteger(8))
    return MatrixInputKind::I8;
  return MatrixInputKind::FP8;
}

LogicalResult moec::verifyTileForTarget(Operation *op, ConfigAttr config,
                                        const TargetInfo &target,
                                        const MatmulTile &tile) {
  if (target.isHost())
    return success(); // CPU tiles have no hardware shape or LDS limit.

  int64_t lanes = config.getNumWarps() * target.waveSize;
  if (lanes > target.maxWorkgroupSize)
    return op->emitOpError()
           << "num_warps = " << config.getNumWarps() << " gives " << lanes
           << " lanes per workgroup, over " << target.chip << "'s limit of "
           << target.maxWorkgroupSize;

  // The matrix instruction: AMD picks its family with matrix_instr_nonkdim;
  // NVIDIA has one mma.sync shape per dtype.
  int64_t nonKDim = target.isAMDGPU() ? config.getMatrixInstrNonkdim() : 0;
  auto instrs = target.findMatrixInstrs(matrixInputKind(tile.inputType), nonKDim);
  if (instrs.empty()) {
    InFlightDiagnostic diag = op->emitOpError()
                              << "no matrix instruction for " << tile.inputType
                              << " inputs on " << target.chip;
    if (target.isAMDGPU())
      diag << " with matrix_instr_nonkdim = " << nonKDim;
    return diag;
  }
  const MatrixInstr &instr = instrs.front();
  int64_t kpack = target.isAMDGPU() ? config.getKpack() : 1;
  if (kpack == 2 && !target.supportsKpack2)
    return op->emitOpError() << "kpack = 2 is not supported on " << target.chip
                             << " (its MFMA operands are already K-packed); "
                                "use kpack = 1";
  StringRef family = target.isAMDGPU() ? "MFMA" : "mma.sync";
  if (tile.m % instr.m != 0)
    return op->emitOpError()
           << tile.mName << " = " << tile.m << " is not a multiple of the "
           << instr.m << "x" << instr.n << " " << family << " tile ("
           << instr.mnemonic << ") on " << target.chip;
  if (tile.n % instr.n != 0)
    return op->emitOpError()
           << tile.nName << " = " << tile.n << " is not a multiple of the "
           << instr.m << "x" << instr.n << " " << family << " tile ("
           << instr.mnemonic << ") on " << target.chip;
  if (tile.k % (instr.k * kpack) != 0)
    return op->emitOpError()
           << tile.kName << " = " << tile.k << " is not a multiple of the "
           << family << " K (" << instr.k << ") x kpack (" << kpack
           << ") = " << instr.k * kpack << " of " << instr.mnemonic << " on "
           << target.chip;

  int64_t instrTiles = (tile.m / instr.m) * (tile.n / instr.n);
  if (instrTiles % config.getNumWarps() != 0)
    return op->emitOpError()
           << "num_warps = " << config.getNumWarps()
           << " waves do not evenly cover the " << tile.m << "x" << tile.n
           << " tile (" << instrTiles << " " << instr.m << "x" << instr.n
           << " " << family << " tiles) on " << target.chip;

  if (target.isAMDGPU()) {
    if (config.getWavesPerEu() > target.maxWavesPerEU)
      return op->emitOpError()
             << "waves_per_eu = " << config.getWavesPerEu() << " is over "
             << target.chip << "'s limit of " << target.maxWavesPerEU
             << " waves per SIMD";
    // The f32 accumulator alone must fit the register budget the occupancy
    // hint leaves; otherwise the backend could only spill.
    int64_t accElems = tile.accElems ? tile.accElems : tile.m * tile.n;
    int64_t accRegs = accElems / lanes;
    int64_t budget = target.vgprBudget(config.getWavesPerEu());
    if (accRegs > budget) {
      InFlightDiagnostic diag = op->emitOpError()
                                << "the f32 accumulator of " << accElems
                                << " elements needs " << accRegs
                                << " registers per lane over num_warps = "
                                << config.getNumWarps() << " waves, more than the "
                                << budget << " available on " << target.chip;
      if (config.getWavesPerEu() > 0)
        diag << " with waves_per_eu = " << config.getWavesPerEu();
      return diag;
    }
  }

  int64_t loopLds =
      pipelinedLdsBytes(config, target, tile.aTileBytes + tile.bTileBytes);
  // The epilogue conversion reuses the K loop's buffers once the loop is done.
  int64_t lds = std::max(loopLds, tile.epilogueBytes) + tile.extraLdsBytes;
  if (target.ldsBytes && lds > target.ldsBytes)
    return op->emitOpError()
           << "LDS use of " << lds << " bytes (" << tile.mName << " = "
           << tile.m << ", " << tile.nName << " = " << tile.n << ", "
           << tile.kName << " = " << tile.k << ", num_stages = "
           << config.getNumStages() << ", epilogue = "
           << stringifyEpilogueKind(config.getEpilogue())
           << ") is over " << target.chip << "'s limit of " << target.ldsBytes
           << " bytes";
  return success();
}
