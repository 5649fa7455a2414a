

// ODS: bias is 1-D.
func.func @gemm_bias_rank(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>, %bias: memref<1x16xf16>) {
  // expected-error @below {{'moec.gemm' op operand #3 must be 1D memref of}}
  moec.gemm %a, %b -> %c bias(%bias : memref<1x16xf16>) {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

