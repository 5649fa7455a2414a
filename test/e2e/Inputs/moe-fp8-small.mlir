// fp8_w8a8 moe_gemm at small sizes (OCP e4m3, as sm_90 takes): the gated
// w13 with per-token a_scale and per-channel b_scale, then block-wise
// [32, 64] scales on one row per copy, weighted and reduced into the output.
module {
  func.func @fp8_moe(%hidden: memref<?x256xf8E4M3FN>, %a_scale: memref<?xf32>,
                     %w13: memref<8x128x256xf8E4M3FN>, %w13_scale: memref<8x128xf32>,
                     %copies: memref<?x192xf8E4M3FN>, %c_scale: memref<?x3xf32>,
                     %w2: memref<8x96x192xf8E4M3FN>, %w2_scale: memref<8x3x3xf32>,
                     %topk_ids: memref<?x2xi32>, %topk_weights: memref<?x2xf32>,
                     %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                     %act: memref<?x2x64xbf16>, %out: memref<?x96xf32>) {
    moec.moe_align %topk_ids -> %sorted, %experts, %npad {
      num_experts = 8 : i64, config = #moec.config<block_m = 16>
    } : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %act
      routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      a_scale(%a_scale : memref<?xf32>) b_scale(%w13_scale : memref<8x128xf32>) {
      top_k = 2 : i64, activation = #moec.activation<silu>,
      config = #moec.config<block_m = 16, block_n = 32, block_k = 32, group_m = 1, num_warps = 2>
    } : memref<?x256xf8E4M3FN>, memref<8x128x256xf8E4M3FN> -> memref<?x2x64xbf16>
    moec.moe_gemm %copies, %w2 -> %out
      routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%topk_weights : memref<?x2xf32>)
      a_scale(%c_scale : memref<?x3xf32>) b_scale(%w2_scale : memref<8x3x3xf32>) {
      top_k = 2 : i64, a_per_copy, reduce, group_n = 32 : i64, group_k = 64 : i64,
      config = #moec.config<block_m = 16, block_n = 32, block_k = 32, group_m = 1, num_warps = 2>
    } : memref<?x192xf8E4M3FN>, memref<8x96x192xf8E4M3FN> -> memref<?x96xf32>
    return
  }
}
