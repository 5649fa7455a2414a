

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @bf16_kpack2_block_k_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op block_k = 16 is not a multiple of the MFMA K (16) x kpack (2) = 32 of v_mfma_f32_16x16x16_bf16 on gfx942}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 16, kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

