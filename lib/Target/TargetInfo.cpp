//===- TargetInfo.cpp - limits of the chips moec compiles for -------------===//
//
// Sources: AMD's CDNA2/CDNA3/CDNA4 ISA guides (MFMA tables, LDS, VGPR file),
// the LLVM AMDGPU backend (AMDGPUUsage), the PTX ISA (mma.sync shapes) and the
// CUDA programming guide (shared memory per block).
//
//===----------------------------------------------------------------------===//

#include "moec/Target/TargetInfo.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>

using namespace moec;
using MIK = MatrixInputKind;

namespace {

// gfx90a (CDNA2): no fp8; bf16 uses the *_1k forms.
const MatrixInstr kGfx90aInstrs[] = {
    {MIK::F16, 16, 16, 16, "v_mfma_f32_16x16x16f16"},
    {MIK::F16, 32, 32, 8, "v_mfma_f32_32x32x8f16"},
    {MIK::BF16, 16, 16, 16, "v_mfma_f32_16x16x16bf16_1k"},
    {MIK::BF16, 32, 32, 8, "v_mfma_f32_32x32x8bf16_1k"},
    {MIK::I8, 16, 16, 16, "v_mfma_i32_16x16x16i8"},
    {MIK::I8, 32, 32, 8, "v_mfma_i32_32x32x8i8"},
};

// gfx942 (CDNA3): fnuz fp8.
const MatrixInstr kGfx942Instrs[] = {
    {MIK::F16, 16, 16, 16, "v_mfma_f32_16x16x16_f16"},
    {MIK::F16, 32, 32, 8, "v_mfma_f32_32x32x8_f16"},
    {MIK::BF16, 16, 16, 16, "v_mfma_f32_16x16x16_bf16"},
    {MIK::BF16, 32, 32, 8, "v_mfma_f32_32x32x8_bf16"},
    {MIK::FP8, 16, 16, 32, "v_mfma_f32_16x16x32_fp8_fp8"},
    {MIK::FP8, 32, 32, 16, "v_mfma_f32_32x32x16_fp8_fp8"},
    {MIK::I8, 16, 16, 32, "v_mfma_i32_16x16x32_i8"},
    {MIK::I8, 32, 32, 16, "v_mfma_i32_32x32x16_i8"},
};

// gfx950 (CDNA4): OCP fp8, double-K 16-bit forms, the f8f6f4 family.
const MatrixInstr kGfx950Instrs[] = {
    {MIK::F16, 16, 16, 16, "v_mfma_f32_16x16x16_f16"},
    {MIK::F16, 16, 16, 32, "v_mfma_f32_16x16x32_f16"},
    {MIK::F16, 32, 32, 8, "v_mfma_f32_32x32x8_f16"},
    {MIK::F16, 32, 32, 16, "v_mfma_f32_32x32x16_f16"},
    {MIK::BF16, 16, 16, 16, "v_mfma_f32_16x16x16_bf16"},
    {MIK::BF16, 16, 16, 32, "v_mfma_f32_16x16x32_bf16"},
    {MIK::BF16, 32, 32, 8, "v_mfma_f32_32x32x8_bf16"},
    {MIK::BF16, 32, 32, 16, "v_mfma_f32_32x32x16_bf16"},
    {MIK::FP8, 16, 16, 32, "v_mfma_f32_16x16x32_fp8_fp8"},
    {MIK::FP8, 16, 16, 128, "v_mfma_f32_16x16x128_f8f6f4"},
    {MIK::FP8, 32, 32, 16, "v_mfma_f32_32x32x16_fp8_fp8"},
    {MIK::FP8, 32, 32, 64, "v_mfma_f32_32x32x64_f8f6f4"},
    {MIK::I8, 16, 16, 64, "v_mfma_i32_16x16x64_i8"},
    {MIK::I8, 32, 32, 32, "v_mfma_i32_32x32x32_i8"},
};

// Ampere: mma.sync for 16-bit inputs and int8.
const MatrixInstr kSm80Instrs[] = {
    {MIK::F16, 16, 8, 16, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"},
    {MIK::BF16, 16, 8, 16, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"},
    {MIK::I8, 16, 8, 32, "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32"},
};

// Hopper: mma.sync as on Ampere plus OCP fp8 (e4m3/e5m2).
const MatrixInstr kSm90Instrs[] = {
    {MIK::F16, 16, 8, 16, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"},
    {MIK::BF16, 16, 8, 16, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"},
    {MIK::FP8, 16, 8, 32, "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32"},
    {MIK::I8, 16, 8, 32, "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32"},
};

const TargetInfo kTargets[] = {
    // chip, kind, triple, wave, LDS, max WG, waves/EU, VGPR file, max/lane,
    // granule, fp8, kpack2, instrs, SIMDs/CU, LDS/CU
    {"gfx90a", TargetKind::AMDGPU, "amdgcn-amd-amdhsa", 64, 64 * 1024, 1024, 8,
     512, 512, 8, Fp8Flavor::None, true, kGfx90aInstrs, 4, 64 * 1024},
    {"gfx942", TargetKind::AMDGPU, "amdgcn-amd-amdhsa", 64, 64 * 1024, 1024, 8,
     512, 512, 8, Fp8Flavor::FNUZ, true, kGfx942Instrs, 4, 64 * 1024},
    {"gfx950", TargetKind::AMDGPU, "amdgcn-amd-amdhsa", 64, 160 * 1024, 1024, 8,
     512, 512, 8, Fp8Flavor::OCP, false, kGfx950Instrs, 4, 160 * 1024},
    {"sm_80", TargetKind::NVPTX, "nvptx64-nvidia-cuda", 32, 163 * 1024, 1024, 0,
     0, 255, 8, Fp8Flavor::None, true, kSm80Instrs, 0, 0},
    {"sm_90", TargetKind::NVPTX, "nvptx64-nvidia-cuda", 32, 227 * 1024, 1024, 0,
     0, 255, 8, Fp8Flavor::OCP, true, kSm90Instrs, 0, 0},
    // The host's "wave" is 64 lanes (CDNA's): its kernels are the GPU lane
    // program with AMD's lane counts, each lane a fiber (HostLanes.cpp).
    {"host", TargetKind::Host, "", 64, 0, 1024, 0, 0, 0, 1, Fp8Flavor::Any,
     true, {}, 0, 0},
};

} // namespace

llvm::SmallVector<MatrixInstr, 4>
TargetInfo::findMatrixInstrs(MatrixInputKind input, int64_t nonkdim) const {
  llvm::SmallVector<MatrixInstr, 4> result;
  for (const MatrixInstr &mi : matrixInstrs)
    if (mi.input == input && (nonkdim == 0 || mi.m == nonkdim))
      result.push_back(mi);
  llvm::sort(result, [](const MatrixInstr &a, const MatrixInstr &b) {
    return a.k < b.k;
  });
  return result;
}

int64_t TargetInfo::vgprBudget(int64_t wavesPerEU) const {
  if (wavesPerEU <= 0 || vgprsPerSimd == 0)
    return maxVgprsPerLane;
  int64_t perWave = vgprsPerSimd / wavesPerEU;
  perWave -= perWave % vgprAllocGranule;
  return std::min(perWave, maxVgprsPerLane);
}

int64_t TargetInfo::occupancyForVgprs(int64_t vgprs) const {
  if (vgprsPerSimd == 0 || vgprs <= 0)
    return maxWavesPerEU;
  if (vgprs > vgprsPerSimd) // also keeps the rounding below from overflowing
    return 0;
  int64_t rounded = (vgprs + vgprAllocGranule - 1) / vgprAllocGranule *
                    vgprAllocGranule;
  return std::min<int64_t>(maxWavesPerEU, vgprsPerSimd / rounded);
}

int64_t TargetInfo::occupancyForSgprs(int64_t sgprs) const {
  if (!isAMDGPU())
    return maxWavesPerEU;
  // GFX9 (gfx90a, gfx942, gfx950): 800 SGPRs per SIMD; LLVM's
  // AMDGPUSubtarget::getOccupancyWithNumSGPRs uses this table. A wave holds
  // at most 102, so SGPRs limit only below 8 waves.
  int64_t waves = sgprs <= 80 ? 10 : sgprs <= 88 ? 9 : sgprs <= 100 ? 8 : 7;
  return std::min(waves, maxWavesPerEU);
}

int64_t TargetInfo::occupancyForLds(int64_t ldsBytes,
                                    int64_t workgroupSize) const {
  if (ldsBytes <= 0 || ldsBytesPerCU == 0 || simdsPerCU == 0)
    return maxWavesPerEU;
  int64_t workgroupsPerCU = ldsBytesPerCU / ldsBytes;
  if (workgroupsPerCU == 0)
    return 0; // does not fit at all
  // Untrusted sizes (code-object metadata): a workgroup larger than the
  // chip allows counts as the largest it allows, so nothing overflows.
  int64_t lanes = std::clamp<int64_t>(workgroupSize, 1, maxWorkgroupSize);
  int64_t wavesPerWorkgroup =
      std::max<int64_t>(1, (lanes + waveSize - 1) / waveSize);
  int64_t waves = workgroupsPerCU * wavesPerWorkgroup / simdsPerCU;
  return std::clamp<int64_t>(waves, 1, maxWavesPerEU);
}

const TargetInfo *moec::lookupTarget(llvm::StringRef chip) {
  for (const TargetInfo &t : kTargets)
    if (t.chip == chip)
      return &t;
  return nullptr;
}

llvm::ArrayRef<TargetInfo> moec::allTargets() { return kTargets; }

std::string moec::knownTargetNames() {
  std::string names;
  for (const TargetInfo &t : kTargets) {
    if (!names.empty())
      names += ", ";
    names += t.chip.str();
  }
  return names;
}
