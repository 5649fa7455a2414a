//===- TargetInfo.h - limits of the chips moec compiles for -----*- C++ -*-===//
//
// One table row per target: wave size, LDS, register file, matrix
// instructions and fp8 flavour. The verifier checks configs against it and the
// lowerings pick instructions from it, so a limit lives in exactly one place.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TARGET_TARGETINFO_H
#define MOEC_TARGET_TARGETINFO_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace moec {

enum class TargetKind { AMDGPU, NVPTX, Host };

/// Which fp8 encodings the matrix units take.
enum class Fp8Flavor {
  None, ///< no fp8 matrix instructions (gfx90a, sm_80)
  FNUZ, ///< f8E4M3FNUZ / f8E5M2FNUZ (gfx942)
  OCP,  ///< f8E4M3FN / f8E5M2 (gfx950, sm_90)
  Any   ///< emulated: every flavour (host)
};

/// Input class of a matrix instruction.
enum class MatrixInputKind { F16, BF16, FP8, I8 };

/// One matrix-core instruction: D[m x n] += A[m x k] * B[k x n] per wave/warp.
struct MatrixInstr {
  MatrixInputKind input;
  int64_t m, n, k;
  llvm::StringLiteral mnemonic; ///< as it reads in the ISA / PTX
};

struct TargetInfo {
  llvm::StringLiteral chip;
  TargetKind kind;
  llvm::StringLiteral triple;
  int64_t waveSize;            ///< lanes per wave (64 CDNA) or warp (32 NVIDIA)
  int64_t ldsBytes;            ///< LDS / shared memory per workgroup; 0 = no limit
  int64_t maxWorkgroupSize;    ///< lanes per workgroup
  int64_t maxWavesPerEU;       ///< occupancy ceiling per SIMD (AMD), 0 elsewhere
  int64_t vgprsPerSimd;        ///< unified VGPR+AGPR file per lane of a SIMD (AMD)
  int64_t maxVgprsPerLane;     ///< most registers one wave may hold per lane
  int64_t vgprAllocGranule;    ///< allocation granule of that file
  Fp8Flavor fp8;
  bool supportsKpack2;         ///< gfx950's MFMA reads make kpack = 2 meaningless
  llvm::ArrayRef<MatrixInstr> matrixInstrs;
  // Occupancy model (AMD; 0 elsewhere): what one compute unit shares among
  // the waves and workgroups resident on it.
  int64_t simdsPerCU;          ///< SIMDs (execution units) per CU: 4 on CDNA
  int64_t ldsBytesPerCU;       ///< LDS of one CU, shared by its workgroups

  bool isAMDGPU() const { return kind == TargetKind::AMDGPU; }
  bool isNVPTX() const { return kind == TargetKind::NVPTX; }
  bool isHost() const { return kind == TargetKind::Host; }

  /// The matrix instructions for `input` with output tile `nonkdim x nonkdim`
  /// (AMD) or any shape (NVIDIA, nonkdim = 0), smallest K first.
  llvm::SmallVector<MatrixInstr, 4> findMatrixInstrs(MatrixInputKind input,
                                                     int64_t nonkdim) const;

  /// VGPRs per lane available to one wave when `wavesPerEU` waves must fit on
  /// a SIMD (0 = no hint: the per-wave maximum).
  int64_t vgprBudget(int64_t wavesPerEU) const;
  /// Waves per SIMD that `vgprs` registers per lane allow.
  int64_t occupancyForVgprs(int64_t vgprs) const;
  /// Waves per SIMD that `sgprs` scalar registers per wave allow (the count
  /// the code object reports, VCC and friends included).
  int64_t occupancyForSgprs(int64_t sgprs) const;
  /// Waves per SIMD that the LDS allows when each workgroup of
  /// `workgroupSize` lanes takes `ldsBytes`: as many workgroups as fit in the
  /// CU's LDS, their waves spread over its SIMDs (rounded down, at least 1).
  int64_t occupancyForLds(int64_t ldsBytes, int64_t workgroupSize) const;
};

/// The target named `chip`, or nullptr.
const TargetInfo *lookupTarget(llvm::StringRef chip);
/// All known targets, in the order they are documented.
llvm::ArrayRef<TargetInfo> allTargets();
/// "gfx90a, gfx942, ..." for error messages.
std::string knownTargetNames();

} // namespace moec

#endif // MOEC_TARGET_TARGETINFO_H
