

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @fp8_block_k_gfx950(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>) {
    // gfx950 also has 16x16x128 f8f6f4; the check uses the smallest K.
    // expected-error @below {{'moec.gemm' op block_k = 16 is not a multiple of the MFMA K (32) x kpack (1) = 32 of v_mfma_f32_16x16x32_fp8_fp8 on gfx950}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 16>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

