

func.func @gemm_i8_output(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xi8>) {
  // expected-error @below {{'moec.gemm' op C element type 'i8' must be f16, bf16 or f32}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xi8>
  return
}

