// gpt-oss-120b: one MoE layer, TP = 1: the whole layer on one GPU.
// E = 128 experts, top-4 routing, hidden 2880, expert intermediate 2880.
// gpt-oss ships MXFP4 expert weights (f4E2M1FN with an f8E8M0FNU scale per 32
// K elements), expert biases and a clamped SwiGLU (alpha 1.702, limit 7.0).
// This file is a bf16 STAND-IN with the model's shapes: moe_gemm does not take
// MXFP4 yet, and act_and_mul's silu stands in for the clamped SwiGLU; no
// biases. Replace W with MXFP4 once the dialect lowers it.
//
// The layer, op by op (vLLM's fused_moe with the unfused activation):
//   moe_align    topk_ids -> sorted_token_ids / expert_ids / padded length
//   moe_gemm     w13: hidden [T, 2880] x W13 [128, 5760, 2880] -> [T, 4, 5760]
//                (gate and up projections stacked, rows gathered per copy)
//   act_and_mul  silu(gate) * up -> [T, 4, 2880]  (its own kernel: moe_gemm
//                has no fused silu_and_mul epilogue yet)
//   moe_gemm     w2: one row per copy [T * 4, 2880] x W2 [128, 2880, 2880],
//                times topk_weights, the 4 copies of a token summed straight
//                into out [T, 2880] (reduce: out must be zero before the call)
//
//   moec run examples/moe/gpt_oss_120b_tp1.mlir --arch host --tokens 4   (the host holds every weight: GBs at TP 1)
//   moec bench examples/moe/gpt_oss_120b_tp1.mlir --arch sm_90 --tokens 256 --routing uniform
module {
  func.func @gpt_oss_120b_moe_layer_tp1(%hidden: memref<?x2880xbf16>,
      %w13: memref<128x5760x2880xbf16>, %w2: memref<128x2880x2880xbf16>,
      %topk_ids: memref<?x4xi32>, %topk_weights: memref<?x4xf32>,
      %sorted_token_ids: memref<?xi32>, %expert_ids: memref<?xi32>,
      %num_tokens_post_padded: memref<1xi32>,
      %gate_up: memref<?x4x5760xbf16>, %act: memref<?x4x2880xbf16>,
      %out: memref<?x2880xbf16>) {
    moec.moe_align %topk_ids -> %sorted_token_ids, %expert_ids, %num_tokens_post_padded {
      num_experts = 128 : i64, config = #moec.config<block_m = 64>
    } : memref<?x4xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %gate_up
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
      top_k = 4 : i64,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x2880xbf16>, memref<128x5760x2880xbf16> -> memref<?x4x5760xbf16>
    moec.act_and_mul %gate_up -> %act {
      activation = #moec.activation<silu>, config = #moec.config<>
    } : memref<?x4x5760xbf16> -> memref<?x4x2880xbf16>
    %act_rows = memref.collapse_shape %act [[0, 1], [2]]
      : memref<?x4x2880xbf16> into memref<?x2880xbf16>
    moec.moe_gemm %act_rows, %w2 -> %out
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%topk_weights : memref<?x4xf32>) {
      top_k = 4 : i64, a_per_copy, reduce,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x2880xbf16>, memref<128x2880x2880xbf16> -> memref<?x2880xbf16>
    return
  }
}
