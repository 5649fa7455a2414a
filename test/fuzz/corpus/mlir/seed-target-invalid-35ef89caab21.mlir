

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @block_m_vs_mfma32(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op block_m = 16 is not a multiple of the 32x32 MFMA tile (v_mfma_f32_32x32x8_bf16) on gfx942}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 128, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

