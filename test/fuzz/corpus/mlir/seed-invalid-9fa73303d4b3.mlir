

func.func @gemm_scale_b_without_fp8(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>, %s: memref<16xf32>) {
  // expected-error @below {{'moec.gemm' op scale_b is only allowed with fp8 inputs, not 'f16'}}
  moec.gemm %a, %b -> %c scale_b(%s : memref<16xf32>) {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

