

func.func @moe_align_ids_rank(%ids: memref<?xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op operand #0 must be 2D memref of 32-bit signless integer values}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>} : memref<?xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

