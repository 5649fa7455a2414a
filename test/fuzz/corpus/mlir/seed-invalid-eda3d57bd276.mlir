

func.func @gemm_scale_without_fp8(%a: memref<?x32xbf16>, %b: memref<32x16xbf16>, %c: memref<?x16xbf16>, %s: memref<f32>) {
  // expected-error @below {{'moec.gemm' op scale_a is only allowed with fp8 inputs, not 'bf16'}}
  moec.gemm %a, %b -> %c scale_a(%s : memref<f32>) {config = #moec.config<>} : memref<?x32xbf16>, memref<32x16xbf16> -> memref<?x16xbf16>
  return
}

