

func.func @moe_align_num_experts_missing(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op requires attribute 'num_experts'}}
  moec.moe_align %ids -> %sorted, %experts, %npad {config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

