

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @fp8_block_k_gfx942(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op block_k = 16 is not a multiple of the MFMA K (32) x kpack (1) = 32 of v_mfma_f32_16x16x32_fp8_fp8 on gfx942}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 16>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    return
  }
}

