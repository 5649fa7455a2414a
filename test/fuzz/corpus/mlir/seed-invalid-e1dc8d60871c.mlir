

func.func @gemm_i8_inputs(%a: memref<?x32xi8>, %b: memref<32x16xi8>, %c: memref<?x16xf32>) {
  // expected-error @below {{'moec.gemm' op A element type 'i8' must be f16, bf16 or an fp8 type}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xi8>, memref<32x16xi8> -> memref<?x16xf32>
  return
}

