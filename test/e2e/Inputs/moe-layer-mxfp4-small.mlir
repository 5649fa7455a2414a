// examples/moe/gpt_oss_120b_tp1.mlir (MXFP4 weights) at small sizes for CI:
// hidden 256, intermediate 96, E = 8, top-4; K = 96 of w2 is not a multiple
// of block_k = 64 (the last K tile is half outside).
// gpt-oss-120b: one MoE layer, TP = 1: the whole layer on one GPU.
// E = 8 experts, top-4 routing, hidden 256, expert intermediate 96.
// The expert weights are MXFP4 as gpt-oss ships them (and vLLM keeps them):
// per expert and output row, K/2 bytes of packed e2m1 values (element 2j in
// the low nibble) and K/32 e8m0 scales, here `memref<E x N x K/2 x i8>` and
// `memref<E x N x K/32 x f8E8M0FNU>` with the `mxfp4` attribute (see the op's
// description for why W is packed i8). A is bf16 (w4a16): the kernels
// dequantize W to bf16 in registers.
// Not modelled: gpt-oss's expert biases and its clamped SwiGLU (alpha 1.702,
// limit 7.0, gate/up interleaved); the w13 GEMM here fuses vLLM's
// silu_and_mul over the two halves of W13 instead.
//
// The layer, op by op:
//   moe_align    topk_ids -> sorted_token_ids / expert_ids / padded length
//   moe_gemm     w13 {mxfp4, activation = silu}: hidden [T, 256] x W13
//                [8, 192, 256 / 2 bytes] -> silu(gate) * up [T, 4, 96]
//   moe_gemm     w2 {mxfp4}: one row per copy [T * 4, 96] x W2 [8, 256,
//                96 / 2 bytes], times topk_weights, the 4 copies of a token
//                summed straight into out [T, 256] (reduce: out must be zero)
//
//   moec run test/e2e/Inputs/moe-layer-mxfp4-small.mlir --arch host --tokens 4
//   moec run test/e2e/Inputs/moe-layer-mxfp4-small.mlir --arch sm_90 --tokens 64
//   moec bench test/e2e/Inputs/moe-layer-mxfp4-small.mlir --arch sm_90 --tokens 256 --routing uniform
module {
  func.func @gpt_oss_small_moe_layer(%hidden: memref<?x256xbf16>,
      %w13: memref<8x192x128xi8>, %w13_scale: memref<8x192x8xf8E8M0FNU>,
      %w2: memref<8x256x48xi8>, %w2_scale: memref<8x256x3xf8E8M0FNU>,
      %topk_ids: memref<?x4xi32>, %topk_weights: memref<?x4xf32>,
      %sorted_token_ids: memref<?xi32>, %expert_ids: memref<?xi32>,
      %num_tokens_post_padded: memref<1xi32>,
      %act: memref<?x4x96xbf16>, %out: memref<?x256xbf16>) {
    moec.moe_align %topk_ids -> %sorted_token_ids, %expert_ids, %num_tokens_post_padded {
      num_experts = 8 : i64, config = #moec.config<block_m = 64>
    } : memref<?x4xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %act
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      b_scale(%w13_scale : memref<8x192x8xf8E8M0FNU>) {
      top_k = 4 : i64, mxfp4, activation = #moec.activation<silu>,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x256xbf16>, memref<8x192x128xi8> -> memref<?x4x96xbf16>
    %act_rows = memref.collapse_shape %act [[0, 1], [2]]
      : memref<?x4x96xbf16> into memref<?x96xbf16>
    moec.moe_gemm %act_rows, %w2 -> %out
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      topk_weights(%topk_weights : memref<?x4xf32>)
      b_scale(%w2_scale : memref<8x256x3xf8E8M0FNU>) {
      top_k = 4 : i64, mxfp4, a_per_copy, reduce,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64, group_m = 8,
                            num_warps = 4, num_stages = 2>
    } : memref<?x96xbf16>, memref<8x256x48xi8> -> memref<?x256xbf16>
    return
  }
}
