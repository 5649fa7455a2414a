

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @lds_stages3_gfx90a(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 131072 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 3, epilogue = direct) is over gfx90a's limit of 65536 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

