// A whole Mixtral-8x7B MoE layer (TP = 1) with the gated activation fused
// into the gate/up GEMM: 8 experts, top-2 routing, hidden 4096,
// intermediate 14336.
//
//   moe_align                       topk_ids -> sorted ids, expert ids
//   moe_gemm {activation = silu}    hidden x w13 [8, 2 x 14336, 4096]
//                                   -> silu(gate) * up [tokens, 2, 14336]
//   moe_gemm {a_per_copy, reduce}   (one A row per routed copy) x w2
//                                   [8, 4096, 14336], times topk_weights,
//                                   summed into out [tokens, 4096]
//
// w13 is vLLM's layout: gate rows [0, 14336), up rows [14336, 28672). No
// separate moec.act_and_mul kernel and no [tokens, 2, 28672] intermediate:
// the w13 kernel writes act(gate) * up directly (the epilogue pairs the
// gate and up columns through an f32 tile in LDS).
//
//   moec compile examples/moe/mixtral_layer_fused.mlir --arch gfx942 --emit asm
//   moec run examples/moe/mixtral_layer_fused.mlir --arch sm_90 --tokens 64
module {
  func.func @mixtral_layer_fused(%hidden: memref<?x4096xbf16>,
                                 %w13: memref<8x28672x4096xbf16>,
                                 %w2: memref<8x4096x14336xbf16>,
                                 %topk_ids: memref<?x2xi32>,
                                 %topk_weights: memref<?x2xf32>,
                                 %sorted_token_ids: memref<?xi32>,
                                 %expert_ids: memref<?xi32>,
                                 %num_tokens_post_padded: memref<1xi32>,
                                 %act: memref<?x2x14336xbf16>,
                                 %out: memref<?x4096xbf16>) {
    moec.moe_align %topk_ids -> %sorted_token_ids, %expert_ids, %num_tokens_post_padded {
      num_experts = 8 : i64,
      config = #moec.config<block_m = 64>
    } : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %act
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
      top_k = 2 : i64, activation = #moec.activation<silu>,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64,
                            group_m = 1, num_warps = 4, num_stages = 2>
    } : memref<?x4096xbf16>, memref<8x28672x4096xbf16> -> memref<?x2x14336xbf16>
    %copies = memref.collapse_shape %act [[0, 1], [2]]
      : memref<?x2x14336xbf16> into memref<?x14336xbf16>
    moec.moe_gemm %copies, %w2 -> %out
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%topk_weights : memref<?x2xf32>) {
      top_k = 2 : i64, a_per_copy, reduce,
      config = #moec.config<block_m = 64, block_n = 64, block_k = 64,
                            group_m = 1, num_warps = 4, num_stages = 2>
    } : memref<?x14336xbf16>, memref<8x4096x14336xbf16> -> memref<?x4096xbf16>
    return
  }
}
