

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @fp8_block_k_gfx942_moe(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    // expected-error @below {{'moec.moe_gemm' op block_k = 16 is not a multiple of the MFMA K (16) x kpack (2) = 32 of v_mfma_f32_32x32x16_fp8_fp8 on gfx942}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 16, matrix_instr_nonkdim = 32, kpack = 2>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
    return
  }
}

