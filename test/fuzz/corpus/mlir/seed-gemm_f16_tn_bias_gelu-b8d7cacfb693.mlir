// f16 A stored K x M (transpose_a), f16 B, f32 output, f16 bias and exact
// gelu in the epilogue; every dimension dynamic.
module {
  func.func @gemm_bias_gelu(%a: memref<?x?xf16>, %b: memref<?x?xf16>,
                            %c: memref<?x?xf32>, %bias: memref<?xf16>) {
    moec.gemm %a, %b -> %c bias(%bias : memref<?xf16>) {
      transpose_a, activation = #moec.activation<gelu>,
      config = #moec.config<block_m = 32, block_n = 64, block_k = 16, group_m = 4>
    } : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf32>
    return
  }
}
