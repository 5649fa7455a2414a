

// ... and the legacy num_stages = 0 is 2 there as well.
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_stages0_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 262144 bytes (block_m = 256, block_n = 256, block_k = 128, num_stages = 0, epilogue = direct) is over sm_90's limit of 232448 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 128, num_stages = 0>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

