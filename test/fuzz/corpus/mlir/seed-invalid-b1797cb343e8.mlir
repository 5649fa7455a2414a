

func.func @moe_align_npad_size(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<2xi32>) {
  // expected-error @below {{'moec.moe_align' op num_tokens_post_padded must hold 1 element, not 2}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<2xi32>
  return
}

