

// 4 stages keep 3 buffers: over gfx950's limit too.
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_stages4_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 196608 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 4, epilogue = direct) is over gfx950's limit of 163840 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 4>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

