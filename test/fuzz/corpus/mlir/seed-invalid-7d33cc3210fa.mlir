

func.func @moe_align_experts_too_small(%ids: memref<?x2xi32>, %sorted: memref<152xi32>, %experts: memref<9xi32>, %npad: memref<1xi32>) {
  // ceil(152 / 16) = 10 blocks.
  // expected-error @below {{'moec.moe_align' op expert_ids holds 9 entries but 152 sorted ids in blocks of block_m = 16 need 10}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<block_m = 16>} : memref<?x2xi32> -> memref<152xi32>, memref<9xi32>, memref<1xi32>
  return
}

