

func.func @misspelled_attr_moe_align(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op has an unknown attribute 'num_expert'; did you mean 'num_experts'?}}
  moec.moe_align %ids -> %sorted, %experts, %n {num_experts = 8, num_expert = 8, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

