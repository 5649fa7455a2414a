// moe_align for DeepSeek-V3 routing (256 experts, top-8) with an expert map.
module {
  func.func @route(%ids: memref<?x8xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>, %map: memref<256xi32>) {
    moec.moe_align %ids -> %sorted, %experts, %npad expert_map(%map : memref<256xi32>) {num_experts = 256 : i64, config = #moec.config<block_m = 64>} : memref<?x8xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    return
  }
}
