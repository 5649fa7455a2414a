// Both operands transposed (A is K x M, B is N x K), bf16 in, f16 out, f32
// bias and silu; M dynamic, N and K static (the common serving case).
module {
  func.func @gemm_tt_silu(%a: memref<96x?xbf16>, %b: memref<80x96xbf16>,
                          %c: memref<?x80xf16>, %bias: memref<80xf32>) {
    moec.gemm %a, %b -> %c bias(%bias : memref<80xf32>) {
      transpose_a, transpose_b, activation = #moec.activation<silu>,
      config = #moec.config<block_m = 16, block_n = 32, block_k = 64, group_m = 1,
                            num_stages = 3, epilogue = lds>
    } : memref<96x?xbf16>, memref<80x96xbf16> -> memref<?x80xf16>
    return
  }
}
