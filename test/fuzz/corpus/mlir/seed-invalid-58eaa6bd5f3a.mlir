

func.func @moe_align_huge_num_experts(%ids: memref<16x2xi32>, %sorted: memref<152xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // The size needed does not fit in 64 bits; it must not wrap around to a
  // small number that the buffer seems to satisfy.
  // expected-error @below {{'moec.moe_align' op sorted_token_ids holds 152 entries but 16 tokens x top_k 2 padded to block_m = 16 over 9223372036854775807 experts need more than 64-bit sizes can hold}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 9223372036854775807 : i64, config = #moec.config<block_m = 16>} : memref<16x2xi32> -> memref<152xi32>, memref<?xi32>, memref<1xi32>
  return
}

