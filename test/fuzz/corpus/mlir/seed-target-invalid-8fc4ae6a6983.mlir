

// The same tile with a direct epilogue (16384 bytes of K-loop buffers) fits
// gfx942, and the lds epilogue fits gfx950.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_epilogue_direct_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 16, epilogue = direct>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

