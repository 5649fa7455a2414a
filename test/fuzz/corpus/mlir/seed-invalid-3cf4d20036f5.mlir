

// ODS: scales are f32.
func.func @gemm_scale_f16(%a: memref<?x32xf8E4M3FN>, %b: memref<32x16xf8E4M3FN>, %c: memref<?x16xf16>, %s: memref<f16>) {
  // expected-error @below {{'moec.gemm' op operand #3 must be 0D/1D/2D/3D memref of 32-bit float values, but got 'memref<f16>'}}
  moec.gemm %a, %b -> %c scale_a(%s : memref<f16>) {config = #moec.config<>} : memref<?x32xf8E4M3FN>, memref<32x16xf8E4M3FN> -> memref<?x16xf16>
  return
}

