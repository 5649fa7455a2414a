// examples/moe/mixtral_8x7b_tp1_fused.mlir at small sizes (hidden 256,
// intermediate 88): align -> moe_gemm {activation = silu} -> moe_gemm
// {a_per_copy, reduce, topk_weights}.
module {
  func.func @mixtral_8x7b_tp1_fused(%hidden: memref<?x256xbf16>,
                                 %w13: memref<8x176x256xbf16>,
                                 %w2: memref<8x256x88xbf16>,
                                 %topk_ids: memref<?x2xi32>,
                                 %topk_weights: memref<?x2xf32>,
                                 %sorted_token_ids: memref<?xi32>,
                                 %expert_ids: memref<?xi32>,
                                 %num_tokens_post_padded: memref<1xi32>,
                                 %act: memref<?x2x88xbf16>,
                                 %out: memref<?x256xbf16>) {
    moec.moe_align %topk_ids -> %sorted_token_ids, %expert_ids, %num_tokens_post_padded {
      num_experts = 8 : i64,
      config = #moec.config<block_m = 16>
    } : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %act
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
      top_k = 2 : i64, activation = #moec.activation<silu>,
      config = #moec.config<block_m = 16, block_n = 32, block_k = 32,
                            group_m = 1, num_warps = 2, num_stages = 2>
    } : memref<?x256xbf16>, memref<8x176x256xbf16> -> memref<?x2x88xbf16>
    %copies = memref.collapse_shape %act [[0, 1], [2]]
      : memref<?x2x88xbf16> into memref<?x88xbf16>
    moec.moe_gemm %copies, %w2 -> %out
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%topk_weights : memref<?x2xf32>) {
      top_k = 2 : i64, a_per_copy, reduce,
      config = #moec.config<block_m = 16, block_n = 32, block_k = 32,
                            group_m = 1, num_warps = 2, num_stages = 2>
    } : memref<?x88xbf16>, memref<8x256x88xbf16> -> memref<?x256xbf16>
    return
  }
}
