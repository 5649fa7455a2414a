

func.func @gemm_bias_size(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>, %bias: memref<32xf16>) {
  // expected-error @below {{'moec.gemm' op bias size: bias length (32) does not match N (16)}}
  moec.gemm %a, %b -> %c bias(%bias : memref<32xf16>) {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

