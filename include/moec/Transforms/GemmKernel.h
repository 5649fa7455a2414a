//===- GemmKernel.h - one workgroup's GEMM program --------------*- C++ -*-===//
//
// The target-independent part of a GEMM kernel: workgroup swizzle, K loop,
// software pipeline through LDS, masked tile loads, epilogue. The tile product
// itself and the accumulator layout come from a MatrixCore (MFMA, mma.sync or
// the host's scalar loops), the only target-specific piece.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TRANSFORMS_GEMMKERNEL_H
#define MOEC_TRANSFORMS_GEMMKERNEL_H

#include "moec/Dialect/MoecDialect.h"
#include "moec/Plan/KernelPlan.h"
#include "moec/Target/TargetInfo.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <functional>
#include <optional>

namespace moec {

/// What `moec.moe_gemm` adds to a GEMM (see the op's description): the
/// rows of A are gathered through `sorted_token_ids`, B is the expert's
/// slice `W[expert_ids[block]]` (N x K), and the rows of C are scattered
/// through the same ids, times the routing weight, or atomically added
/// into the token's row with `reduce`.
struct MoeRouting {
  int64_t topK = 1;
  bool aPerCopy = false; ///< A has one row per routed copy (down projection)
  bool reduce = false;   ///< C is [tokens, N]: copies are summed atomically
  int64_t cRank = 3;     ///< rank of C: 3 ([tokens, top_k, N]) or 2
  mlir::Type topkWeightsType; ///< element type of topk_weights, or null
  /// A gated activation (`activation` on the op), else none: W's rows are
  /// gate [0, N/2) and up [N/2, N), C gets act(gate) * up, N/2 wide. The
  /// workgroup's B tile holds block_n/2 gate rows then the matching
  /// block_n/2 up rows, and the epilogue pairs them through an f32 LDS tile.
  Activation gate = Activation::none;
};

/// Everything that shapes the generated code for one `moec.gemm` or
/// `moec.moe_gemm`: its plan (config, target and every number derived from
/// them) and what the op says about its operands.
struct GemmKernelSpec {
  KernelPlan plan;
  bool transposeA = false, transposeB = false;
  /// How the core finds B in LDS: false (GEMM) as B^T, [N][K] rows with K
  /// contiguous; true as [K][N] rows with N contiguous. Attention's P x V
  /// reads V straight from the gathered [block_kv][d] KV rows this way
  /// instead of transposing them through LDS first.
  bool ldsBIsKxN = false;
  mlir::Type aType, bType, cType, biasType; ///< element types; bias may be null
  /// B's element type in memory where it differs from bType, the type of
  /// its LDS tile and of the matrix unit (int8_w8a16: i8 W, dequantized to
  /// A's type on its way to LDS); null otherwise.
  mlir::Type bMemoryType;
  bool hasScaleA = false, hasScaleB = false;
  /// MXFP4 weights (moe_gemm's `mxfp4`): B in memory is [E, N, K/2] packed
  /// e2m1 bytes (bMemoryType i8), b_scale [E, N, K/32] f8E8M0FNU; each
  /// vector is dequantized to bType (bf16) in registers on its way to LDS,
  /// its block's scale applied there, so the epilogue applies no b_scale.
  bool mxfp4 = false;
  /// MXFP4 on gfx950's scaled MFMA (v_mfma_scale_f32_{16x16x128,32x32x64}
  /// _f8f6f4; with kpack 1 and block_k a multiple of the instruction's K):
  /// W's e2m1 codes become e4m3 bytes on their way to LDS (exact, no scale:
  /// bType is f8E4M3FN), the MFMA applies W's e8m0 block scales
  /// (MatrixCore::mxScaleB), and A, bf16 in LDS, is split per 32 K into
  /// two MXFP8 parts (hi + lo, each e4m3 with its own e8m0 scale) so that
  /// hi + lo keeps bf16's precision: two scaled MFMAs per K step.
  bool mxfp4Native = false;
  /// Element type of the b_scale argument (f32, or f8E8M0FNU with mxfp4).
  mlir::Type scaleBType;
  /// Whether the epilogue multiplies by b_scale (not for block-wise or
  /// MXFP4 scales, which the K loop applies).
  bool scaleBInEpilogue() const { return hasScaleB && !groupK && !mxfp4; }
  bool scaleAPerTensor = true, scaleBPerTensor = true;
  /// Ranks of the scale operands as the kernel takes them (rank 0 -> 1).
  /// A rank-2 scale_a is per row ([M, 1]); a rank-2 scale_b is per
  /// (expert, column) ([E, N]).
  int64_t scaleARank = 1, scaleBRank = 1;
  /// moe_gemm's b_scale [E]: one value per expert, hence per workgroup.
  bool scaleBPerExpert = false;
  /// Block-wise fp8 (moe_gemm's group_n, group_k; 0 = not block-wise):
  /// a_scale [M, K groups] and b_scale [E, N groups, K groups] scale each
  /// K tile's product inside the K loop instead of the epilogue.
  int64_t groupN = 0, groupK = 0;
  Activation activation = Activation::none;
  /// Set for moe_gemm: the routing that maps tile rows to A and C rows.
  std::optional<MoeRouting> moe;

  static GemmKernelSpec get(MoeGemmOp op, const TargetInfo &target);
  const ConfigValues &cfg() const { return plan.config; }
};

/// Result of building a kernel: the function (its launch shape and LDS are
/// the plan's).
struct GemmKernel {
  mlir::gpu::GPUFuncOp func;
};

/// What moec-tile-to-lanes takes from a GEMM tile program instead of the
/// skeleton's own index arithmetic and epilogue (the decisions come in the
/// spec's plan, set from the program's attributes).
struct GemmTileHooks {
  /// The workgroup's extents and tile origin as the program computes them,
  /// and the K loop's trip count.
  struct Origin {
    mlir::Value M, N, K, m0, n0;
    /// Makes the K loop's trip count where the skeleton builds the loop.
    std::function<mlir::Value()> numK;
  };
  /// Emits the program's scalar part before its K loop (sizes, the
  /// workgroup swizzle, per-tensor loads) at the builder's insertion point,
  /// on the kernel's arguments; `programId` makes the program id (the
  /// block id, after the lane id). Fails after an error.
  std::function<mlir::FailureOr<Origin>(
      mlir::OpBuilder &, mlir::ValueRange kernelArgs,
      llvm::function_ref<mlir::Value()> programId)>
      prologue;
  /// The output element of tile position (row, col), at (gRow, gCol) =
  /// (m0 + row, n0 + col) of the output, from its f32 accumulator value:
  /// the program's epilogue, one element.
  std::function<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::Value row,
                            mlir::Value col, mlir::Value gRow,
                            mlir::Value gCol, mlir::Value acc)>
      element;
};

/// Builds the kernel of a GEMM tile program: the skeleton's K loop (the
/// plan's pipeline), tile loads (its vector widths and alignment), matrix
/// core and epilogue kind, around the program's own index arithmetic and
/// element-wise epilogue (`hooks`). `argTypes` are the kernel's arguments,
/// A, B and C first.
mlir::FailureOr<GemmKernel>
buildGemmKernelFromTiles(mlir::OpBuilder &b, mlir::gpu::GPUModuleOp module,
                         llvm::StringRef name, const GemmKernelSpec &spec,
                         mlir::TypeRange argTypes, const GemmTileHooks &hooks,
                         mlir::Location loc);

/// Builds the kernel for `spec` as a `gpu.func` at the end of `module`.
/// Arguments: the op's operands in ODS order (optional ones when present),
/// each a memref of the operand's rank (a rank-0 scale as [1]) with dynamic
/// sizes: A, B, C, bias, scale_a, scale_b for gemm; A, W, C,
/// sorted_token_ids, expert_ids, num_tokens_post_padded, topk_weights,
/// a_scale, b_scale for moe_gemm.
mlir::FailureOr<GemmKernel> buildGemmKernel(mlir::OpBuilder &b,
                                            mlir::gpu::GPUModuleOp module,
                                            llvm::StringRef name,
                                            const GemmKernelSpec &spec,
                                            mlir::Location loc);

} // namespace moec

#endif // MOEC_TRANSFORMS_GEMMKERNEL_H
