

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_do_not_cover(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op num_warps = 4 waves do not evenly cover the 16x16 tile (1 16x16 MFMA tiles) on gfx942}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 16>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

