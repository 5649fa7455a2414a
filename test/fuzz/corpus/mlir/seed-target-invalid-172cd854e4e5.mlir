

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @block_n_vs_mfma32(%a: memref<?x4096xf16>, %b: memref<4096x4096xf16>, %c: memref<?x4096xf16>) {
    // expected-error @below {{'moec.gemm' op block_n = 16 is not a multiple of the 32x32 MFMA tile (v_mfma_f32_32x32x8f16) on gfx90a}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 16, matrix_instr_nonkdim = 32>} : memref<?x4096xf16>, memref<4096x4096xf16> -> memref<?x4096xf16>
    return
  }
}

