//===- KernelPlan.h - every derived number of one kernel --------*- C++ -*-===//
//
// A KernelPlan is computed once from (problem, config, target) and owns every
// quantity derived from them: lanes per workgroup, the pipeline (effective
// stages, async copies, LDS buffers), LDS bytes (K-loop rings, epilogue tile,
// total, static or dynamic), the matrix instruction, the register budget, the
// vector widths of global accesses and the grid. The op verifiers check it
// (verify), the lowering builds from it, the launcher sizes the launch with
// it, and its mangle/hash name the kernel for caches and tuners. Nothing else
// recomputes these numbers.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_PLAN_KERNELPLAN_H
#define MOEC_PLAN_KERNELPLAN_H

#include "moec/Dialect/Config.h"
#include "moec/Target/TargetInfo.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Types.h"

#include <optional>
#include <string>

namespace moec {

/// One workgroup's matrix problem as the plan sees it: the tile, the element
/// types and how operands lie in memory. Names are those the user wrote in
/// the config, so messages can point at the parameter.
struct MatmulProblem {
  int64_t m = 0, n = 0, k = 0;
  llvm::StringRef mName = "block_m", nName = "block_n", kName = "block_k";
  mlir::Type inputType;     ///< element type fed to the matrix unit
  int64_t aStageBytes = 0;  ///< LDS bytes of the A tile staged per K step
  int64_t bStageBytes = 0;  ///< LDS bytes of the B tile staged per K step
  int64_t epilogueTileBytes = 0; ///< LDS of an `lds` epilogue's tile
  int64_t extraLdsBytes = 0;     ///< LDS outside the pipelined buffers
  /// The epilogue goes through its LDS tile on every target (moe_gemm with
  /// a gated activation), whatever the config's `epilogue` says.
  bool forceLdsEpilogue = false;
  int64_t accElems = 0;          ///< f32 accumulator elements; 0 = m * n
  /// Waves beyond the m x n tile's instruction tiles may sit out the
  /// product instead of failing the coverage rule (sparse attention: its
  /// gathers, softmax and transposes use every wave, each product as many as
  /// its tile has instruction tiles).
  bool wavesMayIdle = false;

  /// Global accesses (GEMM): element bytes of A, B, C and the extent of the
  /// tile along each operand's contiguous dimension; 0 where not a GEMM.
  int64_t aEltBytes = 0, bEltBytes = 0, cEltBytes = 0;
  int64_t aContiguous = 0, bContiguous = 0;
  /// Per operand (A, B, C): the leading dimension is a static multiple of
  /// 16 bytes (assume_aligned makes every one aligned).
  bool staticLdAligned[3] = {false, false, false};
};

struct KernelPlan {
  /// Width in bytes of one global memory transaction per lane.
  static constexpr int64_t kVectorBytes = 16;
  /// Most static shared memory a CUDA kernel may declare; more is dynamic.
  static constexpr int64_t kMaxStaticSharedBytes = 48 * 1024;

  ConfigValues config;
  const TargetInfo *target = nullptr;
  MatmulProblem problem;

  // -- Workgroup --------------------------------------------------------
  /// Lanes per workgroup: num_warps x wave size (the host's wave is 64
  /// lanes, each a fiber).
  int64_t lanes = 1;

  // -- Pipeline ---------------------------------------------------------
  /// num_stages with the legacy 0 resolved.
  int64_t numStages = 2;
  /// K tiles go global -> LDS by asynchronous copies (NVIDIA cp.async,
  /// config.async_copy with num_stages >= 2); otherwise through registers.
  bool asyncCopy = false;
  /// LDS buffers the K loop cycles through: num_stages with async copies,
  /// else 1 up to two stages (the prefetch waits in registers) and
  /// num_stages - 1 beyond (the host as AMD).
  int64_t numLdsBuffers = 1;

  // -- Epilogue ---------------------------------------------------------
  /// The epilogue as built (lds where the problem forces it).
  EpilogueKind epilogue = EpilogueKind::direct;

  // -- LDS --------------------------------------------------------------
  int64_t ldsABytes = 0;        ///< A ring, 16-byte aligned, at offset 0
  int64_t ldsBBytes = 0;        ///< B ring, right after the A ring
  int64_t epilogueLdsBytes = 0; ///< the lds epilogue's tile (aliases rings)
  /// Where problem.extraLdsBytes start: after the rings and the epilogue
  /// tile, 16-byte aligned (moe_gemm's row map, attention's P tile).
  int64_t extraLdsOffset = 0;
  int64_t ldsBytes = 0;         ///< what one workgroup allocates
  /// The LDS is dynamic shared memory, sized at launch (NVIDIA past 48 KiB).
  bool dynamicLds = false;

  // -- Matrix core --------------------------------------------------------
  /// The matrix instruction of the target's checks (the family's smallest
  /// K: the tile must be a multiple of it); none on the host.
  std::optional<MatrixInstr> instr;
  /// The K of the instruction the tile is built from: the largest K of the
  /// family that block_k still divides (with kpack); 0 when none does.
  int64_t instrK = 0;
  int64_t nonKDim = 0; ///< AMD: matrix_instr_nonkdim; 0 elsewhere
  int64_t kpack = 1;   ///< AMD and host (LDS read width): config.kpack; else 1
  /// f32 accumulator registers per lane and the budget waves_per_eu leaves.
  int64_t accRegsPerLane = 0, vgprBudget = 0;

  // -- Global accesses (GEMM) ---------------------------------------------
  /// Elements per vector access of A, B (tile loads) and C (lds epilogue).
  int64_t vecA = 1, vecB = 1, vecC = 1;
  /// Leading dimension of A, B, C known to be a multiple of 16 bytes.
  bool ldAligned[3] = {false, false, false};

  /// Computes the plan. Never fails: `verify` says whether it can be built.
  static KernelPlan get(const ConfigValues &config, const TargetInfo &target,
                        const MatmulProblem &problem);

  /// Places the LDS once the ring and epilogue-tile bytes are set: the
  /// extra LDS offset, the total and whether it is dynamic. `get` calls it;
  /// so does moec-tile-to-lanes after taking the ring and epilogue bytes
  /// from the tile program's decision attributes.
  void layoutLds();

  /// Checks the plan against the target's limits, naming the parameter and
  /// the limit in a diagnostic from `emitError`.
  mlir::LogicalResult
  verify(llvm::function_ref<mlir::InFlightDiagnostic()> emitError) const;

  /// Workgroups for an M x N problem (row tiles x column tiles).
  int64_t gridSize(int64_t m, int64_t n) const;

  /// A stable, readable name of everything that shapes the code:
  /// target, config and problem.
  std::string mangle() const;
  /// Stable 64-bit hash of mangle(): a cache key component.
  uint64_t hash() const;
};

} // namespace moec

#endif // MOEC_PLAN_KERNELPLAN_H
