// Mixtral-8x7B TP 8's gate/up GEMM (E 8, top-2, hidden 4096, 2 x 1792) as
// fp8_w8a8 (OCP e4m3, per-token a_scale, per-channel b_scale) with silu_and_mul
// fused: moe_jit_h100.sh times it against moe_w13_bf16_mixtral_tp8.mlir.
module {
  func.func @w13_fp8(%hidden: memref<?x4096xf8E4M3FN>, %a_scale: memref<?xf32>,
                     %w13: memref<8x3584x4096xf8E4M3FN>, %w13_scale: memref<8x3584xf32>,
                     %topk_ids: memref<?x2xi32>, %sorted: memref<?xi32>,
                     %experts: memref<?xi32>, %npad: memref<1xi32>,
                     %act: memref<?x2x1792xbf16>) {
    moec.moe_align %topk_ids -> %sorted, %experts, %npad {
      num_experts = 8 : i64, config = #moec.config<block_m = 64>
    } : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %act
      routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      a_scale(%a_scale : memref<?xf32>) b_scale(%w13_scale : memref<8x3584xf32>) {
      top_k = 2 : i64, activation = #moec.activation<silu>,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x4096xf8E4M3FN>, memref<8x3584x4096xf8E4M3FN> -> memref<?x2x1792xbf16>
    return
  }
}
