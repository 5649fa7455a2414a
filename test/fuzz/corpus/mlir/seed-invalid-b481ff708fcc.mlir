

func.func @moe_align_num_experts_zero(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op attribute 'num_experts' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 0 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

