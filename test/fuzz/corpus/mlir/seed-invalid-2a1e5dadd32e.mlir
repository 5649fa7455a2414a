

func.func @gemm_fp8_with_f16(%a: memref<?x32xf8E4M3FNUZ>, %b: memref<32x16xf16>, %c: memref<?x16xf16>) {
  // expected-error @below {{'moec.gemm' op A ('f8E4M3FNUZ') and B ('f16') must both be fp8 when either is}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf8E4M3FNUZ>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

