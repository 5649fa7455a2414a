// Mixtral-8x7B: one MoE layer, TP = 1, with the gated activation fused
// into the w13 GEMM (mixtral_8x7b_tp1.mlir is the same layer unfused).
// E = 8 experts, top-2 routing, hidden 4096, expert intermediate 14336.
//
// The layer, op by op:
//   moe_align    topk_ids -> sorted_token_ids / expert_ids / padded length
//   moe_gemm     w13 {activation = silu}: hidden [T, 4096] x W13 [8, 28672,
//                4096] (gate rows [0, 14336), up rows [14336, 28672): vLLM's
//                layout) -> silu(gate) * up [T, 2, 14336] straight from the
//                epilogue (no act_and_mul kernel, no [T, 2, 28672] buffer)
//   moe_gemm     w2: one row per copy [T * 2, 14336] x W2 [8, 4096, 14336],
//                times topk_weights, the 2 copies of a token summed straight
//                into out [T, 4096] (reduce: out must be zero before the call)
//
//   moec run examples/moe/mixtral_8x7b_tp1_fused.mlir --arch host --tokens 4   (the host holds every weight: GBs at TP 1)
//   moec run examples/moe/mixtral_8x7b_tp1_fused.mlir --arch sm_90 --tokens 64
//   moec bench examples/moe/mixtral_8x7b_tp1_fused.mlir --arch sm_90 --tokens 256 --routing uniform
module {
  func.func @mixtral_8x7b_moe_layer_tp1_fused(%hidden: memref<?x4096xbf16>,
      %w13: memref<8x28672x4096xbf16>, %w2: memref<8x4096x14336xbf16>,
      %topk_ids: memref<?x2xi32>, %topk_weights: memref<?x2xf32>,
      %sorted_token_ids: memref<?xi32>, %expert_ids: memref<?xi32>,
      %num_tokens_post_padded: memref<1xi32>,
      %act: memref<?x2x14336xbf16>, %out: memref<?x4096xbf16>) {
    moec.moe_align %topk_ids -> %sorted_token_ids, %expert_ids, %num_tokens_post_padded {
      num_experts = 8 : i64, config = #moec.config<block_m = 64>
    } : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %act
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
      top_k = 2 : i64, activation = #moec.activation<silu>,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x4096xbf16>, memref<8x28672x4096xbf16> -> memref<?x2x14336xbf16>
    %act_rows = memref.collapse_shape %act [[0, 1], [2]]
      : memref<?x2x14336xbf16> into memref<?x14336xbf16>
    moec.moe_gemm %act_rows, %w2 -> %out
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%topk_weights : memref<?x2xf32>) {
      top_k = 2 : i64, a_per_copy, reduce,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x14336xbf16>, memref<8x4096x14336xbf16> -> memref<?x4096xbf16>
    return
  }
}
