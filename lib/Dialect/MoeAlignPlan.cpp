//===- MoeAlignPlan.cpp - launches of moe_align and act_and_mul -----------===//
//
// Every number the moe_align and act_and_mul kernels, their verifiers and
// their launchers share. The kernels are lib/Transforms/MoeAlignKernel.cpp.
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/OpPlans.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;
using namespace moec;

namespace {
/// Copies each scattering lane walks in order (GPU and host): short runs keep the
/// sequential part of the scatter short, at the price of more workgroups
/// (each counts every copy, see MoeAlignKernel.cpp).
constexpr int64_t kRunLength = 32;
} // namespace

MoeAlignPlan MoeAlignPlan::get(int64_t numExperts, const ConfigValues &config,
                               const TargetInfo &target) {
  MoeAlignPlan p;
  p.target = &target;
  p.numExperts = numExperts;
  p.blockM = config.block_m;
  bool gpu = !target.isHost();
  // The host runs the same lane program (lanes as fibers, runs of the same
  // length), with no LDS limit but 1 MiB.
  p.lanes = config.num_warps * target.waveSize;
  p.runLength = kRunLength;
  // Static shared memory: NVIDIA declares at most 48 KiB without opting in.
  p.ldsLimit = gpu ? std::min<int64_t>(target.ldsBytes,
                                       KernelPlan::kMaxStaticSharedBytes)
                   : int64_t(1) << 20;
  // 4 E counter words, then per scattering lane E table words and its run.
  int64_t words = p.ldsLimit / 4;
  int64_t fixed = 4 * numExperts;
  int64_t perRun = numExperts + p.runLength;
  int64_t fit = fixed < words ? (words - fixed) / perRun : 0;
  p.subChunks = std::max<int64_t>(1, std::min(p.lanes, fit));
  p.copiesPerWorkgroup = p.subChunks * p.runLength;
  p.ldsTotal = 0;
  p.ldsBefore = numExperts;
  p.ldsScanA = 2 * numExperts;
  p.ldsScanB = 3 * numExperts;
  p.ldsTable = 4 * numExperts;
  p.ldsStage = p.ldsTable + p.subChunks * numExperts;
  p.ldsWords = p.ldsStage + p.copiesPerWorkgroup;
  p.ldsBytes = p.ldsWords * 4;
  return p;
}

MoeAlignPlan moec::getMoeAlignPlan(MoeAlignOp op, const TargetInfo &target) {
  return MoeAlignPlan::get(op.getNumExperts(), ConfigValues(op.getConfig()),
                           target);
}

int64_t MoeAlignPlan::gridSize(int64_t copies) const {
  return std::max<int64_t>(1, llvm::divideCeil(copies, copiesPerWorkgroup));
}

int64_t MoeAlignPlan::maxSortedIds(int64_t copies) const {
  return copies + numExperts * (blockM - 1);
}

int64_t MoeAlignPlan::maxBlocks(int64_t copies) const {
  return llvm::divideCeil(maxSortedIds(copies), blockM);
}

LogicalResult MoeAlignPlan::verify(
    llvm::function_ref<InFlightDiagnostic()> emitError) const {
  if (target->maxWorkgroupSize && lanes > target->maxWorkgroupSize)
    return emitError() << "num_warps gives " << lanes
                       << " lanes per workgroup, more than the "
                       << target->maxWorkgroupSize << " of " << target->chip;
  if (ldsBytes <= ldsLimit)
    return success();
  return emitError() << "num_experts = " << numExperts << " needs "
                     << ldsBytes << " bytes of LDS for the expert counters ("
                     << 4 * numExperts * 4 << " bytes) and one run of "
                     << runLength << " copies, more than the "
                     << ldsLimit << " bytes moe_align may use on "
                     << target->chip;
}

//===----------------------------------------------------------------------===//
// ActAndMulPlan
//===----------------------------------------------------------------------===//

ActAndMulPlan ActAndMulPlan::get(const ConfigValues &config,
                                 const TargetInfo &target) {
  ActAndMulPlan p;
  p.target = &target;
  bool gpu = !target.isHost();
  p.lanes = config.num_warps * target.waveSize;
  // GPU: 8 elements a lane (a 16-byte vector of 16-bit outputs); host: 256
  // a lane, so that a workgroup (its lanes are fibers) is a task of some
  // size (64 Ki elements at 4 waves).
  p.elemsPerWorkgroup = p.lanes * (gpu ? 8 : 256);
  return p;
}

ActAndMulPlan moec::getActAndMulPlan(ActAndMulOp op,
                                     const TargetInfo &target) {
  return ActAndMulPlan::get(ConfigValues(op.getConfig()), target);
}

ActAndMulPlan moec::getSparseWindowIndicesPlan(SparseWindowIndicesOp op,
                                               const TargetInfo &target) {
  return ActAndMulPlan::get(ConfigValues(op.getConfig()), target);
}

int64_t ActAndMulPlan::gridSize(int64_t elems) const {
  return std::max<int64_t>(1, llvm::divideCeil(elems, elemsPerWorkgroup));
}

LogicalResult ActAndMulPlan::verify(
    llvm::function_ref<InFlightDiagnostic()> emitError) const {
  if (target->maxWorkgroupSize && lanes > target->maxWorkgroupSize)
    return emitError() << "num_warps gives " << lanes
                       << " lanes per workgroup, more than the "
                       << target->maxWorkgroupSize << " of " << target->chip;
  return success();
}

//===----------------------------------------------------------------------===//
// QuantFp8Plan
//===----------------------------------------------------------------------===//

QuantFp8Plan moec::getQuantFp8Plan(QuantFp8Op op, const TargetInfo &target) {
  QuantFp8Plan p;
  ActAndMulPlan elementwise =
      ActAndMulPlan::get(ConfigValues(op.getConfig()), target);
  p.target = &target;
  p.lanes = elementwise.lanes;
  p.groupK = op.getGroupK().value_or(0);
  p.perTensor = op.getGranularity() == QuantFp8Op::Granularity::Tensor;
  p.staticScale = op.getStaticScale();
  // group_k: 32 lanes a group (a 128-column group: 4 elements a lane), so
  // a workgroup takes several and the grid is not rows x groups of tiny
  // workgroups. lanes is num_warps x the wave size: a multiple of 32.
  p.teamLanes = p.groupK && !p.staticScale && p.lanes % 32 == 0
                    ? std::min<int64_t>(p.lanes, 32)
                    : p.lanes;
  return p;
}

int64_t QuantFp8Plan::gridSize(int64_t rows, int64_t cols) const {
  if (staticScale)
    return std::max<int64_t>(1, rows);
  if (perTensor)
    return 1;
  if (groupK)
    return std::max<int64_t>(
        1, llvm::divideCeil(rows * llvm::divideCeil(cols, groupK),
                            groupsPerWorkgroup()));
  return std::max<int64_t>(1, rows);
}

LogicalResult QuantFp8Plan::verify(
    llvm::function_ref<InFlightDiagnostic()> emitError) const {
  if (target->maxWorkgroupSize && lanes > target->maxWorkgroupSize)
    return emitError() << "num_warps gives " << lanes
                       << " lanes per workgroup, more than the "
                       << target->maxWorkgroupSize << " of " << target->chip;
  return success();
}
