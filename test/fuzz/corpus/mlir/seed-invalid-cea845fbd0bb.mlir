

func.func @gemm_f16_with_bf16(%a: memref<?x32xf16>, %b: memref<32x16xbf16>, %c: memref<?x16xf16>) {
  // expected-error @below {{'moec.gemm' op A ('f16') and B ('bf16') must have the same element type}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xbf16> -> memref<?x16xf16>
  return
}

