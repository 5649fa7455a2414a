

// block_m = 16 is fine with the 16x16 family, and with mma.sync's 16x8.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @block_m16_with_mfma16(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 128, matrix_instr_nonkdim = 16>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

