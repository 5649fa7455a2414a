

func.func @gemm_f16_with_fp8(%a: memref<?x32xbf16>, %b: memref<32x16xf8E4M3FN>, %c: memref<?x16xf16>) {
  // expected-error @below {{'moec.gemm' op A ('bf16') and B ('f8E4M3FN') must both be fp8 when either is}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xbf16>, memref<32x16xf8E4M3FN> -> memref<?x16xf16>
  return
}

