

func.func @gemm_fp8_output(%a: memref<?x32xf8E4M3FN>, %b: memref<32x16xf8E4M3FN>, %c: memref<?x16xf8E4M3FN>) {
  // expected-error @below {{'moec.gemm' op C element type 'f8E4M3FN' must be f16, bf16 or f32}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf8E4M3FN>, memref<32x16xf8E4M3FN> -> memref<?x16xf8E4M3FN>
  return
}

