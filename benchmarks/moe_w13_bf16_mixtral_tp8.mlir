// moe_w13_fp8_mixtral_tp8.mlir in bf16 (the baseline of the fp8 timing).
module {
  func.func @w13_bf16(%hidden: memref<?x4096xbf16>, %w13: memref<8x3584x4096xbf16>,
                      %topk_ids: memref<?x2xi32>, %sorted: memref<?xi32>,
                      %experts: memref<?xi32>, %npad: memref<1xi32>,
                      %act: memref<?x2x1792xbf16>) {
    moec.moe_align %topk_ids -> %sorted, %experts, %npad {
      num_experts = 8 : i64, config = #moec.config<block_m = 64>
    } : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %act
      routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
      top_k = 2 : i64, activation = #moec.activation<silu>,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x4096xbf16>, memref<8x3584x4096xbf16> -> memref<?x2x1792xbf16>
    return
  }
}
