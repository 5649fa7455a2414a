//===- CodeObject.h - reading AMDGPU code objects back ----------*- C++ -*-===//
//
// What a code object (hsaco) says about each kernel: the HSA metadata note
// (msgpack, NT_AMDGPU_METADATA) with the registers, LDS, scratch and
// workgroup size the compiler reported, and the 64-byte kernel descriptor
// (`<kernel>.kd`) with what the hardware will actually allocate. From both,
// the occupancy (waves per SIMD) and what limits it. Reads any code object
// (v4, v5, v6), whoever made it; malformed input gives an error naming the
// file and the problem, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TARGET_CODEOBJECT_H
#define MOEC_TARGET_CODEOBJECT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moec {

struct TargetInfo;

/// The fields of a kernel descriptor (llvm/Support/AMDHSAKernelDescriptor.h)
/// that say what the hardware allocates for a wave.
struct KernelDescriptor {
  uint32_t groupSegmentFixedSize = 0;   ///< LDS bytes
  uint32_t privateSegmentFixedSize = 0; ///< scratch bytes per lane
  uint32_t kernargSize = 0;
  uint32_t computePgmRsrc1 = 0, computePgmRsrc2 = 0, computePgmRsrc3 = 0;
  uint16_t kernelCodeProperties = 0;
  /// GRANULATED_WORKITEM_VGPR_COUNT and GRANULATED_WAVEFRONT_SGPR_COUNT, raw.
  uint32_t granulatedVgprs = 0, granulatedSgprs = 0;
  /// Registers per lane the hardware allocates (the unified VGPR+AGPR file
  /// on gfx90a and later) and SGPRs per wave; 0 when moec does not know the
  /// chip's encoding granule.
  int64_t vgprsAllocated = 0, sgprsAllocated = 0;
  /// gfx90a and later: first AGPR of the unified file ((ACCUM_OFFSET+1)*4).
  int64_t accumOffset = 0;
};

/// What bounds the waves a SIMD can hold for one kernel.
enum class OccupancyLimit {
  None, ///< nothing: the hardware's maximum
  VGPR, ///< the vector registers (VGPRs and AGPRs) the kernel uses
  SGPR, ///< the scalar registers the kernel uses
  LDS,  ///< LDS shared by the workgroups on a compute unit
  /// The compiler's cap: LLVM pads the registers a kernel descriptor
  /// allocates so that no more waves fit than the kernel's waves-per-eu
  /// maximum (from the amdgpu-waves-per-eu attribute or LLVM's own estimate).
  WavesPerEU,
};
/// "none", "vgpr", "sgpr", "lds", "waves-per-eu".
llvm::StringRef occupancyLimitName(OccupancyLimit limit);

struct Occupancy {
  int64_t wavesPerSimd = 0; ///< the smallest of the bounds below
  int64_t maxWaves = 0;     ///< the hardware's ceiling
  /// Bounds from the registers the metadata reports used, and from LDS.
  int64_t byVgprs = 0, bySgprs = 0, byLds = 0;
  /// Bound from the registers the kernel descriptor allocates, which is what
  /// the hardware goes by; maxWaves without a descriptor.
  int64_t byAllocation = 0;
  /// On a tie the first of VGPR, LDS, SGPR, WavesPerEU.
  OccupancyLimit limitedBy = OccupancyLimit::None;
};

/// One kernel of a code object. Counts are as the metadata gives them; a
/// field the metadata lacks is 0.
struct KernelInfo {
  std::string name;   ///< .name
  std::string symbol; ///< .symbol, the descriptor's symbol ("name.kd")
  int64_t maxFlatWorkgroupSize = 0;
  std::optional<std::array<int64_t, 3>> reqdWorkgroupSize;
  /// .vgpr_count: on gfx90a and later LLVM reports the unified VGPR+AGPR use
  /// (architectural VGPRs aligned to 4, then the AGPRs).
  int64_t vgprCount = 0;
  int64_t agprCount = 0;
  int64_t sgprCount = 0; ///< VCC, flat scratch and XNACK SGPRs included
  int64_t vgprSpillCount = 0, sgprSpillCount = 0;
  int64_t ldsBytes = 0;     ///< .group_segment_fixed_size (static LDS)
  int64_t scratchBytes = 0; ///< .private_segment_fixed_size, per lane
  int64_t wavefrontSize = 0;
  int64_t kernargSegmentSize = 0;
  bool usesDynamicStack = false;
  std::optional<KernelDescriptor> descriptor;
  /// Computed when moec knows the chip (moec::lookupTarget).
  std::optional<Occupancy> occupancy;
  /// Disagreements between metadata and descriptor, and other remarks.
  std::vector<std::string> notes;

  /// Architectural VGPRs (aligned to 4 when there are AGPRs): where the
  /// descriptor puts the first AGPR on unified-file chips, else .vgpr_count.
  int64_t archVgprs() const;
  /// The workgroup size occupancy assumes: the required size when given,
  /// else the maximum flat size.
  int64_t workgroupSize() const;
};

struct CodeObjectInfo {
  std::string targetId; ///< amdhsa.target, e.g. "amdgcn-amd-amdhsa--gfx942"
  std::string chip;     ///< "gfx942"
  unsigned codeObjectVersion = 0; ///< 4, 5 or 6 (from the ELF ABI version)
  std::vector<KernelInfo> kernels;
};

/// Reads a code object (or a relocatable AMDGPU object). `name` (usually the
/// file name) starts every error message.
llvm::Expected<CodeObjectInfo> readCodeObject(llvm::ArrayRef<char> bytes,
                                              llvm::StringRef name);
/// Reads the file at `path`.
llvm::Expected<CodeObjectInfo> readCodeObjectFile(llvm::StringRef path);

/// Waves per SIMD for `kernel` on `target`: bounded by the registers the
/// kernel uses and the kernel descriptor allocates, and by the LDS (as many
/// workgroups of workgroupSize() as fit on a CU, spread over its SIMDs). Uses
/// the target's vgprsPerSimd, vgprAllocGranule, maxWavesPerEU, simdsPerCU
/// and ldsBytesPerCU.
Occupancy computeOccupancy(const TargetInfo &target, const KernelInfo &kernel);

} // namespace moec

#endif // MOEC_TARGET_CODEOBJECT_H
