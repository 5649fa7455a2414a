

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_do_not_cover_mfma32(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                       %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    // expected-error @below {{'moec.moe_gemm' op num_warps = 8 waves do not evenly cover the 64x64 tile (4 32x32 MFMA tiles) on gfx942}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<num_warps = 8, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
    return
  }
}

