// An int8_w8a16 MoE layer at small sizes (hidden 256, intermediate 88):
// align -> moe_gemm {activation = silu} with i8 W13 and a per-channel
// b_scale -> moe_gemm {a_per_copy, reduce, topk_weights} with i8 W2.
module {
  func.func @int8_layer(%hidden: memref<?x256xbf16>, %w13: memref<8x176x256xi8>,
                        %w13_scale: memref<8x176xf32>, %w2: memref<8x256x88xi8>,
                        %w2_scale: memref<8x256xf32>, %topk_ids: memref<?x2xi32>,
                        %topk_weights: memref<?x2xf32>, %sorted: memref<?xi32>,
                        %experts: memref<?xi32>, %npad: memref<1xi32>,
                        %act: memref<?x2x88xbf16>, %out: memref<?x256xbf16>) {
    moec.moe_align %topk_ids -> %sorted, %experts, %npad {
      num_experts = 8 : i64, config = #moec.config<block_m = 16>
    } : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %act
      routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      b_scale(%w13_scale : memref<8x176xf32>) {
      top_k = 2 : i64, activation = #moec.activation<silu>,
      config = #moec.config<block_m = 16, block_n = 32, block_k = 32, group_m = 1, num_warps = 2>
    } : memref<?x256xbf16>, memref<8x176x256xi8> -> memref<?x2x88xbf16>
    %copies = memref.collapse_shape %act [[0, 1], [2]]
      : memref<?x2x88xbf16> into memref<?x88xbf16>
    moec.moe_gemm %copies, %w2 -> %out
      routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%topk_weights : memref<?x2xf32>) b_scale(%w2_scale : memref<8x256xf32>) {
      top_k = 2 : i64, a_per_copy, reduce,
      config = #moec.config<block_m = 16, block_n = 32, block_k = 32, group_m = 1, num_warps = 2>
    } : memref<?x88xbf16>, memref<8x256x88xi8> -> memref<?x256xbf16>
    return
  }
}
