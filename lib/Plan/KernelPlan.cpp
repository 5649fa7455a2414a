//===- KernelPlan.cpp - every derived number of one kernel ----------------===//

#include "moec/Plan/KernelPlan.h"
#include "moec/Dialect/TargetChecks.h"

#include "llvm/Support/MathExtras.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <algorithm>

using namespace mlir;
using namespace moec;

KernelPlan KernelPlan::get(const ConfigValues &config, const TargetInfo &target,
                           const MatmulProblem &problem) {
  KernelPlan p;
  p.config = config;
  p.target = &target;
  p.problem = problem;
  // The host runs the GPU lane program too (lanes as fibers, host waves of
  // 64 lanes, AMD's pipeline rules).
  p.lanes = config.num_warps * target.waveSize;

  // Pipeline. AMD (Triton-on-ROCm semantics): up to two stages share one LDS
  // buffer, the prefetch lives in registers; deeper pipelines keep stages - 1
  // buffers. Async copies (NVIDIA) fill a ring of num_stages buffers.
  p.numStages = config.effectiveNumStages();
  p.asyncCopy = target.isNVPTX() && config.async_copy && p.numStages >= 2;
  if (p.asyncCopy)
    p.numLdsBuffers = p.numStages;
  else if (p.numStages <= 2)
    p.numLdsBuffers = 1;
  else
    p.numLdsBuffers = p.numStages - 1;

  p.epilogue =
      problem.forceLdsEpilogue ? EpilogueKind::lds : config.epilogue;

  // LDS: one raw allocation holding the A ring then the B ring; the lds
  // epilogue's tile reuses it once the K loop is done.
  p.ldsABytes = llvm::alignTo(p.numLdsBuffers * problem.aStageBytes, 16);
  p.ldsBBytes = llvm::alignTo(p.numLdsBuffers * problem.bStageBytes, 16);
  p.epilogueLdsBytes =
      p.epilogue == EpilogueKind::lds ? problem.epilogueTileBytes : 0;
  p.layoutLds();

  // Matrix core: AMD picks the MFMA family with matrix_instr_nonkdim and
  // packs kpack K elements per read; NVIDIA has one mma.sync shape per type.
  p.nonKDim = target.isAMDGPU() ? config.matrix_instr_nonkdim : 0;
  p.kpack = target.isAMDGPU() || target.isHost() ? config.kpack : 1;
  if (!target.isHost() && problem.inputType) {
    auto instrs =
        target.findMatrixInstrs(matrixInputKind(problem.inputType), p.nonKDim);
    if (!instrs.empty())
      p.instr = instrs.front();
    for (const MatrixInstr &mi : instrs) // smallest K first
      if (problem.k % (mi.k * p.kpack) == 0)
        p.instrK = mi.k;
  }
  int64_t accElems = problem.accElems ? problem.accElems : problem.m * problem.n;
  p.accRegsPerLane = accElems / p.lanes;
  p.vgprBudget = target.isAMDGPU() ? target.vgprBudget(config.waves_per_eu) : 0;

  // Global accesses: 16-byte vectors along each operand's contiguous extent.
  auto vec = [](int64_t eltBytes, int64_t extent) -> int64_t {
    if (!eltBytes || !extent)
      return 1;
    return std::min<int64_t>(kVectorBytes / eltBytes, extent);
  };
  p.vecA = vec(problem.aEltBytes, problem.aContiguous);
  p.vecB = vec(problem.bEltBytes, problem.bContiguous);
  p.vecC = vec(problem.cEltBytes, problem.n);
  for (int i = 0; i < 3; ++i)
    p.ldAligned[i] = config.assume_aligned || problem.staticLdAligned[i];
  return p;
}

void KernelPlan::layoutLds() {
  extraLdsOffset =
      problem.extraLdsBytes
          ? llvm::alignTo(std::max(ldsABytes + ldsBBytes, epilogueLdsBytes), 16)
          : std::max(ldsABytes + ldsBBytes, epilogueLdsBytes);
  ldsBytes = extraLdsOffset + problem.extraLdsBytes;
  // CUDA takes static shared memory up to 48 KiB only; past that it must be
  // dynamic and sized at launch.
  dynamicLds = target->isNVPTX() && ldsBytes > kMaxStaticSharedBytes;
}

int64_t KernelPlan::gridSize(int64_t m, int64_t n) const {
  return llvm::divideCeil(m, problem.m) * llvm::divideCeil(n, problem.n);
}

std::string KernelPlan::mangle() const {
  std::string type;
  if (problem.inputType) {
    llvm::raw_string_ostream os(type);
    problem.inputType.print(os);
  }
  return fmt::format("{}_{}_{}x{}x{}_{}", target ? target->chip.str() : "none",
                     type, problem.m, problem.n, problem.k, config.mangle());
}

uint64_t KernelPlan::hash() const { return llvm::xxh3_64bits(mangle()); }

LogicalResult
KernelPlan::verify(function_ref<InFlightDiagnostic()> emitError) const {
  const TargetInfo &t = *target;
  const MatmulProblem &tile = problem;
  if (t.isHost()) {
    // CPU tiles have no hardware shape or LDS limit; the runtime runs at
    // most maxWorkgroupSize lanes a workgroup.
    if (lanes > t.maxWorkgroupSize)
      return emitError() << "num_warps = " << config.num_warps << " gives "
                         << lanes << " lanes per workgroup, over " << t.chip
                         << "'s limit of " << t.maxWorkgroupSize;
    return success();
  }

  if (lanes > t.maxWorkgroupSize)
    return emitError() << "num_warps = " << config.num_warps << " gives "
                       << lanes << " lanes per workgroup, over " << t.chip
                       << "'s limit of " << t.maxWorkgroupSize;

  if (!instr) {
    InFlightDiagnostic diag = emitError()
                              << "no matrix instruction for " << tile.inputType
                              << " inputs on " << t.chip;
    if (t.isAMDGPU())
      diag << " with matrix_instr_nonkdim = " << nonKDim;
    return diag;
  }
  if (kpack == 2 && !t.supportsKpack2)
    return emitError() << "kpack = 2 is not supported on " << t.chip
                       << " (its MFMA operands are already K-packed); "
                          "use kpack = 1";
  llvm::StringRef family = t.isAMDGPU() ? "MFMA" : "mma.sync";
  if (tile.m % instr->m != 0)
    return emitError() << tile.mName << " = " << tile.m
                       << " is not a multiple of the " << instr->m << "x"
                       << instr->n << " " << family << " tile ("
                       << instr->mnemonic << ") on " << t.chip;
  if (tile.n % instr->n != 0)
    return emitError() << tile.nName << " = " << tile.n
                       << " is not a multiple of the " << instr->m << "x"
                       << instr->n << " " << family << " tile ("
                       << instr->mnemonic << ") on " << t.chip;
  if (tile.k % (instr->k * kpack) != 0)
    return emitError() << tile.kName << " = " << tile.k
                       << " is not a multiple of the " << family << " K ("
                       << instr->k << ") x kpack (" << kpack
                       << ") = " << instr->k * kpack << " of "
                       << instr->mnemonic << " on " << t.chip;

  int64_t instrTiles = (tile.m / instr->m) * (tile.n / instr->n);
  if (!tile.wavesMayIdle && instrTiles % config.num_warps != 0)
    return emitError() << "num_warps = " << config.num_warps
                       << " waves do not evenly cover the " << tile.m << "x"
                       << tile.n << " tile (" << instrTiles << " " << instr->m
                       << "x" << instr->n << " " << family << " tiles) on "
                       << t.chip;

  if (t.isAMDGPU()) {
    if (config.waves_per_eu > t.maxWavesPerEU)
      return emitError() << "waves_per_eu = " << config.waves_per_eu
                         << " is over " << t.chip << "'s limit of "
                         << t.maxWavesPerEU << " waves per SIMD";
    // The f32 accumulator alone must fit the register budget the occupancy
    // hint leaves; otherwise the backend could only spill.
    if (accRegsPerLane > vgprBudget) {
      int64_t accElems = tile.accElems ? tile.accElems : tile.m * tile.n;
      InFlightDiagnostic diag =
          emitError() << "the f32 accumulator of " << accElems
                      << " elements needs " << accRegsPerLane
                      << " registers per lane over num_warps = "
                      << config.num_warps << " waves, more than the "
                      << vgprBudget << " available on " << t.chip;
      if (config.waves_per_eu > 0)
        diag << " with waves_per_eu = " << config.waves_per_eu;
      return diag;
    }
  }

  if (t.ldsBytes && ldsBytes > t.ldsBytes) {
    InFlightDiagnostic diag =
        emitError() << "LDS use of " << ldsBytes << " bytes (" << tile.mName
                    << " = " << tile.m << ", " << tile.nName << " = "
                    << tile.n << ", " << tile.kName << " = " << tile.k
                    << ", num_stages = " << config.num_stages
                    << ", epilogue = " << stringifyEpilogueKind(config.epilogue);
    if (asyncCopy)
      diag << ", async_copy";
    diag << ") is over " << t.chip << "'s limit of " << t.ldsBytes
         << " bytes";
    return diag;
  }
  return success();
}
