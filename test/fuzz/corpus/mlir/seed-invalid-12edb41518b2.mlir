

// ODS: matrix operands hold f16, bf16, f32, fp8 or i8 (f64 is none of them).
func.func @gemm_f64(%a: memref<64x32xf64>, %b: memref<32x16xf16>, %c: memref<64x16xf16>) {
  // expected-error @below {{'moec.gemm' op operand #0 must be 2D memref of}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x32xf64>, memref<32x16xf16> -> memref<64x16xf16>
  return
}

