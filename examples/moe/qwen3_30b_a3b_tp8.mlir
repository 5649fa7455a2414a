// Qwen3-30B-A3B: one MoE layer, TP = 8: one of 8 tensor-parallel shards: every expert's intermediate
// dimension split 8 ways (96 of 768); the shards' outputs are summed by an
// all-reduce outside this function.
// E = 128 experts, top-8 routing, hidden 2048, expert intermediate 768 (96 per shard).
//
// The layer, op by op (vLLM's fused_moe with the unfused activation):
//   moe_align    topk_ids -> sorted_token_ids / expert_ids / padded length
//   moe_gemm     w13: hidden [T, 2048] x W13 [128, 192, 2048] -> [T, 8, 192]
//                (gate and up projections stacked, rows gathered per copy)
//   act_and_mul  silu(gate) * up -> [T, 8, 96]  (its own kernel: moe_gemm
//                has no fused silu_and_mul epilogue yet)
//   moe_gemm     w2: one row per copy [T * 8, 96] x W2 [128, 2048, 96],
//                times topk_weights, the 8 copies of a token summed straight
//                into out [T, 2048] (reduce: out must be zero before the call)
//
//   moec run examples/moe/qwen3_30b_a3b_tp8.mlir --arch host --tokens 4   (the host holds every weight: GBs at TP 1)
//   moec bench examples/moe/qwen3_30b_a3b_tp8.mlir --arch sm_90 --tokens 256 --routing uniform
module {
  func.func @qwen3_30b_a3b_moe_layer_tp8(%hidden: memref<?x2048xbf16>,
      %w13: memref<128x192x2048xbf16>, %w2: memref<128x2048x96xbf16>,
      %topk_ids: memref<?x8xi32>, %topk_weights: memref<?x8xf32>,
      %sorted_token_ids: memref<?xi32>, %expert_ids: memref<?xi32>,
      %num_tokens_post_padded: memref<1xi32>,
      %gate_up: memref<?x8x192xbf16>, %act: memref<?x8x96xbf16>,
      %out: memref<?x2048xbf16>) {
    moec.moe_align %topk_ids -> %sorted_token_ids, %expert_ids, %num_tokens_post_padded {
      num_experts = 128 : i64, config = #moec.config<block_m = 64>
    } : memref<?x8xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %gate_up
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
      top_k = 8 : i64,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x2048xbf16>, memref<128x192x2048xbf16> -> memref<?x8x192xbf16>
    moec.act_and_mul %gate_up -> %act {
      activation = #moec.activation<silu>, config = #moec.config<>
    } : memref<?x8x192xbf16> -> memref<?x8x96xbf16>
    %act_rows = memref.collapse_shape %act [[0, 1], [2]]
      : memref<?x8x96xbf16> into memref<?x96xbf16>
    moec.moe_gemm %act_rows, %w2 -> %out
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%topk_weights : memref<?x8xf32>) {
      top_k = 8 : i64, a_per_copy, reduce,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x96xbf16>, memref<128x2048x96xbf16> -> memref<?x2048xbf16>
    return
  }
}
