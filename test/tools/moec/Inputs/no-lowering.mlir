// Verifies, but the kernel lowering refuses it: topk_ids with a strided
// layout (a column slice of a wider buffer).
module {
  func.func @strided(%ids: memref<?x2xi32, strided<[4, 1]>>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
    moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32, strided<[4, 1]>> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    return
  }
}
