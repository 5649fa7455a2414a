//===- OpPlans.h - the kernel plan of each moec op --------------*- C++ -*-===//
//
// Where an op's operands and config become a MatmulProblem and so a
// KernelPlan (moec/Plan/KernelPlan.h). The verifier, the lowering and the
// launcher all go through here, so they agree on every derived number.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_DIALECT_OPPLANS_H
#define MOEC_DIALECT_OPPLANS_H

#include "moec/Dialect/MoecDialect.h"
#include "moec/Plan/KernelPlan.h"

namespace moec {

/// The matrix problem of one workgroup of `op`.
MatmulProblem getGemmProblem(GemmOp op);
/// The same from the GEMM's operands (memrefs A, B, C) and layout: what a
/// tile program of a gemm (moec-lower-gemm-to-tiles) still says of it.
MatmulProblem getGemmProblem(ConfigAttr config, mlir::Value a, mlir::Value b,
                             mlir::Value c, bool transposeA, bool transposeB);
/// The plan of `op`'s kernel on `target`.
KernelPlan getGemmPlan(GemmOp op, const TargetInfo &target);

/// One row of DeepSeek-V3.2's FP8 sparse-MLA KV cache (`kv_format =
/// fp8_ds_mla`; FlashMLA's "FP8 with scale", vLLM's "fp8_ds_mla"): 512 OCP
/// e4m3fn latent codes at byte 0, 4 f32 scales (one per 128 codes) at byte
/// 512, 64 bf16 rope values at byte 528; 656 bytes, rows contiguous.
inline constexpr int64_t kFp8DsMlaRowBytes = 656;
inline constexpr int64_t kFp8DsMlaLatent = 512;
inline constexpr int64_t kFp8DsMlaScaleGroup = 128;
inline constexpr int64_t kFp8DsMlaScaleOffset = 512;
inline constexpr int64_t kFp8DsMlaRopeOffset = 528;
inline constexpr int64_t kFp8DsMlaRope = 64;

/// The plan of a `moec.sparse_attention` kernel (sparse MLA decode): one
/// workgroup per (query token, group of block_h heads), looping over the
/// token's topk indices block_kv at a time. Two products run on the matrix
/// core, each with its own KernelPlan (what its MatrixCore is built from):
///   qk: S = Q (block_h x d_qk) x KV (block_kv x d_qk)^T, run qkChunk
///       columns of d_qk at a time in a loop (the product's K = qkChunk);
///   pv: O[:, chunk] += P (block_h x block_kv) x V (block_kv x dvChunk),
///       K = block_kv, one per dvChunk columns of d_v, V read in place from
///       the KV ring (K x N in LDS).
/// A product whose tile has fewer instruction tiles than num_warps runs on
/// the first qkWaves / pvWaves waves; the others wait at the next barrier.
/// LDS (one allocation): the KV ring [numLdsBuffers][block_kv][d_qk] at 0,
/// then Q [block_h][d_qk], P [block_h][block_kv] (KV element type), the f32
/// scores [block_h][block_kv], the gathered indices
/// [numLdsBuffers][block_kv] (i32, -1 where masked) and the row statistics
/// max, sum and correction [3][block_h] (f32).
struct SparseAttentionPlan {
  /// The whole kernel: lanes, pipeline (numStages, numLdsBuffers), LDS total
  /// and whether it is dynamic, register budget; verify() checks it.
  KernelPlan kernel;
  KernelPlan qk, pv;
  int64_t qkWaves = 1, pvWaves = 1;
  /// Lanes per row in the online softmax (each takes block_kv / G columns;
  /// a power of two: their maxima and sums meet by xor shuffles).
  int64_t softmaxGroups = 1;
  int64_t dQK = 0, dV = 0, dvChunk = 0;
  /// Columns of d_qk per step of the score product's loop: a rolled loop
  /// keeps one step's fragments live (fully unrolled over d_qk 576 the
  /// scheduler hoisted them all and the kernel spilled at 255 registers).
  int64_t qkChunk = 0;
  int64_t hQ = 0; ///< query heads; dynamic (ShapedType::kDynamic) possible
  /// Elements per global vector access (16 bytes on GPUs, 1 on the host).
  int64_t vec = 1;
  /// kv_cache is the fp8_ds_mla byte layout (above): the gather reads
  /// kvRowBytes-byte rows and dequantizes them to bf16 into the same KV
  /// ring a bf16 cache fills, through registers (async_copy is off: a
  /// cp.async cannot convert).
  bool kvFp8 = false;
  /// Elements (plain) or bytes (fp8_ds_mla) of one kv_cache row.
  int64_t kvRowStride = 0;
  /// Byte offsets into LDS.
  int64_t ldsQ = 0, ldsP = 0, ldsX = 0, ldsIdx = 0, ldsStats = 0;

  /// Workgroups of the attention kernel: tokens x ceil(h_q / block_h) x
  /// splits.
  int64_t gridSize(int64_t tokens, int64_t hQ, int64_t splits = 1) const;
  /// Workgroups of the merge kernel (one per token and head).
  int64_t mergeGridSize(int64_t tokens, int64_t hQ) const { return tokens * hQ; }
  /// The KV splits a launch of `tokens` tokens should use on a device of
  /// `computeUnits` CUs/SMs: 1 (no split, no merge) when tokens x head
  /// groups give every unit a workgroup already, else enough splits to (at
  /// most the config's kv_splits, at most the topk / block_kv blocks).
  int64_t kvSplitsFor(int64_t tokens, int64_t hQ, int64_t topk,
                      int64_t computeUnits) const;
  /// CUs (AMD) or SMs (NVIDIA) of the usual part of the target (MI300X,
  /// MI250X's GCD, MI355X, A100, H100 SXM), the host's hardware threads.
  static int64_t typicalComputeUnits(const TargetInfo &target);
  /// The target checks of both products and of the whole kernel.
  mlir::LogicalResult
  verify(llvm::function_ref<mlir::InFlightDiagnostic()> emitError) const;
};

/// The plan of `op`'s kernel on `target`.
SparseAttentionPlan getSparseAttentionPlan(SparseAttentionOp op,
                                           const TargetInfo &target);
/// The launch of `moec.moe_align` (lib/Transforms/MoeAlignKernel.cpp says
/// how the kernel works). One workgroup sorts `copiesPerWorkgroup` routed
/// copies; `subChunks` of its lanes each scatter a contiguous run of
/// `runLength` of them in order, which keeps the order within an expert.
/// LDS holds i32 words: per-expert counters (total, copies before this
/// workgroup's chunk, two scan buffers), the [subChunks][E] table of
/// per-run offsets, and the chunk's expert ids.
struct MoeAlignPlan {
  const TargetInfo *target = nullptr;
  int64_t numExperts = 0, blockM = 0;
  int64_t lanes = 1;
  int64_t subChunks = 1, runLength = 1, copiesPerWorkgroup = 1;
  /// Word offsets of each LDS array, and the total.
  int64_t ldsTotal = 0, ldsBefore = 0, ldsScanA = 0, ldsScanB = 0,
          ldsTable = 0, ldsStage = 0, ldsWords = 0, ldsBytes = 0;
  /// Most LDS the kernel may take on the target (static shared memory).
  int64_t ldsLimit = 0;

  /// Workgroups for `copies` = tokens x top_k routed copies (at least 1:
  /// workgroup 0 also writes num_tokens_post_padded).
  int64_t gridSize(int64_t copies) const;
  /// The largest sorted_token_ids / expert_ids the op can fill for `copies`.
  int64_t maxSortedIds(int64_t copies) const;
  int64_t maxBlocks(int64_t copies) const;
  /// Checks the LDS against the target, naming num_experts.
  mlir::LogicalResult
  verify(llvm::function_ref<mlir::InFlightDiagnostic()> emitError) const;

  static MoeAlignPlan get(int64_t numExperts, const ConfigValues &config,
                          const TargetInfo &target);
};
MoeAlignPlan getMoeAlignPlan(MoeAlignOp op, const TargetInfo &target);

/// The launch of `moec.act_and_mul`: each workgroup of `lanes` lanes takes
/// `elemsPerWorkgroup` consecutive output elements, lanes strided.
struct ActAndMulPlan {
  const TargetInfo *target = nullptr;
  int64_t lanes = 1;
  int64_t elemsPerWorkgroup = 1;
  /// Workgroups for `elems` output elements (at least 1).
  int64_t gridSize(int64_t elems) const;
  mlir::LogicalResult
  verify(llvm::function_ref<mlir::InFlightDiagnostic()> emitError) const;
  static ActAndMulPlan get(const ConfigValues &config,
                           const TargetInfo &target);
};
ActAndMulPlan getActAndMulPlan(ActAndMulOp op, const TargetInfo &target);
/// The launch of `moec.sparse_window_indices`: the same element-wise shape
/// as act_and_mul, over the tokens x topk elements of `indices`.
ActAndMulPlan getSparseWindowIndicesPlan(SparseWindowIndicesOp op,
                                         const TargetInfo &target);

/// The launch of `moec.quant_fp8`: workgroups of `lanes` lanes in teams of
/// `teamLanes`, a team per scale group: per token a row (one team, the
/// workgroup), per tensor the tensor (one workgroup), group_k a row's group
/// of columns (teams of 32 lanes, lanes / 32 groups a workgroup); a static
/// scale one workgroup per row. `ldsBytes`: the lanes' partial amax (f32
/// each).
struct QuantFp8Plan {
  const TargetInfo *target = nullptr;
  int64_t lanes = 1;
  int64_t teamLanes = 1;
  int64_t groupsPerWorkgroup() const { return lanes / teamLanes; }
  int64_t groupK = 0; ///< 0: no group_k
  bool perTensor = false, staticScale = false;
  int64_t ldsBytes() const { return staticScale ? 0 : 4 * lanes; }
  /// Workgroups for an [rows, cols] input (at least 1).
  int64_t gridSize(int64_t rows, int64_t cols) const;
  mlir::LogicalResult
  verify(llvm::function_ref<mlir::InFlightDiagnostic()> emitError) const;
};
QuantFp8Plan getQuantFp8Plan(QuantFp8Op op, const TargetInfo &target);

/// The matrix problem of one workgroup of a moe_gemm: a GEMM tile with B
/// N x K (W's layout) plus the block's row map in LDS.
MatmulProblem getMoeGemmProblem(MoeGemmOp op);
/// The plan of `op`'s kernel on `target`. Its grid is
/// ceil(len(sorted_token_ids) / block_m) x ceil(N / block_n):
/// gridSize(len(sorted_token_ids), N).
KernelPlan getMoeGemmPlan(MoeGemmOp op, const TargetInfo &target);

} // namespace moec

#endif // MOEC_DIALECT_OPPLANS_H
