

// Without a moec.target nothing of the above is checked.
module {
  func.func @no_target(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 16, num_warps = 32, matrix_instr_nonkdim = 32, kpack = 2, num_stages = 8, block_k = 256>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

