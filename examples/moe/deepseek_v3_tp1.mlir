// DeepSeek-V3 (routed experts only; the shared expert is a dense GEMM): one MoE layer, TP = 1: the whole layer on one GPU.
// E = 256 experts, top-8 routing, hidden 7168, expert intermediate 2048.
//
// The layer, op by op (vLLM's fused_moe with the unfused activation):
//   moe_align    topk_ids -> sorted_token_ids / expert_ids / padded length
//   moe_gemm     w13: hidden [T, 7168] x W13 [256, 4096, 7168] -> [T, 8, 4096]
//                (gate and up projections stacked, rows gathered per copy)
//   act_and_mul  silu(gate) * up -> [T, 8, 2048]  (its own kernel: moe_gemm
//                has no fused silu_and_mul epilogue yet)
//   moe_gemm     w2: one row per copy [T * 8, 2048] x W2 [256, 7168, 2048],
//                times topk_weights, the 8 copies of a token summed straight
//                into out [T, 7168] (reduce: out must be zero before the call)
//
//   moec run examples/moe/deepseek_v3_tp1.mlir --arch host --tokens 4   (the host holds every weight: GBs at TP 1)
//   moec bench examples/moe/deepseek_v3_tp1.mlir --arch sm_90 --tokens 256 --routing uniform
module {
  func.func @deepseek_v3_moe_layer_tp1(%hidden: memref<?x7168xbf16>,
      %w13: memref<256x4096x7168xbf16>, %w2: memref<256x7168x2048xbf16>,
      %topk_ids: memref<?x8xi32>, %topk_weights: memref<?x8xf32>,
      %sorted_token_ids: memref<?xi32>, %expert_ids: memref<?xi32>,
      %num_tokens_post_padded: memref<1xi32>,
      %gate_up: memref<?x8x4096xbf16>, %act: memref<?x8x2048xbf16>,
      %out: memref<?x7168xbf16>) {
    moec.moe_align %topk_ids -> %sorted_token_ids, %expert_ids, %num_tokens_post_padded {
      num_experts = 256 : i64, config = #moec.config<block_m = 64>
    } : memref<?x8xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %gate_up
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
      top_k = 8 : i64,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x7168xbf16>, memref<256x4096x7168xbf16> -> memref<?x8x4096xbf16>
    moec.act_and_mul %gate_up -> %act {
      activation = #moec.activation<silu>, config = #moec.config<>
    } : memref<?x8x4096xbf16> -> memref<?x8x2048xbf16>
    %act_rows = memref.collapse_shape %act [[0, 1], [2]]
      : memref<?x8x2048xbf16> into memref<?x2048xbf16>
    moec.moe_gemm %act_rows, %w2 -> %out
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%topk_weights : memref<?x8xf32>) {
      top_k = 8 : i64, a_per_copy, reduce,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x2048xbf16>, memref<256x7168x2048xbf16> -> memref<?x7168xbf16>
    return
  }
}
