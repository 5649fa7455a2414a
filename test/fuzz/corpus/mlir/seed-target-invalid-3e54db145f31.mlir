

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @block_m_vs_mfma32_moe(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                   %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    // expected-error @below {{'moec.moe_gemm' op block_m = 16 is not a multiple of the 32x32 MFMA tile (v_mfma_f32_32x32x8_bf16) on gfx950}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<block_m = 16, block_n = 128, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
    return
  }
}

