// Mixtral-8x7B fused-MoE up projection (TP = 1): 8 experts, top-2 routing,
// hidden 4096, w13 = the gate and up projections stacked, [8, 2 x 14336, 4096]
// in vLLM's layout. Routing first aligns the routed copies to block_m per
// expert, then the grouped GEMM gathers rows of the hidden states through
// sorted_token_ids and picks each block's expert from expert_ids.
// The config is a typical vLLM config for MI300X at small batch.
//
//   moec compile examples/mixtral_moe_up.mlir --arch gfx942 --emit mlir
module {
  func.func @mixtral_moe_up(%hidden: memref<?x4096xbf16>,
                            %w13: memref<8x28672x4096xbf16>,
                            %topk_ids: memref<?x2xi32>,
                            %sorted_token_ids: memref<?xi32>,
                            %expert_ids: memref<?xi32>,
                            %num_tokens_post_padded: memref<1xi32>,
                            %out: memref<?x2x28672xbf16>) {
    moec.moe_align %topk_ids -> %sorted_token_ids, %expert_ids, %num_tokens_post_padded {
      num_experts = 8 : i64,
      config = #moec.config<block_m = 64>
    } : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_gemm %hidden, %w13 -> %out
      routing(%sorted_token_ids, %expert_ids, %num_tokens_post_padded
              : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
      top_k = 2 : i64,
      config = #moec.config<block_m = 64, block_n = 128, block_k = 64,
                            group_m = 1, num_warps = 4, num_stages = 2,
                            waves_per_eu = 0, matrix_instr_nonkdim = 16,
                            kpack = 2>
    } : memref<?x4096xbf16>, memref<8x28672x4096xbf16> -> memref<?x2x28672xbf16>
    return
  }
}
