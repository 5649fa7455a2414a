

func.func @gemm_f32_inputs(%a: memref<?x32xf32>, %b: memref<32x16xf32>, %c: memref<?x16xf32>) {
  // expected-error @below {{'moec.gemm' op A element type 'f32' must be f16, bf16 or an fp8 type}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf32>, memref<32x16xf32> -> memref<?x16xf32>
  return
}

