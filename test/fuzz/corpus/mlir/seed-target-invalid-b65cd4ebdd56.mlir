

// ... 2 stages do not, where they would on AMD (one buffer, 131072 <= 163840 on gfx950).
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_stages2_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 262144 bytes (block_m = 256, block_n = 256, block_k = 128, num_stages = 2, epilogue = direct) is over sm_90's limit of 232448 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 128, num_stages = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

