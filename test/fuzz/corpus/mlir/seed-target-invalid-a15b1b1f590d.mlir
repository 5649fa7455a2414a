

// 65536 bytes per stage: 3 stages fit sm_90 (196608) but not sm_80 (166912).
module attributes {moec.target = #moec.target<"sm_80">} {
  func.func @lds_stages3_sm_80(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 196608 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 3, epilogue = direct) is over sm_80's limit of 166912 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

