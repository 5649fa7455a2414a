

// ODS: topk_ids is a 2-D i32 memref.
func.func @moe_align_ids_i64(%ids: memref<?x2xi64>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op operand #0 must be 2D memref of 32-bit signless integer values}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi64> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

