

// moe_align is no matrix kernel: only block_m matters to it, with no target
// limit.
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @moe_align_on_target(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
    moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<block_m = 16, matrix_instr_nonkdim = 32, kpack = 2>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    return
  }
}

