

// The host target has no matrix shape, register or LDS limit.
module attributes {moec.target = #moec.target<"host">} {
  func.func @host_takes_any_tile(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xf32>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 256, num_warps = 32, num_stages = 8, waves_per_eu = 16, matrix_instr_nonkdim = 32, kpack = 2, epilogue = lds>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xf32>
    return
  }
}

