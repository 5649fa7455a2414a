

func.func @moe_align_sorted_rank(%ids: memref<?x2xi32>, %sorted: memref<?x1xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op operand #1 must be 1D memref of 32-bit signless integer values}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?x1xi32>, memref<?xi32>, memref<1xi32>
  return
}

//===----------------------------------------------------------------------===//
// moec.moe_gemm
//===----------------------------------------------------------------------===//

