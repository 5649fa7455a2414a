

func.func @moe_align_sorted_too_small(%ids: memref<16x2xi32>, %sorted: memref<151xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // 16 x 2 + 8 x (16 - 1) = 152.
  // expected-error @below {{'moec.moe_align' op sorted_token_ids holds 151 entries but 16 tokens x top_k 2 padded to block_m = 16 over 8 experts need up to 152}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<block_m = 16>} : memref<16x2xi32> -> memref<151xi32>, memref<?xi32>, memref<1xi32>
  return
}

