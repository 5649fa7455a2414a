

// 256 x 256 x 64 in one buffer is exactly gfx942's 65536 bytes: it fits (the
// 16-byte row padding the tiles had before pushed it to 73728).
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_exactly_full_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

